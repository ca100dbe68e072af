#include "core/duration.h"

#include <charconv>
#include <cmath>
#include <string>

namespace aigw {
namespace {

struct NumberAndUnit {
  double number;
  std::string_view unit;
};

std::optional<NumberAndUnit> split_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  // inf and nan parse as numbers too; neither is a duration or a size.
  if (ec != std::errc{} || ptr != text.data() + i || !std::isfinite(number) || number < 0)
    return std::nullopt;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return NumberAndUnit{number, unit};
}

}  // namespace

constexpr double kMaxDurationMillis = 1e15;
constexpr double kMaxSizeBytes = 1152921504606846976.0;  // 2^60

std::optional<Millis> parse_duration(std::string_view text) {
  auto parsed = split_number(text);
  if (!parsed) return std::nullopt;
  double ms_per_unit = 0;
  const std::string_view u = parsed->unit;
  if (u.empty() || u == "s")
    ms_per_unit = 1000;
  else if (u == "ms")
    ms_per_unit = 1;
  else if (u == "m" || u == "min")
    ms_per_unit = 60'000;
  else if (u == "h")
    ms_per_unit = 3'600'000;
  else if (u == "d")
    ms_per_unit = 86'400'000;
  else
    return std::nullopt;
  // Past about 31,700 years a duration means nothing, and past int64 the conversion is undefined.
  const double ms = parsed->number * ms_per_unit;
  if (ms > kMaxDurationMillis) return std::nullopt;
  return Millis(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parsed = split_number(text);
  if (!parsed) return std::nullopt;
  double factor = 0;
  const std::string_view u = parsed->unit;
  if (u.empty() || u == "B")
    factor = 1;
  else if (u == "KiB" || u == "K")
    factor = 1024.0;
  else if (u == "MiB" || u == "M")
    factor = 1024.0 * 1024;
  else if (u == "GiB" || u == "G")
    factor = 1024.0 * 1024 * 1024;
  else if (u == "KB")
    factor = 1e3;
  else if (u == "MB")
    factor = 1e6;
  else if (u == "GB")
    factor = 1e9;
  else
    return std::nullopt;
  // An exbibyte is beyond any limit this gateway has; past uint64 the conversion is undefined.
  const double bytes = parsed->number * factor;
  if (bytes > kMaxSizeBytes) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace aigw
