#include "core/json_text.h"

#include <boost/json/serialize.hpp>
#include <cmath>

#include "core/money.h"

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

namespace {

// `micros` / 1e6 with six decimals, or fewer (`min_decimals` at least) without trailing zeros.
std::string micros_text(std::int64_t micros, int min_decimals) {
  const bool negative = micros < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / 1'000'000);
  std::uint64_t fraction = magnitude % 1'000'000;
  char digits[6];
  for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
  int used = 6;
  while (used > min_decimals && digits[used - 1] == '0') --used;
  if (used == 0) return out;
  out += '.';
  out.append(digits, static_cast<std::size_t>(used));
  return out;
}

}  // namespace

std::string micros_decimal(std::int64_t micros) { return micros_text(micros, 0); }

std::string micros_fixed6(std::int64_t micros) { return micros_text(micros, 6); }

std::string usd_decimal(double usd) { return micros_decimal(micros_from_usd(usd)); }

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of characters that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

}  // namespace aigw
