#include "core/json_text.h"

#include <boost/json/serialize.hpp>
#include <cmath>

namespace aigw {
namespace {

namespace json = boost::json;

void write(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        write(member, out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::double_:
      if (std::isfinite(v.get_double())) {
        out += usd_decimal(v.get_double());
      } else {
        out += "null";  // JSON has no infinity; nothing of ours is one
      }
      return;
    default:
      out += json::serialize(v);  // strings, integers, booleans, null
  }
}

}  // namespace

std::string serialize_money_json(const json::value& value) {
  std::string out;
  write(value, out);
  return out;
}

std::string micros_decimal(std::int64_t micros) {
  const bool negative = micros < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / 1'000'000);
  std::uint64_t fraction = magnitude % 1'000'000;
  if (fraction == 0) return out;
  char digits[6];
  for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
  int used = 6;
  while (digits[used - 1] == '0') --used;
  out += '.';
  out.append(digits, static_cast<std::size_t>(used));
  return out;
}

std::string usd_decimal(double usd) { return micros_decimal(std::llround(usd * 1e6)); }

}  // namespace aigw
