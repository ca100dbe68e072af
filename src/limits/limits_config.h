// The `limits:` section: the per-IP limit, and the default per-team and per-client rate
// limits (a team's own `teams.NAME.limits` win over `limits.team`; budget/budget_config.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "limits/client_ip.h"
#include "limits/rate_limiter.h"

namespace aigw::config {
class ConfigNode;
}

namespace aigw::limits {

struct IpLimitSettings {
  std::int64_t requests = 2000;  // per window; 0 turns the limit off
  std::chrono::milliseconds window{5 * 60 * 1000};
  std::vector<Cidr> trusted_proxies;
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
