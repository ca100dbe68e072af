// Reads the `limits:` section into LimitsSettings; every error names the key and its line.
#include "limits/limits_config.h"

#include <string>

#include "core/config_node.h"

namespace aigw::limits {
namespace {

std::int64_t non_negative(const config::ConfigNode& node, std::string_view key) {
  const std::int64_t v = node.integer(key, 0);
  if (v < 0) node.child(key).fail("must be 0 (off) or more");
  return v;
}

// A network prefix length: 8 (a /8 shares one bucket) up to the address's full length.
int prefix_length(const config::ConfigNode& node, std::string_view key, int fallback, int bits) {
  const std::int64_t v = node.integer(key, fallback);
  if (v < 8 || v > bits) {
    node.child(key).fail("must be a prefix length from 8 to " + std::to_string(bits));
  }
  return static_cast<int>(v);
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
  ip.allow_keys(
      {"requests", "window", "trusted_proxies", "ipv4_prefix", "ipv6_prefix", "max_tracked"});
  s.ip.requests = ip.integer("requests", s.ip.requests);
  if (s.ip.requests < 0) ip.child("requests").fail("must be 0 (off) or more");
  s.ip.window = ip.duration("window", s.ip.window);
  if (s.ip.window.count() < 1000) ip.child("window").fail("must be at least 1s");
  s.ip.ipv4_prefix = prefix_length(ip, "ipv4_prefix", s.ip.ipv4_prefix, 32);
  s.ip.ipv6_prefix = prefix_length(ip, "ipv6_prefix", s.ip.ipv6_prefix, 128);
  const std::int64_t max_tracked =
      ip.integer("max_tracked", static_cast<std::int64_t>(s.ip.max_tracked));
  if (max_tracked < 1) ip.child("max_tracked").fail("must be at least 1");
  s.ip.max_tracked = static_cast<std::size_t>(max_tracked);
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
