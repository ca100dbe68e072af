// The `limits:` section: the per-IP limit, and the default per-team and per-client rate
// limits (a team's own `teams.NAME.limits` win over `limits.team`; budget/budget_config.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "limits/client_ip.h"

namespace aigw::config {
class ConfigNode;
}

namespace aigw::limits {

// A team's or a client's per-minute limits (limits.team, limits.client, teams.NAME.limits).
struct RateLimits {
  std::int64_t requests_per_minute = 0;  // 0 = off
  std::int64_t tokens_per_minute = 0;    // 0 = off
  bool any() const { return requests_per_minute > 0 || tokens_per_minute > 0; }
  bool operator==(const RateLimits&) const = default;
};

struct IpLimitSettings {
  std::int64_t requests = 2000;  // per window; 0 turns the limit off
  std::chrono::milliseconds window{5 * 60 * 1000};
  std::vector<Cidr> trusted_proxies;
  // Clients are counted per network: an IPv6 host usually holds a whole /64.
  int ipv4_prefix = 32;
  int ipv6_prefix = 64;
  // The most client networks tracked at once; past it the least recently seen is forgotten.
  std::size_t max_tracked = 100'000;
};

struct LimitsSettings {
  IpLimitSettings ip;
  RateLimits team;    // for teams without their own `limits:`; 0 = off
  RateLimits client;  // every client id; 0 = off
};

LimitsSettings parse_limits_settings(const config::ConfigNode& node);
// { requests_per_minute: N, tokens_per_minute: N }, both optional, 0 = off.
RateLimits parse_rate_limits(const config::ConfigNode& node);

}  // namespace aigw::limits
