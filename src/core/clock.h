// The one source of time on the request path, injected (GatewayShared::clock) so that every
// part reads the same clock and a test can hold it still or move it.
#pragma once

#include <chrono>
#include <cstdint>

namespace aigw {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic: windows, timeouts, latencies.
  virtual std::chrono::steady_clock::time_point steady() const {
    return std::chrono::steady_clock::now();
  }
  // Wall time: token expiry, budget periods, ledger rows.
  virtual std::chrono::system_clock::time_point wall() const {
    return std::chrono::system_clock::now();
  }

  std::int64_t steady_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady().time_since_epoch())
        .count();
  }
  // Wall time in ms: the rate windows' time, so that replicas agree on where windows start.
  std::int64_t unix_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall().time_since_epoch()).count();
  }
  std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(wall().time_since_epoch()).count();
  }
  double millis_since(std::chrono::steady_clock::time_point start) const {
    return std::chrono::duration<double, std::milli>(steady() - start).count();
  }
};

}  // namespace aigw
