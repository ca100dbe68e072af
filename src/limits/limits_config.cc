// Reads the `limits:` section into LimitsSettings; every error names the key and its line.
#include "limits/limits_config.h"

#include "config/config_node.h"

namespace aigw::limits {
namespace {

std::int64_t non_negative(const config::ConfigNode& node, std::string_view key) {
  const std::int64_t v = node.integer(key, 0);
  if (v < 0) node.child(key).fail("must be 0 (off) or more");
  return v;
}

}  // namespace

RateLimits parse_rate_limits(const config::ConfigNode& node) {
  RateLimits r;
  if (!node.defined()) return r;
  node.allow_keys({"requests_per_minute", "tokens_per_minute"});
  r.requests_per_minute = non_negative(node, "requests_per_minute");
  r.tokens_per_minute = non_negative(node, "tokens_per_minute");
  return r;
}

LimitsSettings parse_limits_settings(const config::ConfigNode& node) {
  LimitsSettings s;
  node.allow_keys({"ip", "team", "client"});
  const auto ip = node.child("ip");
  ip.allow_keys({"requests", "window", "trusted_proxies"});
  s.ip.requests = ip.integer("requests", s.ip.requests);
  if (s.ip.requests < 0) ip.child("requests").fail("must be 0 (off) or more");
  s.ip.window = ip.duration("window", s.ip.window);
  if (s.ip.window.count() < 1000) ip.child("window").fail("must be at least 1s");
  ip.child("trusted_proxies").for_each_item([&](const config::ConfigNode& item) {
    const auto cidr = Cidr::parse(item.scalar());
    if (!cidr) {
      item.fail("expected an address or CIDR such as 10.0.0.0/8, got \"" + item.scalar() + "\"");
    }
    s.ip.trusted_proxies.push_back(*cidr);
  });
  s.team = parse_rate_limits(node.child("team"));
  s.client = parse_rate_limits(node.child("client"));
  return s;
}

}  // namespace aigw::limits
