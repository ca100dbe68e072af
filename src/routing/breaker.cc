#include "routing/breaker.h"

#include <algorithm>

namespace aigw::routing {

namespace {

std::int64_t ms_of(Breakers::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t bucket_ms(const BreakerSettings& s) {
  return std::max<std::int64_t>(1, s.window.count() / 10);
}

}  // namespace

std::string_view breaker_state_name(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

void Breakers::open(Breaker& b, TimePoint now) {
  b.state = BreakerState::kOpen;
  b.opened_at = now;
  b.probe_started.reset();
}

// A ring of ten buckets, each a tenth of the window: old buckets are reused, so the failure
// rate covers the last window without keeping every request.
void Breakers::count(Breaker& b, bool failed, TimePoint now, const BreakerSettings& settings) {
  const std::int64_t width = bucket_ms(settings);
  const std::int64_t start = ms_of(now) / width * width;
  Bucket& bucket = b.buckets[static_cast<std::size_t>(start / width) % kBuckets];
  if (bucket.start_ms != start) bucket = Bucket{start, 0, 0};
  ++bucket.requests;
  if (failed) ++bucket.failures;
}

std::pair<std::int64_t, std::int64_t> Breakers::window_totals(const Breaker& b, TimePoint now,
                                                              const BreakerSettings& settings) {
  const std::int64_t oldest = ms_of(now) - bucket_ms(settings) * kBuckets;
  std::int64_t requests = 0;
  std::int64_t failures = 0;
  for (const auto& bucket : b.buckets) {
    if (bucket.start_ms <= oldest) continue;
    requests += bucket.requests;
    failures += bucket.failures;
  }
  return {requests, failures};
}

bool Breakers::allow(std::string_view provider, TimePoint now, const BreakerSettings& settings) {
  std::lock_guard lock(mutex_);
  const auto it = breakers_.find(provider);
  if (it == breakers_.end()) return true;
  Breaker& b = it->second;
  if (b.state == BreakerState::kClosed) return true;
  if (b.state == BreakerState::kOpen) {
    if (now - b.opened_at < settings.open_for) return false;
    b.state = BreakerState::kHalfOpen;
  }
  // Half-open: one probe at a time; a probe that never reported (its caller left) is replaced
  // after open_for.
  if (b.probe_started && now - *b.probe_started < settings.open_for) return false;
  b.probe_started = now;
  return true;
}

void Breakers::record(std::string_view provider, bool failed, TimePoint now,
                      const BreakerSettings& settings) {
  std::lock_guard lock(mutex_);
  // Providers are the config's (bounded): every one gets its breaker on its first answer.
  auto it = breakers_.find(provider);
  if (it == breakers_.end()) it = breakers_.emplace(std::string(provider), Breaker{}).first;
  Breaker& b = it->second;
  count(b, failed, now, settings);
  if (!failed) {
    b.consecutive_failures = 0;
    if (b.state != BreakerState::kClosed) {
      b.state = BreakerState::kClosed;  // the probe (or any request) got through
      b.probe_started.reset();
      b.buckets = {};
    }
    return;
  }
  ++b.consecutive_failures;
  if (b.state == BreakerState::kHalfOpen) return open(b, now);
  if (b.state == BreakerState::kOpen) return;
  const auto [requests, failures] = window_totals(b, now, settings);
  const bool too_many_in_a_row =
      settings.consecutive_failures > 0 && b.consecutive_failures >= settings.consecutive_failures;
  const bool rate_too_high =
      requests >= settings.min_requests && requests > 0 &&
      static_cast<double>(failures) >= settings.failure_rate * static_cast<double>(requests);
  if (too_many_in_a_row || rate_too_high) open(b, now);
}

BreakerView Breakers::view(std::string_view provider, TimePoint now,
                           const BreakerSettings& settings) const {
  std::lock_guard lock(mutex_);
  BreakerView v;
  const auto it = breakers_.find(provider);
  if (it == breakers_.end()) return v;
  const Breaker& b = it->second;
  v.state = b.state;
  if (b.state == BreakerState::kOpen && now - b.opened_at >= settings.open_for)
    v.state = BreakerState::kHalfOpen;  // the next routed request probes it
  v.consecutive_failures = b.consecutive_failures;
  std::tie(v.window_requests, v.window_failures) = window_totals(b, now, settings);
  if (v.state == BreakerState::kOpen) {
    v.retry_in = std::chrono::duration_cast<Millis>(settings.open_for - (now - b.opened_at));
  }
  return v;
}

}  // namespace aigw::routing
