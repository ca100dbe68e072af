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

// A request as a proxy that appends its own X-Forwarded-For line sends it: the client's line
// first (whatever the client wrote), then the proxy's with the address it saw.
HttpResponse call_with_lines(const AigwProcess& gw, const std::vector<std::string>& lines) {
  Headers h = {{"x-portkey-provider", "mock"}};
  for (const auto& line : lines) h.emplace_back("X-Forwarded-For", line);
  return http_request(gw.port(), "POST", "/v1/chat/completions", h, "{}");
}

TEST(IpLimitTest, OverTheLimitIs429WithRetryAfterAndHealthIsExempt) {
  AigwProcess gw("limits: { ip: { requests: 3, window: 60s } }\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(gw).status, 200) << i;
  const auto r = call(gw);
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("retry-after").empty());
  EXPECT_NE(r.body.find("IP rate limit exceeded for 127.0.0.1: at most 3 requests per 60s"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status,
            200);  // the load balancer's check is never limited
}

TEST(IpLimitTest, SpoofedForwardedForDoesNotEscapeTheLimit) {
  AigwProcess gw("limits: { ip: { requests: 2, window: 60s } }\n");
  EXPECT_EQ(call(gw, "1.1.1.1").status, 200);
  EXPECT_EQ(call(gw, "2.2.2.2").status, 200);
  EXPECT_EQ(call(gw, "3.3.3.3").status, 429);  // all counted as 127.0.0.1
}

TEST(IpLimitTest, BehindATrustedProxyEachClientHasItsOwnWindow) {
  AigwProcess gw(
      "limits: { ip: { requests: 2, window: 60s, trusted_proxies: [ \"127.0.0.0/8\" ] } }\n");
  EXPECT_EQ(call(gw, "198.51.100.1").status, 200);
  EXPECT_EQ(call(gw, "198.51.100.1").status, 200);
  const auto limited = call(gw, "198.51.100.1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("198.51.100.1"), std::string::npos);
  EXPECT_EQ(call(gw, "198.51.100.2").status, 200);
  ASSERT_TRUE(gw.wait_for_line("\"client_ip\":\"198.51.100.2\"", std::chrono::seconds(5)));
}

// The client sends its own X-Forwarded-For line with a new address each time; the trusted proxy
// adds a second line with the real one. Only the first line was read: every request got a
// fresh bucket. Now the lines are one list read from the right: one bucket, and the 429.
TEST(IpLimitTest, AClientCannotPickItsBucketWhenTheProxyAddsASecondLine) {
  AigwProcess gw(
      "limits: { ip: { requests: 2, window: 60s, trusted_proxies: [ \"127.0.0.0/8\" ] } }\n");
  EXPECT_EQ(call_with_lines(gw, {"1.1.1.1", "198.51.100.9"}).status, 200);
  EXPECT_EQ(call_with_lines(gw, {"2.2.2.2", "198.51.100.9"}).status, 200);
  const auto limited = call_with_lines(gw, {"3.3.3.3", "198.51.100.9"});
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("198.51.100.9"), std::string::npos) << limited.body;
  // The access log names the real client, not what it wrote.
  EXPECT_TRUE(gw.wait_for_line("\"client_ip\":\"198.51.100.9\"", std::chrono::seconds(5)));
}

// IPv6 clients are counted per /64 (limits.ip.ipv6_prefix): rotating through the addresses of
// one /64 does not escape the limit, another /64 has its own bucket, and the access log keeps
// each real address.
TEST(IpLimitTest, Ipv6AddressesInOneSlash64ShareABucket) {
  AigwProcess gw(
      "limits: { ip: { requests: 2, window: 60s, trusted_proxies: [ \"127.0.0.0/8\" ] } }\n");
  EXPECT_EQ(call(gw, "2001:db8:1:2::1").status, 200);
  EXPECT_EQ(call(gw, "2001:db8:1:2:aaaa:bbbb:cccc:dddd").status, 200);
  const auto limited = call(gw, "[2001:db8:1:2::3]:5555");
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("2001:db8:1:2::/64"), std::string::npos) << limited.body;
  EXPECT_EQ(call(gw, "2001:db8:1:3::1").status, 200);  // the next /64
  EXPECT_TRUE(gw.wait_for_line("\"client_ip\":\"2001:db8:1:2:aaaa:bbbb:cccc:dddd\"",
                               std::chrono::seconds(5)));
}

// With ipv6_prefix: 128 every address is its own client again.
TEST(IpLimitTest, Ipv6PrefixIsConfigurable) {
  AigwProcess gw(
      "limits: { ip: { requests: 1, window: 60s, ipv6_prefix: 128, trusted_proxies: [ "
      "\"127.0.0.0/8\" ] } }\n");
  EXPECT_EQ(call(gw, "2001:db8:1:2::1").status, 200);
  EXPECT_EQ(call(gw, "2001:db8:1:2::2").status, 200);
  EXPECT_EQ(call(gw, "2001:db8:1:2::1").status, 429);
}

}  // namespace
}  // namespace aigw::testing
