// Team and client requests/tokens per minute, the x-ratelimit-* headers and the 429.
#include "limits/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "core/config_node.h"
#include "limits/limits_config.h"

namespace aigw::limits {
namespace {

using Headers = std::map<std::string, std::string>;

Headers as_map(const std::vector<std::pair<std::string, std::string>>& h) {
  return Headers(h.begin(), h.end());
}

// The rate-limit headers of a decision, by name.
Headers headers_of(const RateDecision& d) {
  HeaderBlock block;
  rate_limit_headers(d, block);
  return as_map(block.fields());
}

RateScope team(std::string_view name, std::int64_t rpm, std::int64_t tpm = 0) {
  return {RateScopeKind::kTeam, name, {rpm, tpm}};
}
RateScope client(std::string_view name, std::int64_t rpm, std::int64_t tpm = 0) {
  return {RateScopeKind::kClient, name, {rpm, tpm}};
}

TEST(RateLimiterTest, RequestsPerMinuteRefuseWithRetryAfterAndAMessage) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 3)};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check(s, 1'000).allowed);
  const RateDecision d = l.check(s, 2'000);
  ASSERT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after_seconds, 58);
  const ApiError e = rate_limited_error(d);
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.type, "rate_limit_error");
  EXPECT_EQ(e.retry_after, d.retry_after_seconds);
  EXPECT_NE(
      e.message.find("team \"platform\" is over its limit of 3 requests per minute; retry in"),
      std::string::npos)
      << e.message;
  EXPECT_EQ(as_map(e.headers)["x-ratelimit-remaining-requests"], "0");
}

TEST(RateLimiterTest, StaleSharedCountsFailClosedWith503NamingTheScope) {
  RateLimiter l;
  l.set_fail_mode(state::FailMode::kClosed);
  for (const auto& [name, counter] : l.shared_windows()) counter->set_shared_current(false);
  const RateScope s[] = {team("platform", 600), client("ci-bot", 0)};
  const RateDecision d = l.check(s, 0);
  ASSERT_FALSE(d.allowed);
  EXPECT_TRUE(d.unavailable);
  const ApiError e = rate_limited_error(d);
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.type, "state_unavailable");
  EXPECT_NE(e.message.find("team \"platform\""), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("state.on_failure.limits"), std::string::npos) << e.message;
  const RateScope unlimited[] = {team("research", 0), client("ci-bot", 0)};
  EXPECT_TRUE(l.check(unlimited, 0).allowed);  // nothing limited: nothing to refuse
}

TEST(RateLimiterTest, TokensAreCountedAfterTheResponseAndStopTheNextRequest) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 0, 1'000)};
  EXPECT_TRUE(l.check(s, 0).allowed);  // nothing recorded yet: the first request goes
  l.record_tokens(s, 1'500, 100);      // its answer was large
  const RateDecision d = l.check(s, 200);
  ASSERT_FALSE(d.allowed);
  EXPECT_TRUE(d.denied_on_tokens);
  // 1,500 must fade below 1,000 in the next minute: the window end plus a third of the next.
  EXPECT_EQ(d.retry_after_seconds, 60 + 20);
  EXPECT_NE(rate_limited_error(d).message.find("1000 tokens per minute"), std::string::npos);
  EXPECT_TRUE(l.check(s, 200 + 80'000).allowed);
}

TEST(RateLimiterTest, TokensReservedByRequestsInFlightCountUntilReleased) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 0, 1'000), client("ci-bot", 0, 5'000)};
  TokenReservation first;
  TokenReservation second;
  // A lone request is admitted whatever it reserves; the next one sees it.
  ASSERT_TRUE(l.check(s, 0, 600, &first).allowed);
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kTeam, "platform"), 600);
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kClient, "ci-bot"), 600);
  const RateDecision d = l.check(s, 1, 600, &second);
  ASSERT_TRUE(d.allowed);  // 600 reserved < 1,000
  EXPECT_EQ(d.tokens.remaining, 400);
  TokenReservation third;
  const RateDecision refused = l.check(s, 2, 600, &third);
  ASSERT_FALSE(refused.allowed);  // 1,200 reserved: full
  EXPECT_TRUE(refused.denied_on_tokens);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_FALSE(third.active());
  // Settling: the real tokens enter the window, the reservation leaves.
  l.record_tokens(s, 100, 3);
  first.release();
  second.release();
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kTeam, "platform"), 0);
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kClient, "ci-bot"), 0);
  EXPECT_TRUE(l.check(s, 4, 600, &third).allowed);
  { TokenReservation gone = std::move(third); }  // released by its destructor
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kTeam, "platform"), 0);
}

TEST(RateLimiterTest, ConcurrentChecksDoNotPassOnTheSameRoom) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 0, 1'000)};
  constexpr int kThreads = 32;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> passed{0};
  std::vector<TokenReservation> held(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      if (l.check(s, 0, 400, &held[static_cast<std::size_t>(i)]).allowed) ++passed;
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(passed.load(), 3);  // 0, 400 and 800 reserved are under 1,000; 1,200 is not
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kTeam, "platform"), 1'200);
  held.clear();
  EXPECT_EQ(l.reserved_tokens(RateScopeKind::kTeam, "platform"), 0);
}

TEST(RateLimiterTest, ConcurrentRequestCountsAreExact) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 10), client("ci-bot", 1'000)};
  constexpr int kThreads = 32;
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (l.check(s, 0).allowed) ++passed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(passed.load(), 10);
}

TEST(RateLimiterTest, ARefusalByTheClientLimitDoesNotUseUpTheTeamsQuota) {
  RateLimiter l;
  const RateScope a[] = {team("platform", 10), client("ci-bot", 1)};
  const RateScope b[] = {team("platform", 10), client("laptop", 0)};
  EXPECT_TRUE(l.check(a, 0).allowed);
  const RateDecision refused = l.check(a, 1);
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.denied_kind, RateScopeKind::kClient);
  EXPECT_EQ(refused.denied_name, "ci-bot");
  const RateDecision other = l.check(b, 2);
  ASSERT_TRUE(other.allowed);
  EXPECT_EQ(other.requests.remaining, 8);  // the team counted two requests, not three
}

TEST(RateLimiterTest, HeadersReportTheTightestScope) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 600, 200'000), client("ci-bot", 5)};
  const auto h = headers_of(l.check(s, 0));
  EXPECT_EQ(h.at("x-ratelimit-limit-requests"), "5");
  EXPECT_EQ(h.at("x-ratelimit-remaining-requests"), "4");
  EXPECT_EQ(h.at("x-ratelimit-reset-requests"), "2m0s");
  EXPECT_EQ(h.at("x-ratelimit-limit-tokens"), "200000");
  EXPECT_EQ(h.at("x-ratelimit-remaining-tokens"), "200000");
  EXPECT_EQ(h.at("x-ratelimit-reset-tokens"), "0s");
  l.record_tokens(s, 50'000, 10);
  const auto after = headers_of(l.check(s, 30'000));
  EXPECT_EQ(after.at("x-ratelimit-remaining-tokens"), "150000");
  EXPECT_EQ(after.at("x-ratelimit-remaining-requests"), "3");
}

TEST(RateLimiterTest, NoLimitsNoHeadersNoMemory) {
  RateLimiter l;
  const RateScope s[] = {team("platform", 0), client("ci-bot", 0)};
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.check(s, i).allowed);
  l.record_tokens(s, 1'000, 5);
  EXPECT_TRUE(headers_of(l.check(s, 10)).empty());
  EXPECT_EQ(l.tracked_keys(), 0u);
}

TEST(RateLimiterTest, LimitsMayChangeAtRunTimeWithoutLosingCounts) {
  RateLimiter l;
  const RateScope loose[] = {team("platform", 100)};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.check(loose, 0).allowed);
  const RateScope tight[] = {team("platform", 5)};  // the admin lowered it
  EXPECT_FALSE(l.check(tight, 1).allowed);
}

TEST(RateLimiterTest, ResetIsFormattedLikeOpenAi) {
  EXPECT_EQ(format_reset(0), "0s");
  EXPECT_EQ(format_reset(250), "250ms");
  EXPECT_EQ(format_reset(1'000), "1s");
  EXPECT_EQ(format_reset(1'001), "2s");
  EXPECT_EQ(format_reset(59'000), "59s");
  EXPECT_EQ(format_reset(360'000), "6m0s");
  EXPECT_EQ(format_reset(3'723'000), "1h2m3s");
}

config::EnvLookup no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

LimitsSettings parse(const std::string& yaml) {
  const auto env = no_env();
  const config::ConfigNode root(config::parse_yaml(yaml, "test.yaml"), "", &env);
  return parse_limits_settings(root.child("limits"));
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LimitsConfigTest, ReadsIpTeamAndClientLimits) {
  const auto s = parse(
      "limits:\n"
      "  ip: { requests: 100, window: 1m, trusted_proxies: [ \"10.0.0.0/8\", \"fd00::/8\" ] }\n"
      "  team: { requests_per_minute: 600, tokens_per_minute: 200000 }\n"
      "  client: { requests_per_minute: 60 }\n");
  EXPECT_EQ(s.ip.requests, 100);
  EXPECT_EQ(s.ip.window, std::chrono::minutes(1));
  EXPECT_EQ(s.ip.trusted_proxies.size(), 2u);
  EXPECT_EQ(s.team, (RateLimits{600, 200'000}));
  EXPECT_EQ(s.client, (RateLimits{60, 0}));
}

TEST(LimitsConfigTest, DefaultsAre2000RequestsPer5MinutesAndNoTeamOrClientLimits) {
  const auto s = parse("limits: {}\n");
  EXPECT_EQ(s.ip.requests, 2000);
  EXPECT_EQ(s.ip.window, std::chrono::minutes(5));
  EXPECT_FALSE(s.team.any());
  EXPECT_FALSE(s.client.any());
}

TEST(LimitsConfigTest, ErrorsNameTheKeyAndLine) {
  EXPECT_EQ(error_of("limits:\n  client: { requests_per_minute: -1 }\n"),
            "limits.client.requests_per_minute (line 2): must be 0 (off) or more");
  EXPECT_NE(
      error_of("limits:\n  client: { rpm: 5 }\n").find("limits.client.rpm (line 2): unknown key"),
      std::string::npos);
  EXPECT_NE(error_of("limits:\n  ip:\n    trusted_proxies: [ \"10.0.0.0/33\" ]\n")
                .find("limits.ip.trusted_proxies[0] (line 3)"),
            std::string::npos);
}

}  // namespace
}  // namespace aigw::limits
