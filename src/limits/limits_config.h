// The `limits:` section: the per-IP limit (issue 4 adds team and client limits here).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "limits/client_ip.h"

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
};

LimitsSettings parse_limits_settings(const config::ConfigNode& node);

}  // namespace aigw::limits
