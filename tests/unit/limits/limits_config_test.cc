// The `limits:` section: the per-IP keys, their defaults and the errors that name them.
#include "limits/limits_config.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace aigw::limits {
namespace {

config::Config load(const std::string& yaml) {
  return config::load_config_text(yaml, "test.yaml",
                                  [](std::string_view) { return std::optional<std::string>(); });
}

std::string load_error(const std::string& yaml) {
  try {
    load(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LimitsConfigTest, IpDefaults) {
  const auto ip = load("listen: 127.0.0.1:1\n").limits.ip;
  EXPECT_EQ(ip.requests, 2000);
  EXPECT_EQ(ip.ipv4_prefix, 32);
  EXPECT_EQ(ip.ipv6_prefix, 64);
  EXPECT_EQ(ip.max_tracked, 100'000u);
  EXPECT_TRUE(ip.trusted_proxies.empty());
}

TEST(LimitsConfigTest, IpPrefixesAndCapAreRead) {
  const auto ip =
      load("limits: { ip: { ipv4_prefix: 24, ipv6_prefix: 56, max_tracked: 500 } }\n").limits.ip;
  EXPECT_EQ(ip.ipv4_prefix, 24);
  EXPECT_EQ(ip.ipv6_prefix, 56);
  EXPECT_EQ(ip.max_tracked, 500u);
}

TEST(LimitsConfigTest, BadIpValuesNameTheKey) {
  EXPECT_NE(load_error("limits: { ip: { ipv6_prefix: 129 } }\n").find("limits.ip.ipv6_prefix"),
            std::string::npos);
  EXPECT_NE(load_error("limits: { ip: { ipv4_prefix: 33 } }\n").find("limits.ip.ipv4_prefix"),
            std::string::npos);
  EXPECT_NE(load_error("limits: { ip: { ipv4_prefix: 4 } }\n").find("from 8 to 32"),
            std::string::npos);
  EXPECT_NE(load_error("limits: { ip: { max_tracked: 0 } }\n").find("limits.ip.max_tracked"),
            std::string::npos);
}

}  // namespace
}  // namespace aigw::limits
