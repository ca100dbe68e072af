// One circuit breaker per provider, shared by every thread of the gateway (and kept across
// config reloads): fed by every answer a provider gives, consulted when a routing config picks
// a target, so a dead or hanging provider is skipped at once instead of waited on.
// States and thresholds: docs/routing.md, "Circuit breakers".
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/duration.h"

namespace aigw::routing {

struct BreakerSettings {
  int consecutive_failures = 5;  // failures in a row that open the breaker
  double failure_rate = 0.5;     // ... or this share of the window's requests
  int min_requests = 20;         // ... once the window holds at least this many
  Millis window{60'000};
  Millis open_for{30'000};  // then one probe at a time (half-open)
  bool operator==(const BreakerSettings&) const = default;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view breaker_state_name(BreakerState state);

struct BreakerView {
  BreakerState state = BreakerState::kClosed;
  int consecutive_failures = 0;
  std::int64_t window_requests = 0;
  std::int64_t window_failures = 0;
  Millis retry_in{0};  // open: the time until it half-opens
};

class Breakers {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // May a routed request try `provider` now? Half-open, this claims the one probe.
  bool allow(std::string_view provider, TimePoint now, const BreakerSettings& settings);
  // An answer (or a failure to get one) from `provider`.
  void record(std::string_view provider, bool failed, TimePoint now,
              const BreakerSettings& settings);
  BreakerView view(std::string_view provider, TimePoint now, const BreakerSettings& settings) const;

 private:
  static constexpr std::size_t kBuckets = 10;
  struct Bucket {
    std::int64_t start_ms = 0;
    std::int64_t requests = 0;
    std::int64_t failures = 0;
  };
  struct Breaker {
    BreakerState state = BreakerState::kClosed;
    int consecutive_failures = 0;
    TimePoint opened_at{};
    std::optional<TimePoint> probe_started;  // half-open: the probe in flight
    std::array<Bucket, kBuckets> buckets{};
  };

  static void count(Breaker& b, bool failed, TimePoint now, const BreakerSettings& settings);
  static std::pair<std::int64_t, std::int64_t> window_totals(const Breaker& b, TimePoint now,
                                                             const BreakerSettings& settings);
  static void open(Breaker& b, TimePoint now);

  mutable std::mutex mutex_;
  std::map<std::string, Breaker, std::less<>> breakers_;
};

}  // namespace aigw::routing
