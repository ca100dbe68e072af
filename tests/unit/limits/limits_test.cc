// The per-IP sliding window and the client address behind trusted proxies.
#include <gtest/gtest.h>

#include "limits/client_ip.h"
#include "limits/sliding_window.h"

namespace aigw::limits {
namespace {

using std::chrono::milliseconds;

TEST(SlidingWindowTest, AllowsUpToTheLimitThenSaysWhenToRetry) {
  SlidingWindowLimiter l(3, milliseconds(10'000));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check_and_count("1.2.3.4", 1'000 + i).allowed);
  const auto d = l.check_and_count("1.2.3.4", 1'010);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 9);  // the current window ends at 10,000 ms
  EXPECT_TRUE(l.check_and_count("5.6.7.8", 1'010).allowed);  // keys are independent
}

TEST(SlidingWindowTest, PreviousWindowWeighsLessAsTimeGoesOn) {
  SlidingWindowLimiter l(10, milliseconds(10'000));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(l.check_and_count("k", 9'000).allowed);
  // At 10.5 s the previous window still counts 95%: 9.5 + 0 → one more request fits, then not.
  EXPECT_FALSE(l.check_and_count("k", 10'500).allowed);
  // At 15 s it counts 50%: five more fit.
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += l.check_and_count("k", 15'000).allowed;
  EXPECT_EQ(allowed, 5);
  // Two windows later everything is forgotten.
  EXPECT_TRUE(l.check_and_count("k", 40'000).allowed);
}

TEST(SlidingWindowTest, NeverMoreThanTwiceTheLimitInAnyWindow) {
  SlidingWindowLimiter l(100, milliseconds(1'000));
  int allowed = 0;
  for (std::int64_t t = 0; t < 1'000; ++t) allowed += l.check_and_count("k", 500 + t).allowed;  // 0.5 s .. 1.5 s
  EXPECT_LE(allowed, 200);
  EXPECT_GE(allowed, 100);
}

TEST(SlidingWindowTest, ZeroLimitIsOffAndIdleKeysAreForgotten) {
  SlidingWindowLimiter off(0, milliseconds(1'000));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.check_and_count("k", i).allowed);
  SlidingWindowLimiter l(5, milliseconds(1'000));
  for (int i = 0; i < 100; ++i) l.check_and_count("ip" + std::to_string(i), 0);
  EXPECT_EQ(l.tracked_keys(), 100u);
  // Later traffic sweeps the shards it touches: the idle keys go, memory stays bounded.
  for (int i = 0; i < 100; ++i) l.check_and_count("new" + std::to_string(i), 5'000);
  EXPECT_EQ(l.tracked_keys(), 100u);
}

TEST(ClientIpTest, ForwardedForIsIgnoredFromUntrustedPeers) {
  const std::vector<Cidr> proxies = {*Cidr::parse("10.0.0.0/8")};
  EXPECT_EQ(client_ip("203.0.113.9", "1.1.1.1", proxies), "203.0.113.9");  // spoof attempt
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7", proxies), "198.51.100.7");
  // The client wrote its own XFF entry before the load balancer appended the real one.
  EXPECT_EQ(client_ip("10.1.2.3", "1.1.1.1, 198.51.100.7", proxies), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7, 10.9.9.9", proxies), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", "garbage", proxies), "10.1.2.3");
  EXPECT_EQ(client_ip("10.1.2.3", std::nullopt, proxies), "10.1.2.3");
}

TEST(ClientIpTest, CidrMatchesV4V6AndMappedAddresses) {
  const auto v4 = *Cidr::parse("192.168.0.0/16");
  EXPECT_TRUE(v4.contains("192.168.7.1"));
  EXPECT_FALSE(v4.contains("192.169.0.1"));
  EXPECT_TRUE(v4.contains("::ffff:192.168.1.1"));
  const auto v6 = *Cidr::parse("fd00::/8");
  EXPECT_TRUE(v6.contains("fd12::1"));
  EXPECT_FALSE(v6.contains("fe80::1"));
  EXPECT_TRUE(Cidr::parse("127.0.0.1")->contains("127.0.0.1"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33").has_value());
  EXPECT_FALSE(Cidr::parse("nope/8").has_value());
}

}  // namespace
}  // namespace aigw::limits
