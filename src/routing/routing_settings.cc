#include "routing/routing_settings.h"

#include <boost/json.hpp>
#include <charconv>

namespace aigw::routing {

namespace json = boost::json;

namespace {

// A YAML scalar as the JSON value it reads as: YAML configs are written like the JSON ones
// (`attempts: 2`, `use_retry_after_header: true`, `model: gpt-4o`).
json::value scalar_value(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  std::int64_t i = 0;
  const char* end = text.data() + text.size();
  if (auto r = std::from_chars(text.data(), end, i);
      r.ec == std::errc() && r.ptr == end && !text.empty())
    return i;
  double d = 0;
  if (auto r = std::from_chars(text.data(), end, d);
      r.ec == std::errc() && r.ptr == end && !text.empty())
    return d;
  return json::string(text);
}

json::value to_json(const config::ConfigNode& node) {
  if (!node.defined()) return nullptr;
  if (node.is_map()) {
    json::object o;
    node.for_each_entry(
        [&](const std::string& key, const config::ConfigNode& child) { o[key] = to_json(child); });
    return o;
  }
  if (node.is_sequence()) {
    json::array a;
    node.for_each_item([&](const config::ConfigNode& child) { a.push_back(to_json(child)); });
    return a;
  }
  return scalar_value(node.scalar());
}

BreakerSettings parse_breaker(const config::ConfigNode& node) {
  BreakerSettings b;
  if (!node.defined()) return b;
  node.allow_keys({"consecutive_failures", "failure_rate", "min_requests", "window", "open_for"});
  b.consecutive_failures =
      static_cast<int>(node.integer("consecutive_failures", b.consecutive_failures));
  if (b.consecutive_failures < 0 || b.consecutive_failures > 1000)
    node.child("consecutive_failures").fail("expected 0 (off) to 1000");
  if (node.has("failure_rate")) {
    const std::string text = node.str("failure_rate");
    double rate = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), rate);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !(rate > 0 && rate <= 1))
      node.child("failure_rate").fail("expected a share above 0 and at most 1, e.g. 0.5");
    b.failure_rate = rate;
  }
  b.min_requests = static_cast<int>(node.integer("min_requests", b.min_requests));
  if (b.min_requests < 1 || b.min_requests > 1'000'000)
    node.child("min_requests").fail("expected 1 to 1000000");
  b.window = node.duration("window", b.window);
  b.open_for = node.duration("open_for", b.open_for);
  if (b.window.count() < 10) node.child("window").fail("expected at least 10ms");
  if (b.open_for.count() < 1) node.child("open_for").fail("expected at least 1ms");
  return b;
}

}  // namespace

ConfigCheck config_check(const RoutingSettings& settings,
                         std::function<bool(std::string_view)> provider_exists) {
  return {std::move(provider_exists), settings.allow_client_keys,
          [&settings](std::string_view name) -> std::optional<std::string> {
            const auto it = settings.virtual_keys.find(name);
            if (it == settings.virtual_keys.end()) return std::nullopt;
            return it->second;
          }};
}

RoutingSettings parse_routing_settings(
    const config::ConfigNode& node, const std::function<bool(std::string_view)>& provider_exists) {
  RoutingSettings s;
  if (!node.defined()) return s;
  node.allow_keys({"allow_client_keys", "max_retry_after", "backoff_base", "backoff_max", "breaker",
                   "virtual_keys", "configs"});
  s.allow_client_keys = node.boolean("allow_client_keys", false);
  s.walk.max_retry_after = node.duration("max_retry_after", s.walk.max_retry_after);
  s.walk.backoff_base = node.duration("backoff_base", s.walk.backoff_base);
  s.walk.backoff_max = node.duration("backoff_max", s.walk.backoff_max);
  if (s.walk.backoff_max < s.walk.backoff_base)
    node.child("backoff_max").fail("must not be below backoff_base");
  s.breaker = parse_breaker(node.child("breaker"));
  node.child("virtual_keys")
      .for_each_entry([&](const std::string& name, const config::ConfigNode& p) {
        const std::string provider = p.scalar();
        if (!provider_exists(provider)) p.fail("no provider named " + provider + " is configured");
        s.virtual_keys.emplace(name, provider);
      });
  const ConfigCheck check = config_check(s, provider_exists);
  node.child("configs").for_each_entry([&](const std::string& name, const config::ConfigNode& c) {
    if (name.empty() || name.front() == '{')
      c.fail("a config name must not be empty or start with {");
    auto parsed = parse_route_config(to_json(c), check);
    if (!parsed) c.fail(parsed.error().message);
    s.configs.emplace(name, std::make_shared<const RouteNode>(std::move(*parsed)));
  });
  return s;
}

}  // namespace aigw::routing
