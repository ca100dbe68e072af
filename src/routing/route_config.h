// A Portkey routing config (the `x-portkey-config` header, `routing.configs` in the YAML, a
// team's pinned config), parsed and checked once into an immutable tree. Pure: no I/O.
// Schema and semantics: docs/routing.md.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.h"
#include "core/result.h"

namespace aigw::routing {

class Query;  // conditions.h

enum class Mode { kSingle, kFallback, kLoadBalance, kConditional };

struct RetryPolicy {
  int attempts = 0;  // retries after the first try, 0–5
  std::vector<int> on_status_codes{429, 500, 502, 503, 504};
  bool use_retry_after_header = false;  // Portkey's default
};

struct ConditionRule {
  std::shared_ptr<const Query> query;
  std::string then;  // a target's name
};

// One node of the tree: a leaf names a provider; an inner node has targets and a mode.
// Inherited settings (retry, override_params) are already merged into each node.
struct RouteNode {
  std::string path = "config";  // JSON path in the config, e.g. config.targets[1]
  std::string name;
  std::string provider;     // leaves: a configured provider
  std::string api_key;      // leaves, bring-your-own-key only
  std::string custom_host;  // leaves, bring-your-own-key only
  boost::json::object override_params;
  double weight = 1.0;
  RetryPolicy retry;
  std::optional<Millis> request_timeout;  // this node's own deadline
  Mode mode = Mode::kSingle;
  std::vector<int> fallback_on;  // empty: any non-2xx
  std::vector<ConditionRule> conditions;
  std::string default_target;
  std::vector<RouteNode> targets;

  bool is_leaf() const { return targets.empty(); }
};

// What a config is checked against.
struct ConfigCheck {
  std::function<bool(std::string_view provider)> provider_exists;
  bool allow_client_keys = false;
  // routing.virtual_keys: a Portkey virtual key's name → the configured provider it stands
  // for (it carries no secret, so it needs no opt-in). Null or nullopt: not defined.
  std::function<std::optional<std::string>(std::string_view name)> virtual_key_provider;
};

// Parses a config; the error (400) names the field and what is wrong with it.
Result<RouteNode> parse_route_config(const boost::json::value& config, const ConfigCheck& check);
// The `x-portkey-config` header's JSON text.
Result<RouteNode> parse_route_config_text(std::string_view json_text, const ConfigCheck& check);

// The 400 for a config error: "invalid x-portkey-config: WHERE: WHAT".
ApiError invalid_config(std::string_view where, std::string_view what);

// The first leaf in tree order (the one a request stands for before any target answered).
const RouteNode* first_leaf(const RouteNode& node);

// Every leaf of a tree, depth first (for checks and listings).
void for_each_leaf(const RouteNode& node, const std::function<void(const RouteNode&)>& fn);

}  // namespace aigw::routing
