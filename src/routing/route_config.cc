// Parsing and checking a Portkey config (docs/routing.md, "The config schema").
#include "routing/route_config.h"

#include <boost/json.hpp>
#include <cctype>

#include "routing/conditions.h"

namespace aigw::routing {

namespace json = boost::json;

namespace {

constexpr int kMaxDepth = 8;
constexpr std::size_t kMaxTargets = 32;
constexpr int kMaxRetries = 5;
constexpr std::int64_t kMaxTimeoutMs = 3'600'000;

// Portkey accepts both spellings: onStatusCodes is on_status_codes.
std::string snake_case(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  for (const char ch : key) {
    if (std::isupper(static_cast<unsigned char>(ch))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else {
      out += ch;
    }
  }
  return out;
}

// Portkey keys aigw accepts and ignores (no cache, no guardrails) so configs load unchanged.
bool ignored_key(std::string_view key) {
  for (const auto* k :
       {"cache", "metadata", "input_guardrails", "output_guardrails", "before_request_hooks",
        "after_request_hooks", "forward_headers", "strict_open_ai_compliance"}) {
    if (key == k) return true;
  }
  return false;
}

// A JSON object with its keys in snake_case; a key written twice (both spellings) is an error.
Result<json::object> normalized(const json::value& value, const std::string& where) {
  if (!value.is_object()) return invalid_config(where, "expected an object");
  json::object out;
  for (const auto& [key, v] : value.as_object()) {
    std::string name = snake_case(key);
    if (out.contains(name)) return invalid_config(where + "." + name, "given twice");
    out[name] = v;
  }
  return out;
}

Result<std::vector<int>> status_list(const json::value& value, const std::string& where) {
  if (!value.is_array()) return invalid_config(where, "expected an array of HTTP status codes");
  std::vector<int> codes;
  for (const auto& item : value.as_array()) {
    if (!item.is_int64() || item.as_int64() < 100 || item.as_int64() > 599)
      return invalid_config(where, "expected HTTP status codes (100 to 599)");
    codes.push_back(static_cast<int>(item.as_int64()));
  }
  return codes;
}

Result<RetryPolicy> parse_retry(const json::value& value, const std::string& where) {
  auto retry = normalized(value, where);
  if (!retry) return retry.take_error();
  RetryPolicy policy;
  for (const auto& [key, v] : *retry) {
    const std::string at = where + "." + std::string(key);
    if (key == "attempts") {
      if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > kMaxRetries)
        return invalid_config(at, "expected an integer from 0 to 5");
      policy.attempts = static_cast<int>(v.as_int64());
    } else if (key == "on_status_codes") {
      auto codes = status_list(v, at);
      if (!codes) return codes.take_error();
      policy.on_status_codes = std::move(*codes);
    } else if (key == "use_retry_after_header") {
      if (!v.is_bool()) return invalid_config(at, "expected true or false");
      policy.use_retry_after_header = v.as_bool();
    } else {
      return invalid_config(at,
                            "unknown key (expected attempts, on_status_codes, "
                            "use_retry_after_header)");
    }
  }
  return policy;
}

std::optional<ApiError> parse_strategy(const json::value& value, const std::string& where,
                                       RouteNode& node) {
  auto strategy = normalized(value, where);
  if (!strategy) return strategy.take_error();
  const auto* mode = strategy->if_contains("mode");
  if (mode == nullptr || !mode->is_string())
    return invalid_config(where + ".mode", "expected single, fallback, loadbalance or conditional");
  const auto& m = mode->as_string();
  if (m == "single") {
    node.mode = Mode::kSingle;
  } else if (m == "fallback") {
    node.mode = Mode::kFallback;
  } else if (m == "loadbalance") {
    node.mode = Mode::kLoadBalance;
  } else if (m == "conditional") {
    node.mode = Mode::kConditional;
  } else {
    return invalid_config(where + ".mode", "expected single, fallback, loadbalance or conditional");
  }
  for (const auto& [key, v] : *strategy) {
    const std::string at = where + "." + std::string(key);
    if (key == "mode") continue;
    if (key == "on_status_codes") {
      auto codes = status_list(v, at);
      if (!codes) return codes.take_error();
      node.fallback_on = std::move(*codes);
    } else if (key == "conditions") {
      if (!v.is_array()) return invalid_config(at, "expected an array");
      std::size_t i = 0;
      for (const auto& item : v.as_array()) {
        const std::string item_at = at + "[" + std::to_string(i++) + "]";
        auto rule = normalized(item, item_at);
        if (!rule) return rule.take_error();
        const auto* query = rule->if_contains("query");
        const auto* then = rule->if_contains("then");
        if (query == nullptr) return invalid_config(item_at + ".query", "missing");
        if (then == nullptr || !then->is_string() || then->as_string().empty())
          return invalid_config(item_at + ".then", "expected the name of a target");
        if (rule->size() != 2) return invalid_config(item_at, "expected only query and then");
        auto parsed = Query::parse(*query, item_at + ".query");
        if (!parsed) return parsed.take_error();
        node.conditions.push_back({std::move(*parsed), std::string(then->as_string())});
      }
    } else if (key == "default") {
      if (!v.is_string()) return invalid_config(at, "expected the name of a target");
      node.default_target = v.as_string();
    } else {
      return invalid_config(at,
                            "unknown key (expected mode, on_status_codes, conditions, "
                            "default)");
    }
  }
  if (node.mode == Mode::kConditional && node.conditions.empty())
    return invalid_config(where + ".conditions", "a conditional strategy needs conditions");
  return std::nullopt;
}

std::optional<ApiError> check_secret(const json::value& v, const std::string& at,
                                     std::string& out) {
  if (!v.is_string() || v.as_string().empty() || v.as_string().size() > 4096)
    return invalid_config(at, "expected a non-empty string");
  for (const char ch : v.as_string()) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return invalid_config(at, "contains a control character");
  }
  out = v.as_string();
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(const ConfigCheck& check) : check_(check) {}

  // `parent` carries what children inherit (retry, override_params); null at the root.
  std::optional<ApiError> node(const json::value& value, const std::string& where,
                               const RouteNode* parent, int depth, RouteNode& out) {
    if (depth > kMaxDepth) return invalid_config(where, "nested deeper than 8 levels");
    if (++nodes_ > 256) return invalid_config(where, "more than 256 targets in all");
    auto object = normalized(value, where);
    if (!object) return object.take_error();
    out.path = where;
    if (parent != nullptr) {
      out.retry = parent->retry;
      out.override_params = parent->override_params;
    }
    const json::value* targets = nullptr;
    const json::value* strategy = nullptr;
    for (const auto& [key, v] : *object) {
      const std::string at = where + "." + std::string(key);
      if (key == "targets") {
        targets = &v;
      } else if (key == "strategy") {
        strategy = &v;
      } else if (auto bad = scalar_key(key, v, at, parent, out)) {
        return bad;
      }
    }
    if (strategy != nullptr) {
      if (auto bad = parse_strategy(*strategy, where + ".strategy", out)) return bad;
    }
    if (targets != nullptr) return children(*targets, where, depth, out);
    if (strategy != nullptr) return invalid_config(where + ".targets", "a strategy needs targets");
    // A leaf. The root may leave the provider to the x-portkey-provider header.
    if (out.provider.empty() && parent != nullptr)
      return invalid_config(where, "a target needs a provider or targets");
    return std::nullopt;
  }

 private:
  std::optional<ApiError> scalar_key(std::string_view key, const json::value& v,
                                     const std::string& at, const RouteNode* parent,
                                     RouteNode& out) {
    if (key == "provider") {
      if (!v.is_string() || v.as_string().empty())
        return invalid_config(at, "expected a provider's name");
      std::string_view name = v.as_string();
      if (name.size() > 1 && name.front() == '@') name.remove_prefix(1);  // Portkey's "@slug"
      if (!check_.provider_exists(name))
        return invalid_config(at, "no provider named " + std::string(name) + " is configured");
      return set_provider(std::string(name), at, out);
    } else if (key == "name") {
      if (!v.is_string()) return invalid_config(at, "expected a string");
      out.name = v.as_string();
    } else if (key == "weight") {
      if (!v.is_number() || v.to_number<double>() < 0 || v.to_number<double>() > 1e6)
        return invalid_config(at, "expected a number from 0 to 1000000");
      out.weight = v.to_number<double>();
    } else if (key == "override_params") {
      if (!v.is_object()) return invalid_config(at, "expected an object");
      for (const auto& [k, param] : v.as_object()) out.override_params[k] = param;
    } else if (key == "retry") {
      auto retry = parse_retry(v, at);
      if (!retry) return retry.take_error();
      out.retry = std::move(*retry);
    } else if (key == "request_timeout") {
      if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > kMaxTimeoutMs)
        return invalid_config(at, "expected milliseconds from 1 to 3600000");
      out.request_timeout = Millis(v.as_int64());
    } else if (key == "virtual_key") {
      if (!v.is_string() || v.as_string().empty()) return invalid_config(at, "expected a name");
      const std::string_view name = v.as_string();
      auto provider =
          check_.virtual_key_provider ? check_.virtual_key_provider(name) : std::nullopt;
      if (!provider) {
        return invalid_config(at, "no virtual key named " + std::string(name.substr(0, 64)) +
                                      " under routing.virtual_keys (the gateway holds the "
                                      "providers' keys: map the name to a configured provider)");
      }
      return set_provider(std::move(*provider), at, out);
    } else if (key == "api_key" || key == "custom_host") {
      if (!check_.allow_client_keys) {
        return invalid_config(at,
                              "the gateway holds the providers' keys and hosts; a config "
                              "may carry them only when the admin sets "
                              "routing.allow_client_keys");
      }
      return check_secret(v, at, key == "api_key" ? out.api_key : out.custom_host);
    } else if (!ignored_key(key)) {
      return invalid_config(at, "unknown key");
    }
    (void)parent;
    return std::nullopt;
  }

  // provider and virtual_key may both be given, if they agree.
  static std::optional<ApiError> set_provider(std::string name, const std::string& at,
                                              RouteNode& out) {
    if (!out.provider.empty() && out.provider != name)
      return invalid_config(
          at, "names provider " + name + " where the node already has " + out.provider);
    out.provider = std::move(name);
    return std::nullopt;
  }

  std::optional<ApiError> children(const json::value& targets, const std::string& where, int depth,
                                   RouteNode& out) {
    if (!out.provider.empty())
      return invalid_config(where + ".provider", "a node has either a provider or targets");
    if (!targets.is_array() || targets.as_array().empty())
      return invalid_config(where + ".targets", "expected a non-empty array");
    if (targets.as_array().size() > kMaxTargets)
      return invalid_config(where + ".targets", "more than 32 targets");
    std::size_t i = 0;
    for (const auto& item : targets.as_array()) {
      RouteNode child;
      const std::string at = where + ".targets[" + std::to_string(i++) + "]";
      if (auto bad = node(item, at, &out, depth + 1, child)) return bad;
      out.targets.push_back(std::move(child));
    }
    return check_names(where, out);
  }

  static std::optional<ApiError> check_names(const std::string& where, const RouteNode& node) {
    auto named = [&](const std::string& name) {
      for (const auto& t : node.targets)
        if (t.name == name) return true;
      return false;
    };
    for (std::size_t i = 0; i < node.conditions.size(); ++i) {
      if (!named(node.conditions[i].then)) {
        return invalid_config(where + ".strategy.conditions[" + std::to_string(i) + "].then",
                              "no target is named " + node.conditions[i].then);
      }
    }
    if (!node.default_target.empty() && !named(node.default_target))
      return invalid_config(where + ".strategy.default",
                            "no target is named " + node.default_target);
    if (node.mode == Mode::kLoadBalance) {
      double total = 0;
      for (const auto& t : node.targets) total += t.weight;
      if (total <= 0) return invalid_config(where + ".targets", "every weight is 0");
    }
    return std::nullopt;
  }

  const ConfigCheck& check_;
  int nodes_ = 0;
};

}  // namespace

ApiError invalid_config(std::string_view where, std::string_view what) {
  return bad_request("invalid x-portkey-config: " + std::string(where) + ": " + std::string(what));
}

Result<RouteNode> parse_route_config(const json::value& config, const ConfigCheck& check) {
  RouteNode root;
  Parser parser(check);
  if (auto bad = parser.node(config, "config", nullptr, 0, root)) return std::move(*bad);
  return root;
}

Result<RouteNode> parse_route_config_text(std::string_view json_text, const ConfigCheck& check) {
  boost::system::error_code ec;
  const json::value value = json::parse(json_text, ec);
  if (ec) return invalid_config("config", "not valid JSON (" + ec.message() + ")");
  return parse_route_config(value, check);
}

const RouteNode* first_leaf(const RouteNode& node) {
  return node.is_leaf() ? &node : first_leaf(node.targets.front());
}

void for_each_leaf(const RouteNode& node, const std::function<void(const RouteNode&)>& fn) {
  if (node.is_leaf()) return fn(node);
  for (const auto& child : node.targets) for_each_leaf(child, fn);
}

}  // namespace aigw::routing
