// JSON text for aigw's own answers about money: like boost::json::serialize, except that a
// number with a fraction (in these documents: always US dollars) is written as a plain
// decimal rounded to micro-dollars — `0`, `0.09985`, `12.5` — never `9.985E-2` or `0E0`, and
// never with the tail of a floating-point sum (`9.984975000000944E-2` is `0.099850`'s sum).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace aigw {

std::string serialize_money_json(const boost::json::value& value);

// `micros` / 1e6 as a plain decimal: "0", "0.09985", "-2.000001" (trailing zeros dropped).
std::string micros_decimal(std::int64_t micros);
// `micros` / 1e6 with exactly six decimals, as "%.6f" would: "0.000000", "4.999265" (CSV,
// headers).
std::string micros_fixed6(std::int64_t micros);
// Dollars rounded to the micro-dollar, as micros_decimal writes them.
std::string usd_decimal(double usd);

// `text` as a JSON string, quoted, appended to `out`: the same bytes boost::json::serialize
// writes (", \\, the short escapes, \u00XX for other control characters; other bytes as they
// are), without building a serializer for it.
void append_json_string(std::string& out, std::string_view text);

}  // namespace aigw
