// The per-IP limit over the wire: 429 with Retry-After, and X-Forwarded-For believed only
// from a trusted proxy.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

HttpResponse call(const AigwProcess& gw, const std::string& xff = "") {
  Headers h = {{"x-portkey-provider", "mock"}};
  if (!xff.empty()) h.emplace_back("X-Forwarded-For", xff);
  return http_request(gw.port(), "POST", "/v1/chat/completions", h, "{}");
}

TEST(IpLimitTest, OverTheLimitIs429WithRetryAfterAndHealthIsExempt) {
  AigwProcess gw("limits: { ip: { requests: 3, window: 60s } }\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(gw).status, 200) << i;
  const auto r = call(gw);
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_NE(r.body.find("IP rate limit exceeded for 127.0.0.1: at most 3 requests per 60s"), std::string::npos) << r.body;
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);  // the load balancer's check is never limited
}

TEST(IpLimitTest, SpoofedForwardedForDoesNotEscapeTheLimit) {
  AigwProcess gw("limits: { ip: { requests: 2, window: 60s } }\n");
  EXPECT_EQ(call(gw, "1.1.1.1").status, 200);
  EXPECT_EQ(call(gw, "2.2.2.2").status, 200);
  EXPECT_EQ(call(gw, "3.3.3.3").status, 429);  // all counted as 127.0.0.1
}

TEST(IpLimitTest, BehindATrustedProxyEachClientHasItsOwnWindow) {
  AigwProcess gw("limits: { ip: { requests: 2, window: 60s, trusted_proxies: [ \"127.0.0.0/8\" ] } }\n");
  EXPECT_EQ(call(gw, "198.51.100.1").status, 200);
  EXPECT_EQ(call(gw, "198.51.100.1").status, 200);
  const auto limited = call(gw, "198.51.100.1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("198.51.100.1"), std::string::npos);
  EXPECT_EQ(call(gw, "198.51.100.2").status, 200);
  ASSERT_TRUE(gw.wait_for_line("\"client_ip\":\"198.51.100.2\"", std::chrono::seconds(5)));
}

}  // namespace
}  // namespace aigw::testing
