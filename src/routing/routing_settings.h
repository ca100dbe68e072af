// The `routing:` section: named configs, bring-your-own-key, backoff and breaker settings.
// Owned by the routing part; config/ assembles it after the providers (configs name them).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/config_node.h"
#include "routing/breaker.h"
#include "routing/route_config.h"
#include "routing/route_walk.h"

namespace aigw::routing {

struct RoutingSettings {
  bool allow_client_keys = false;
  WalkPolicy walk;
  BreakerSettings breaker;
  // routing.virtual_keys: Portkey virtual key names → configured providers.
  std::map<std::string, std::string, std::less<>> virtual_keys;
  // routing.configs: checked at load, named by x-portkey-config or teams.NAME.config.
  std::map<std::string, std::shared_ptr<const RouteNode>, std::less<>> configs;
};

// The check a config (named or from a header) is held to under these settings.
ConfigCheck config_check(const RoutingSettings& settings,
                         std::function<bool(std::string_view)> provider_exists);

RoutingSettings parse_routing_settings(
    const config::ConfigNode& node, const std::function<bool(std::string_view)>& provider_exists);

}  // namespace aigw::routing
