// Parsing of human-friendly sizes and durations used in the config ("250ms", "5m", "10MiB").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aigw {

using Millis = std::chrono::milliseconds;

// "250ms", "10s", "5m", "1h", "2d", or a bare number of seconds.
std::optional<Millis> parse_duration(std::string_view text);
// "16384", "64KiB", "10MiB", "1GiB" (also KB/MB/GB as powers of 1000).
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace aigw
