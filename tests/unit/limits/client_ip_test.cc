// The client address behind trusted proxies: spoofing, chains, junk, IPv6, CIDR parsing.
#include "limits/client_ip.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace aigw::limits {
namespace {

std::vector<Cidr> proxies(std::initializer_list<const char*> cidrs) {
  std::vector<Cidr> out;
  for (const char* c : cidrs) out.push_back(*Cidr::parse(c));
  return out;
}

TEST(ClientIpTest, ForwardedForIsIgnoredFromUntrustedPeers) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("203.0.113.9", "1.1.1.1", lb), "203.0.113.9");  // spoof attempt
  EXPECT_EQ(client_ip("203.0.113.9", "10.0.0.1, 1.1.1.1", lb), "203.0.113.9");
  EXPECT_EQ(client_ip("203.0.113.9", std::nullopt, lb), "203.0.113.9");
  // No trusted proxies configured: the header never counts.
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7", {}), "10.1.2.3");
}

TEST(ClientIpTest, TrustedProxyHeaderIsReadFromTheRight) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7", lb), "198.51.100.7");
  // The client wrote its own entry before the load balancer appended the real one.
  EXPECT_EQ(client_ip("10.1.2.3", "1.1.1.1, 198.51.100.7", lb), "198.51.100.7");
  // Two trusted hops: both skipped.
  EXPECT_EQ(client_ip("10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9, 10.8.8.8", lb), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7,10.9.9.9", lb), "198.51.100.7");
}

TEST(ClientIpTest, EveryEntryTrustedGivesTheLeftmost) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("10.1.2.3", "10.0.0.5, 10.0.0.6", lb), "10.0.0.5");
  EXPECT_EQ(client_ip("10.1.2.3", "", lb), "10.1.2.3");
}

TEST(ClientIpTest, MalformedEntriesStopTheWalkWithoutTrustingWhatIsLeftOfThem) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("10.1.2.3", "garbage", lb), "10.1.2.3");
  // "unknown" came through 10.0.0.5; 1.1.1.1 left of it could be anyone's invention.
  EXPECT_EQ(client_ip("10.1.2.3", "1.1.1.1, unknown, 10.0.0.5", lb), "10.0.0.5");
  EXPECT_EQ(client_ip("10.1.2.3", ",,,", lb), "10.1.2.3");
  EXPECT_EQ(client_ip("10.1.2.3", "1.1.1.1,,", lb), "10.1.2.3");
  EXPECT_EQ(client_ip("10.1.2.3", std::string(100'000, '9'), lb), "10.1.2.3");
  EXPECT_EQ(client_ip("10.1.2.3", "999.1.1.1", lb), "10.1.2.3");
}

TEST(ClientIpTest, PortsAndBracketsAreStripped) {
  const auto lb = proxies({"10.0.0.0/8"});
  EXPECT_EQ(client_ip("10.1.2.3", "198.51.100.7:52311", lb), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", "[2001:db8::7]:443", lb), "2001:db8::7");
  EXPECT_EQ(client_ip("10.1.2.3", "[2001:db8::7]", lb), "2001:db8::7");
  EXPECT_EQ(client_ip("10.1.2.3", "[2001:db8::7", lb), "10.1.2.3");
}

TEST(ClientIpTest, Ipv6AndMappedAddressesAreCanonical) {
  const auto lb = proxies({"fd00::/8", "10.0.0.0/8"});
  EXPECT_EQ(client_ip("fd00::1", "2001:DB8:0:0::5", lb), "2001:db8::5");
  EXPECT_EQ(client_ip("::ffff:203.0.113.9", "1.1.1.1", lb), "203.0.113.9");     // untrusted, mapped
  EXPECT_EQ(client_ip("::ffff:10.0.0.1", "198.51.100.7", lb), "198.51.100.7");  // trusted, mapped
  EXPECT_EQ(client_ip("unix-socket", "198.51.100.7", lb), "unix-socket");
}

TEST(ClientIpTest, RandomHeadersNeverEscapeAnUntrustedPeerOrCrash) {
  const auto lb = proxies({"10.0.0.0/8"});
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789abcdef.:,[] f";
  for (int i = 0; i < 5'000; ++i) {
    std::string header;
    for (std::size_t n = rng() % 60; n > 0; --n) header += alphabet[rng() % alphabet.size()];
    EXPECT_EQ(client_ip("203.0.113.9", header, lb), "203.0.113.9");
    const std::string ip = client_ip("10.0.0.1", header, lb);
    EXPECT_TRUE(IpAddress::parse(ip).has_value()) << header;
  }
}

TEST(ClientIpTest, CidrMatchesV4V6AndMappedAddresses) {
  const auto v4 = *Cidr::parse("192.168.0.0/16");
  EXPECT_TRUE(v4.contains("192.168.7.1"));
  EXPECT_FALSE(v4.contains("192.169.0.1"));
  EXPECT_TRUE(v4.contains("::ffff:192.168.1.1"));
  EXPECT_FALSE(v4.contains("not an ip"));
  const auto v6 = *Cidr::parse("fd00::/8");
  EXPECT_TRUE(v6.contains("fd12::1"));
  EXPECT_FALSE(v6.contains("fe80::1"));
  EXPECT_FALSE(v6.contains("10.0.0.1"));
  EXPECT_TRUE(Cidr::parse("127.0.0.1")->contains("127.0.0.1"));
  EXPECT_FALSE(Cidr::parse("127.0.0.1")->contains("127.0.0.2"));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains("8.8.8.8"));
  EXPECT_TRUE(Cidr::parse("10.0.0.0/9")->contains("10.127.0.1"));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/9")->contains("10.128.0.1"));
  EXPECT_TRUE(Cidr::parse("::ffff:10.0.0.0/104")->contains("10.200.0.1"));
  EXPECT_EQ(Cidr::parse("::ffff:10.0.0.0/104")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("fd00::/8")->to_string(), "fd00::/8");
}

// A trusted proxy that appends its own X-Forwarded-For line (instead of extending the client's)
// must not let the client's line pick the bucket: the lines are one list, read from the right.
TEST(ClientIpTest, SeveralForwardedForLinesAreOneListReadFromTheRight) {
  const auto lb = proxies({"10.0.0.0/8"});
  using Lines = std::vector<std::string_view>;
  EXPECT_EQ(client_ip("10.1.2.3", Lines{"1.1.1.1", "198.51.100.7"}, lb), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", Lines{"6.6.6.6, 7.7.7.7", "198.51.100.7, 10.9.9.9"}, lb),
            "198.51.100.7");
  // Blank lines add no hop; no line at all is no header.
  EXPECT_EQ(client_ip("10.1.2.3", Lines{"1.1.1.1", "  ", "198.51.100.7", ""}, lb), "198.51.100.7");
  EXPECT_EQ(client_ip("10.1.2.3", Lines{}, lb), "10.1.2.3");
  EXPECT_EQ(client_ip("10.1.2.3", Lines{""}, lb), "10.1.2.3");
  // From an untrusted peer no line counts.
  EXPECT_EQ(client_ip("203.0.113.9", Lines{"1.1.1.1", "198.51.100.7"}, lb), "203.0.113.9");
  // A junk line stops the walk as a junk entry does.
  EXPECT_EQ(client_ip("10.1.2.3", Lines{"1.1.1.1", "unknown", "10.0.0.5"}, lb), "10.0.0.5");
}

TEST(ClientIpTest, RateLimitKeyIsTheNetworkOfTheConfiguredPrefix) {
  EXPECT_EQ(rate_limit_key("198.51.100.7", 32, 64), "198.51.100.7");
  EXPECT_EQ(rate_limit_key("198.51.100.7", 24, 64), "198.51.100.0/24");
  EXPECT_EQ(rate_limit_key("198.51.100.7", 20, 64), "198.51.96.0/20");
  // One /64: every address of a host (privacy addresses rotate) counts together.
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:aaaa::1", 32, 64), "2001:db8:1:2::/64");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:ffff:ffff:ffff:ffff", 32, 64), "2001:db8:1:2::/64");
  EXPECT_NE(rate_limit_key("2001:db8:1:3::1", 32, 64), "2001:db8:1:2::/64");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:aaaa::1", 32, 56), "2001:db8:1::/56");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:aaaa::1", 32, 60), "2001:db8:1::/60");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:aaaa::1", 32, 128), "2001:db8:1:2:aaaa::1");
  // IPv4-mapped addresses are IPv4 addresses and use the IPv4 prefix.
  EXPECT_EQ(rate_limit_key("::ffff:198.51.100.7", 32, 64), "198.51.100.7");
  EXPECT_EQ(rate_limit_key("unix-socket", 32, 64), "unix-socket");
}

TEST(ClientIpTest, MaskedClearsEveryBitAfterThePrefix) {
  const auto ip = *IpAddress::parse("255.255.255.255");
  EXPECT_EQ(ip.masked(0).to_string(), "0.0.0.0");
  EXPECT_EQ(ip.masked(1).to_string(), "128.0.0.0");
  EXPECT_EQ(ip.masked(9).to_string(), "255.128.0.0");
  EXPECT_EQ(ip.masked(32).to_string(), "255.255.255.255");
  EXPECT_EQ(ip.masked(99).to_string(), "255.255.255.255");
  EXPECT_EQ(IpAddress::parse("ffff::ffff")->masked(4).to_string(), "f000::");
}

TEST(ClientIpTest, AddressesAreWrittenAsInetNtopWritesThem) {
  for (const char* text : {"0.0.0.0", "1.2.3.4", "10.0.0.255", "99.100.199.200", "255.255.255.255",
                           "::1", "2001:db8::7", "::ffff:1.2.3.4"}) {
    const auto ip = IpAddress::parse(text);
    ASSERT_TRUE(ip.has_value()) << text;
    char expected[INET6_ADDRSTRLEN] = {};
    inet_ntop(ip->family_bytes == 4 ? AF_INET : AF_INET6, ip->bytes.data(), expected,
              sizeof expected);
    EXPECT_EQ(ip->to_string(), expected) << text;
  }
}

// IPv4 is read without inet_pton; it must accept and refuse exactly what inet_pton does.
TEST(ClientIpTest, DottedQuadsAreReadAsInetPtonReadsThem) {
  std::vector<std::string> texts = {
      "0.0.0.0",   "1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4",   "1.2.3",
      "1.2.3.4.5", "1..3.4",  ".1.2.3.4",        "1.2.3.4.",  "1000.1.1.1", "1.2.3.04",
      "1.2.3.0",   "a.b.c.d", "1.2.3.-4",        "00.1.1.1",  "1.2.3.999",  "12.34.56.78"};
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789.";
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    const std::size_t n = rng() % 18;
    for (std::size_t j = 0; j < n; ++j) t += alphabet[rng() % alphabet.size()];
    texts.push_back(t);
  }
  for (const auto& text : texts) {
    std::uint8_t expected[4];
    const bool valid = inet_pton(AF_INET, text.c_str(), expected) == 1;
    const auto ip = IpAddress::parse(text);
    const bool parsed_v4 = ip.has_value() && ip->family_bytes == 4;
    EXPECT_EQ(parsed_v4, valid) << text;
    if (valid && parsed_v4) {
      EXPECT_EQ(std::memcmp(ip->bytes.data(), expected, 4), 0) << text;
    }
  }
}

TEST(ClientIpTest, MalformedCidrsAreRejected) {
  for (const char* bad : {"10.0.0.0/33", "nope/8", "10.0.0.0/", "/8", "1.2.3.4:80", "[::1]",
                          "fd00::/129", "10.0.0.0/-1", "10.0.0.0/8x", "", "::ffff:10.0.0.0/8"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace aigw::limits
