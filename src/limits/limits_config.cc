#include "limits/limits_config.h"

#include "config/config_node.h"

namespace aigw::limits {

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
    if (!cidr) item.fail("expected an address or CIDR such as 10.0.0.0/8, got \"" + item.scalar() + "\"");
    s.ip.trusted_proxies.push_back(*cidr);
  });
  return s;
}

}  // namespace aigw::limits
