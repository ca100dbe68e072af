// A per-key request limiter over a sliding window, in constant time and memory per key.
//
// Algorithm (the "sliding window counter", as used by nginx-style limiters and CDNs): time
// is cut into fixed windows of length W. For each key we keep the count of the current
// window and of the previous one. At time t, a fraction f = (t - start of current) / W of
// the current window has passed, and the requests of the last W seconds are estimated as
//     previous * (1 - f) + current
// which assumes the previous window's requests were spread evenly. A request is allowed
// while that estimate is below the limit. The error is bounded by the previous window's
// unevenness and never lets more than 2 × limit through in any W.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aigw::limits {

struct WindowDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t retry_after_seconds = 0;  // when denied: until the estimate drops below the limit
};

class SlidingWindowLimiter {
 public:
  // limit <= 0 turns the limiter off (everything allowed).
  SlidingWindowLimiter(std::int64_t limit, std::chrono::milliseconds window);

  // Counts the request when it is allowed. `now_ms`: any monotonic milliseconds.
  WindowDecision check_and_count(std::string_view key, std::int64_t now_ms);
  std::int64_t limit() const { return limit_; }
  std::chrono::milliseconds window() const { return std::chrono::milliseconds(window_ms_); }
  std::size_t tracked_keys() const;

 private:
  struct Counter {
    std::int64_t window_start = 0;
    std::int64_t current = 0;
    std::int64_t previous = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Counter, Hash, std::equal_to<>> counters;
    std::int64_t last_sweep = 0;
  };
  static constexpr std::size_t kShards = 16;

  void roll(Counter& c, std::int64_t now_ms) const;
  void sweep(Shard& shard, std::int64_t now_ms) const;

  std::int64_t limit_;
  std::int64_t window_ms_;
  std::array<Shard, kShards> shards_;
};

}  // namespace aigw::limits
