// Sliding-window counters: the estimate, its closed-form Retry-After and the incremental sweep.
#include "limits/sliding_window.h"

#include <algorithm>
#include <cmath>

namespace aigw::limits {
namespace {

std::int64_t window_start_of(std::int64_t now_ms, std::int64_t window_ms) {
  const std::int64_t r = now_ms % window_ms;
  return now_ms - (r < 0 ? r + window_ms : r);
}

double elapsed_fraction(std::int64_t start, std::int64_t now_ms, std::int64_t window_ms) {
  const double f = static_cast<double>(now_ms - start) / static_cast<double>(window_ms);
  return std::clamp(f, 0.0, 1.0);
}

// Milliseconds until previous * (1 - f) + current <= target. The estimate falls linearly while
// the previous window fades; if the current window alone is over the target, only its turn as
// the previous window (fading in the next one) brings it down.
double wait_ms(std::int64_t previous, std::int64_t current, double f, std::int64_t window_ms,
               double target) {
  const double w = static_cast<double>(window_ms);
  const double prev = static_cast<double>(previous);
  const double cur = static_cast<double>(current);
  if (target < 0) return 2 * w;  // a cost above the limit never fits; say "two windows"
  if (cur <= target) {
    if (prev * (1.0 - f) + cur <= target) return 0;
    const double f_needed = 1.0 - (target - cur) / prev;  // prev > 0 here
    return std::max(0.0, (f_needed - f) * w);
  }
  const double f_next = 1.0 - target / cur;
  return (1.0 - f) * w + f_next * w;
}

}  // namespace

SlidingWindowCounter::SlidingWindowCounter(std::chrono::milliseconds window, std::size_t max_keys)
    : window_ms_(std::max<std::int64_t>(window.count(), 1)),
      max_per_shard_(max_keys == 0 ? 0 : (max_keys + kShards - 1) / kShards) {}

void SlidingWindowCounter::roll(Counter& c, std::int64_t now_ms) const {
  const std::int64_t start = window_start_of(now_ms, window_ms_);
  // A thread that read the clock just before another one rolled the window lands here with an
  // older start: count it in the newer window rather than wiping the counts.
  if (start <= c.window_start) return;
  // One window later, the current count becomes the previous one; later than that, both empty.
  const bool next = start - c.window_start == window_ms_;
  c.previous = next ? c.current : 0;
  c.sent_previous = next ? c.sent_current : 0;
  c.others_previous = next ? c.others_current : 0;
  c.current = 0;
  c.sent_current = 0;
  c.others_current = 0;
  c.window_start = start;
}

void SlidingWindowCounter::erase_least_recent(Shard& shard) {
  const auto* entry = shard.lru.back();
  shard.lru.pop_back();
  shard.counters.erase(shard.counters.find(HashedKey{entry->first, entry->second.hash}));
}

void SlidingWindowCounter::sweep_some(Shard& shard, std::int64_t now_ms) const {
  // The least recently used keys are at the back; the first one still in its windows ends the
  // sweep (those before it were used later).
  for (std::size_t n = 0; n < kSweepPerCall && !shard.lru.empty(); ++n) {
    if (now_ms - shard.lru.back()->second.window_start < 2 * window_ms_) return;
    erase_least_recent(shard);
  }
}

void SlidingWindowCounter::sweep_elsewhere(std::int64_t now_ms) {
  // Every 16th call of a thread also sweeps another shard, if nobody holds it, so a shard whose
  // keys all went quiet is emptied too. A thread-local tick: no shared counter to contend on.
  thread_local std::size_t tick = 0;
  if ((++tick & 15) != 0) return;
  Shard& other = shards_[(tick >> 4) % kShards];
  if (!other.mutex.try_lock()) return;
  sweep_some(other, now_ms);
  other.mutex.unlock();
}

SlidingWindowCounter::Counter& SlidingWindowCounter::counter(Shard& shard, const HashedKey& key,
                                                             std::int64_t now_ms) {
  sweep_some(shard, now_ms);
  auto it = shard.counters.find(key);
  if (it == shard.counters.end()) {
    // Full: the least recently used key makes room (expired ones went in the sweep above).
    if (max_per_shard_ != 0 && shard.counters.size() >= max_per_shard_) erase_least_recent(shard);
    Counter fresh;
    fresh.window_start = window_start_of(now_ms, window_ms_);
    fresh.hash = key.hash;
    it = shard.counters.emplace(std::string(key.key), fresh).first;
    shard.lru.push_front(&*it);
    it->second.lru = shard.lru.begin();
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
  }
  roll(it->second, now_ms);
  return it->second;
}

WindowDecision SlidingWindowCounter::decide(const Counter& c, std::int64_t limit,
                                            std::int64_t now_ms, std::int64_t cost) const {
  const std::int64_t now = std::max(now_ms, c.window_start);
  const double f = elapsed_fraction(c.window_start, now, window_ms_);
  const std::int64_t previous = c.previous + c.others_previous;
  const std::int64_t current = c.current + c.others_current;
  const double estimate = static_cast<double>(previous) * (1.0 - f) + static_cast<double>(current);
  WindowDecision d;
  d.limit = limit;
  // The tolerance absorbs rounding, so a retry at exactly Retry-After is not refused by 1e-12.
  d.allowed = estimate + static_cast<double>(cost) <= static_cast<double>(limit) + 1e-9;
  d.remaining = std::max<std::int64_t>(
      0, static_cast<std::int64_t>(std::floor(static_cast<double>(limit) - estimate)));
  if (!d.allowed) {
    const double ms = wait_ms(previous, current, f, window_ms_, static_cast<double>(limit - cost));
    d.retry_after_seconds =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(ms / 1000.0)));
  }
  if (current > 0) {
    d.reset_ms = c.window_start + 2 * window_ms_ - now;
  } else if (previous > 0) {
    d.reset_ms = c.window_start + window_ms_ - now;
  }
  return d;
}

std::optional<WindowDecision> SlidingWindowCounter::refusal_while_stale(std::int64_t limit) const {
  if (!fail_closed_.load(std::memory_order_relaxed) ||
      !shared_stale_.load(std::memory_order_relaxed))
    return std::nullopt;
  WindowDecision d{false, limit, 0, 1, 0};
  d.unavailable = true;
  return d;
}

WindowDecision SlidingWindowCounter::check_and_count(const HashedKey& key, std::int64_t limit,
                                                     std::int64_t now_ms, std::int64_t cost) {
  if (limit <= 0) return WindowDecision{};
  if (auto refused = refusal_while_stale(limit)) return *refused;
  sweep_elsewhere(now_ms);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  Counter& c = counter(shard, key, now_ms);
  WindowDecision d = decide(c, limit, now_ms, cost);
  if (!d.allowed) return d;
  c.current += cost;
  note_counted(shard, c, key.key);
  d.remaining = std::max<std::int64_t>(0, d.remaining - cost);
  d.reset_ms = c.window_start + 2 * window_ms_ - std::max(now_ms, c.window_start);
  return d;
}

WindowDecision SlidingWindowCounter::peek(const HashedKey& key, std::int64_t limit,
                                          std::int64_t now_ms) {
  if (limit <= 0) return WindowDecision{};
  if (auto refused = refusal_while_stale(limit)) return *refused;
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counters.find(key);
  if (it == shard.counters.end()) return WindowDecision{true, limit, limit, 0, 0};
  roll(it->second, now_ms);
  return decide(it->second, limit, now_ms, 1);
}

WindowDecision SlidingWindowCounter::add(const HashedKey& key, std::int64_t amount,
                                         std::int64_t now_ms, std::int64_t limit) {
  if (amount <= 0) return WindowDecision{};
  sweep_elsewhere(now_ms);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  Counter& c = counter(shard, key, now_ms);
  c.current += amount;
  note_counted(shard, c, key.key);
  return decide(c, limit, now_ms, 0);
}

double SlidingWindowCounter::estimate(const HashedKey& key, std::int64_t now_ms) {
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counters.find(key);
  if (it == shard.counters.end()) return 0;
  roll(it->second, now_ms);
  const Counter& c = it->second;
  const double f = elapsed_fraction(c.window_start, std::max(now_ms, c.window_start), window_ms_);
  return static_cast<double>(c.previous + c.others_previous) * (1.0 - f) +
         static_cast<double>(c.current + c.others_current);
}

void SlidingWindowCounter::note_counted(Shard& shard, Counter& c, std::string_view key) {
  if (c.unshared || !sharing_.load(std::memory_order_relaxed)) return;
  c.unshared = true;
  shard.unshared.emplace_back(key);
}

std::vector<state::SharedWindowCounter::Counts> SlidingWindowCounter::take_unshared(
    std::int64_t now_ms) {
  sharing_.store(true, std::memory_order_relaxed);
  std::vector<Counts> out;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    std::vector<std::string> keys;
    keys.swap(shard.unshared);
    for (auto& key : keys) {
      const auto it = shard.counters.find(key);
      if (it == shard.counters.end()) continue;  // evicted since
      Counter& c = it->second;
      roll(c, now_ms);
      c.unshared = false;
      out.push_back({std::move(key), c.window_start, c.current - c.sent_current,
                     c.previous - c.sent_previous});
      c.sent_current = c.current;
      c.sent_previous = c.previous;
    }
  }
  return out;
}

void SlidingWindowCounter::set_shared(const Counts& totals) {
  const HashedKey key(totals.key);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.counters.find(key);
  if (it == shard.counters.end()) return;
  Counter& c = it->second;
  if (totals.window_start_ms == c.window_start) {
    c.others_current = std::max<std::int64_t>(0, totals.current - c.sent_current);
    c.others_previous = std::max<std::int64_t>(0, totals.previous - c.sent_previous);
  } else if (totals.window_start_ms + window_ms_ == c.window_start) {
    c.others_previous = std::max<std::int64_t>(0, totals.current - c.sent_previous);
  }
}

std::size_t SlidingWindowCounter::tracked_keys() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.counters.size();
  }
  return n;
}

SlidingWindowLimiter::SlidingWindowLimiter(std::int64_t limit, std::chrono::milliseconds window,
                                           std::size_t max_keys)
    : limit_(limit), counter_(window, max_keys) {}

}  // namespace aigw::limits
