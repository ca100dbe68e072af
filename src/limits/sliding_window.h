// Per-key counters over a sliding window, in constant time and memory per key: the per-IP
// request limit, and the team/client requests- and tokens-per-minute limits (rate_limiter.h).
//
// Algorithm (the "sliding window counter", the approximation nginx-style limiters and CDNs
// use instead of keeping a timestamp per request): time is cut into fixed windows of length
// W aligned to multiples of W. For each key we keep the count of the current window and of
// the previous one. At time t a fraction f = (t - start of current window) / W of the
// current window has passed, and the count of the last W is estimated as
//
//     estimate(t) = previous * (1 - f) + current
//
// which assumes the previous window's events were spread evenly over it. A request of cost c
// is allowed while estimate + c <= limit. Each check is O(1): one hash lookup, a few
// multiplications, no per-request history. The estimate is exact when traffic is even and
// never lets more than 2 × limit through in any span of W.
//
// Retry-After: the estimate only falls as time passes (previous fades linearly, then current
// becomes previous), so the wait until a request fits is solved in closed form (wait_ms in
// the .cc), crossing into the next window when the current one alone is over the limit.
//
// Memory: one small entry per key seen in the last two windows, and at most `max_keys` of
// them. Each shard keeps its keys in order of last use (a list spliced on every access, O(1)).
// Expired keys are swept incrementally from the least recently used end: every call drops the
// expired keys there (and every 16th call of a thread does the same in another shard, if its
// lock is free), so the sweep keeps pace with insertions without ever walking a whole map
// under a lock. When a new key would pass the cap, the least recently used key of its shard
// is dropped (an expired one if there is any: the least recently used are the first to
// expire). A key under attack stays: every refused request uses it again, so flooding the
// table with new keys evicts the quiet ones first.
//
// Threads: keys are spread over kShards maps, each with its own mutex (striped locking), so
// concurrent requests for different keys rarely contend. Time is passed in (`now_ms`, any
// monotonic milliseconds) so tests drive the clock; a caller whose `now_ms` is slightly older
// than another thread's (taken before the lock) is counted in the newer window, never resets it.
//
// Replicas (a shared state store, state/usage_store.h): every flush interval the store takes
// what this replica counted in the keys it used (take_unshared), adds it to Redis, and hands
// back each key's totals over all replicas (set_shared); the others' part (total minus what
// this replica handed out) is added to the estimate. Windows then start at multiples of W in
// wall-clock ms (the callers pass unix ms), so every replica cuts time the same way. A key is
// read back only when used here since the last sync: the first request of a key after a quiet
// spell sees the others' counts of up to one sync ago.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "limits/hashed_key.h"
#include "state/state_settings.h"
#include "state/usage_store.h"

namespace aigw::limits {

struct WindowDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;            // what still fits now (after counting this request)
  std::int64_t retry_after_seconds = 0;  // when denied: until the request would fit (>= 1)
  std::int64_t reset_ms = 0;             // until everything counted so far has slid out
  // Denied because the other replicas' counts are out of date and limits fail closed.
  bool unavailable = false;
};

// Counts per key; the limit is given with each call so one counter serves keys whose limits
// differ or change at run time (team limits set through the admin API).
class SlidingWindowCounter final : public state::SharedWindowCounter {
 public:
  // max_keys: the most keys kept (0 = no cap), spread over the shards (each keeps at most
  // max_keys / kShards, rounded up).
  explicit SlidingWindowCounter(std::chrono::milliseconds window, std::size_t max_keys = 0);

  // Counts `cost` when estimate + cost <= limit. limit <= 0 means off: allowed, nothing kept.
  WindowDecision check_and_count(const HashedKey& key, std::int64_t limit, std::int64_t now_ms,
                                 std::int64_t cost = 1);
  // Would a cost of 1 fit? Counts nothing (token limits: the cost is known only afterwards).
  WindowDecision peek(const HashedKey& key, std::int64_t limit, std::int64_t now_ms);
  // Counts `amount` unconditionally (tokens after a response, a request already admitted);
  // returns the state after it, measured against `limit` (allowed: still under it).
  WindowDecision add(const HashedKey& key, std::int64_t amount, std::int64_t now_ms,
                     std::int64_t limit = 0);
  // The estimate of the last window for `key` (0 for unknown keys).
  double estimate(const HashedKey& key, std::int64_t now_ms);

  std::chrono::milliseconds window() const { return std::chrono::milliseconds(window_ms_); }
  std::size_t tracked_keys() const;

  // state::SharedWindowCounter.
  std::int64_t window_ms() const override { return window_ms_; }
  std::vector<Counts> take_unshared(std::int64_t now_ms) override;
  void set_shared(const Counts& totals) override;
  void set_shared_current(bool current) override { shared_stale_ = !current; }
  // state.on_failure.limits: kClosed refuses every limited key (unavailable) while the
  // others' counts are out of date; kOpen (the default) counts on with what is known.
  void set_fail_mode(state::FailMode mode) { fail_closed_ = mode == state::FailMode::kClosed; }
  static constexpr std::size_t kShards = 16;

 private:
  struct Counter;
  // Most recently used first: the map's entries (node-based: their addresses are stable).
  using LruList = std::list<std::pair<const std::string, Counter>*>;
  struct Counter {
    std::int64_t window_start = 0;
    std::int64_t current = 0;
    std::int64_t previous = 0;
    LruList::iterator lru;
    // Replicas: how much of current/previous was handed out, what the others counted in the
    // same windows, and whether the key is on its shard's list of keys used since the sync.
    std::int64_t sent_current = 0;
    std::int64_t sent_previous = 0;
    std::int64_t others_current = 0;
    std::int64_t others_previous = 0;
    bool unshared = false;
    std::size_t hash = 0;  // of the key: the sweep erases without hashing it again
  };
  using Map = HashedMap<Counter>;
  struct Shard {
    mutable std::mutex mutex;
    Map counters;
    LruList lru;
    std::vector<std::string> unshared;  // keys counted since the last take_unshared (replicas)
  };
  // Expired keys dropped per call at most: bounds the time a call holds its shard's lock.
  static constexpr std::size_t kSweepPerCall = 8;

  Shard& shard_for(const HashedKey& key) { return shards_[key.hash % kShards]; }
  Counter& counter(Shard& shard, const HashedKey& key, std::int64_t now_ms);
  void roll(Counter& c, std::int64_t now_ms) const;
  void sweep_some(Shard& shard, std::int64_t now_ms) const;
  static void erase_least_recent(Shard& shard);
  void sweep_elsewhere(std::int64_t now_ms);
  WindowDecision decide(const Counter& c, std::int64_t limit, std::int64_t now_ms,
                        std::int64_t cost) const;
  // Puts a key just counted on its shard's list for the next take_unshared (when sharing).
  void note_counted(Shard& shard, Counter& c, std::string_view key);

  std::int64_t window_ms_;
  std::size_t max_per_shard_;         // 0: no cap
  std::atomic<bool> sharing_{false};  // set by the first take_unshared
  std::atomic<bool> shared_stale_{false};
  std::atomic<bool> fail_closed_{false};
  // The refusal while the shared counts are stale and limits fail closed, else nullopt.
  std::optional<WindowDecision> refusal_while_stale(std::int64_t limit) const;
  std::array<Shard, kShards> shards_;
};

// One fixed limit per window for every key: the per-IP limit (limits.ip).
class SlidingWindowLimiter {
 public:
  // limit <= 0 turns the limiter off (everything allowed). max_keys: SlidingWindowCounter's cap.
  SlidingWindowLimiter(std::int64_t limit, std::chrono::milliseconds window,
                       std::size_t max_keys = 0);

  // Counts the request when it is allowed. `now_ms`: any monotonic milliseconds.
  WindowDecision check_and_count(const HashedKey& key, std::int64_t now_ms) {
    return counter_.check_and_count(key, limit_, now_ms);
  }
  std::int64_t limit() const { return limit_; }
  std::chrono::milliseconds window() const { return counter_.window(); }
  std::size_t tracked_keys() const { return counter_.tracked_keys(); }
  SlidingWindowCounter& counter() { return counter_; }  // for sharing across replicas

 private:
  std::int64_t limit_;
  SlidingWindowCounter counter_;
};

}  // namespace aigw::limits
