// Money inside aigw: whole micro-dollars (millionths of a US dollar), so that sums are exact
// and the same on every replica and in every store. Dollars as a floating-point number only
// where people write them (config, the admin API's bodies) and where they read them
// (core/json_text writes micro-dollars back as plain decimals).
#pragma once

#include <cmath>
#include <cstdint>

namespace aigw {

using Micros = std::int64_t;

// Rounded to the nearest micro-dollar: a request's cost is rounded once, when it is priced.
inline Micros micros_from_usd(double usd) { return static_cast<Micros>(std::llround(usd * 1e6)); }
inline double usd_from_micros(Micros micros) { return static_cast<double>(micros) / 1e6; }

}  // namespace aigw
