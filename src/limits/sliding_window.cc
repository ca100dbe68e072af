#include "limits/sliding_window.h"

#include <algorithm>
#include <cmath>

namespace aigw::limits {

SlidingWindowLimiter::SlidingWindowLimiter(std::int64_t limit, std::chrono::milliseconds window)
    : limit_(limit), window_ms_(std::max<std::int64_t>(window.count(), 1)) {}

void SlidingWindowLimiter::roll(Counter& c, std::int64_t now_ms) const {
  const std::int64_t start = now_ms - now_ms % window_ms_;
  if (start == c.window_start) return;
  // One window later, the current count becomes the previous one; later than that, both empty.
  c.previous = start - c.window_start == window_ms_ ? c.current : 0;
  c.current = 0;
  c.window_start = start;
}

void SlidingWindowLimiter::sweep(Shard& shard, std::int64_t now_ms) const {
  // Keys idle for two windows count nothing any more: forget them (bounded memory).
  if (now_ms - shard.last_sweep < window_ms_) return;
  shard.last_sweep = now_ms;
  std::erase_if(shard.counters, [&](const auto& e) { return now_ms - e.second.window_start >= 2 * window_ms_; });
}

WindowDecision SlidingWindowLimiter::check_and_count(std::string_view key, std::int64_t now_ms) {
  if (limit_ <= 0) return {true, 0, 0, 0};
  Shard& shard = shards_[Hash{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  sweep(shard, now_ms);
  auto it = shard.counters.find(key);
  if (it == shard.counters.end()) it = shard.counters.emplace(std::string(key), Counter{now_ms - now_ms % window_ms_, 0, 0}).first;
  Counter& c = it->second;
  roll(c, now_ms);
  const double elapsed = static_cast<double>(now_ms - c.window_start) / static_cast<double>(window_ms_);
  const double estimate = static_cast<double>(c.previous) * (1.0 - elapsed) + static_cast<double>(c.current);
  WindowDecision d{true, limit_, 0, 0};
  if (estimate + 1 > static_cast<double>(limit_)) {
    d.allowed = false;
    // When does previous * (1 - f) + current drop to limit - 1? If the current window alone
    // is full, only the next window helps.
    double wait_ms = static_cast<double>(window_ms_) * (1.0 - elapsed);
    if (c.previous > 0 && c.current + 1 <= limit_) {
      const double f_needed = 1.0 - static_cast<double>(limit_ - 1 - c.current) / static_cast<double>(c.previous);
      wait_ms = std::max(0.0, (f_needed - elapsed) * static_cast<double>(window_ms_));
    }
    d.retry_after_seconds = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait_ms / 1000.0)));
    return d;
  }
  ++c.current;
  d.remaining = std::max<std::int64_t>(0, limit_ - static_cast<std::int64_t>(std::ceil(estimate + 1)));
  return d;
}

std::size_t SlidingWindowLimiter::tracked_keys() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.counters.size();
  }
  return n;
}

}  // namespace aigw::limits
