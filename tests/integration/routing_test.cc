// Routing (docs/routing.md), fallbacks and retries: inline x-portkey-config fallbacks on provider
// errors, connection failures and timeouts, strategy.on_status_codes, the answer headers naming
// the target that served, retries with backoff and Retry-After, and no retry once a stream has
// begun. Real aigw, real fake providers, real sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/routing_helpers.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFallbackAB =
    R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a"},{"provider":"b"}]})";

// `providers:` with two OpenAI-dialect providers `a` and `b`.
std::string two_providers(const std::string& a_url, const std::string& b_url) {
  return "providers:\n" + provider_entry("a", "openai", a_url) +
         provider_entry("b", "openai", b_url);
}
std::string two_providers(const FakeUpstream& a, const FakeUpstream& b) {
  return two_providers(a.base_url(), b.base_url());
}

std::string single_with_retry(const std::string& retry) {
  return R"({"strategy":{"mode":"single"},"retry":)" + retry + R"(,"targets":[{"provider":"a"}]})";
}

// --- 1. fallback ----------------------------------------------------------------------------

TEST(RoutingFallbackTest, A500FallsBackToBAndTheHeadersNameTheTargetThatServed) {
  FakeUpstream a(in_order({openai_error(500, "a is down")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("object"), "chat.completion") << r.body;
  EXPECT_NE(r.body.find("answer from b"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "0");
  EXPECT_EQ(a.requests().size(), 1u);
  ASSERT_EQ(b.requests().size(), 1u);
  // B got the caller's request, not A's error or a changed body.
  EXPECT_EQ(b.requests()[0].path(), "/v1/chat/completions");
  EXPECT_EQ(model_of(b.requests()[0]), "gpt-4o");
}

TEST(RoutingFallbackTest, TheFirstTargetServingAnswersAndTheRestAreNeverAsked) {
  FakeUpstream a(in_order({openai_ok("answer from a")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("answer from a"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "a");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[0]");
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "0");
  EXPECT_EQ(b.requests().size(), 0u);
}

TEST(RoutingFallbackTest, AStreamFallsBackWhenTheFirstTargetFailsBeforeAnswering) {
  FakeUpstream a(in_order({openai_error(503, "a is overloaded")}));
  FakeUpstream b(in_order(
      {Reply::sse({openai_delta_event("str"), openai_delta_event("eamed"), openai_done_event()})}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(gw, with_config(kFallbackAB), chat_request("gpt-4o", ",\"stream\":true"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type").rfind("text/event-stream", 0), 0u) << r.header("content-type");
  EXPECT_NE(r.body.find("str"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("eamed"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("[DONE]"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 1u);
}

TEST(RoutingFallbackTest, TheLastTargetsErrorIsWhatTheCallerGets) {
  FakeUpstream a(in_order({openai_error(500, "a is down")}));
  FakeUpstream b(in_order({openai_error(502, "b is down too")}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(gw, with_config(kFallbackAB));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("b is down too"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 1u);
}

// --- 2. strategy.on_status_codes --------------------------------------------------------------

TEST(RoutingFallbackTest, AStatusOutsideOnStatusCodesIsAnsweredWithoutFallingBack) {
  FakeUpstream a(in_order({openai_error(500, "a broke")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback","on_status_codes":[429]},"targets":[{"provider":"a"},{"provider":"b"}]})"));
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("a broke"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "a");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[0]");
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 0u);
}

TEST(RoutingFallbackTest, AStatusInOnStatusCodesFallsBack) {
  FakeUpstream a(in_order({openai_error(429, "slow down", {{"Retry-After", "0"}})}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback","on_status_codes":[429]},"targets":[{"provider":"a"},{"provider":"b"}]})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 1u);
}

// Without on_status_codes any non-2xx moves on, a 4xx included.
TEST(RoutingFallbackTest, WithoutOnStatusCodesA400FallsBackToo) {
  FakeUpstream a(in_order(
      {openai_error(400, "a does not like it", {}), openai_error(404, "a has no such model")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  for (const char* what : {"400", "404"}) {
    const auto r = chat(gw, with_config(kFallbackAB));
    EXPECT_EQ(r.status, 200) << what << ": " << r.body;
    EXPECT_EQ(r.header("x-portkey-provider"), "b") << what;
  }
  EXPECT_EQ(a.requests().size(), 2u);
  EXPECT_EQ(b.requests().size(), 2u);
}

// --- 3. connection failures and timeouts always fall back ------------------------------------

TEST(RoutingFallbackTest, ARefusedConnectionFallsBack) {
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(
      two_providers("http://127.0.0.1:" + std::to_string(closed_port()) + "/v1", b.base_url()));
  // on_status_codes lists statuses only: a connection failure moves on regardless.
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback","on_status_codes":[503]},"targets":[{"provider":"a"},{"provider":"b"}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(b.requests().size(), 1u);
}

TEST(RoutingFallbackTest, AHangingTargetTimesOutAfterItsRequestTimeoutAndFallsBack) {
  FakeUpstream a(in_order({Reply::hang()}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw("upstream: { read_timeout: 60s }\n" + two_providers(a, b));
  const auto start = Clock::now();
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback","on_status_codes":[500]},"targets":[{"provider":"a","request_timeout":300},{"provider":"b"}]})"));
  const auto took = ms_since(start);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 1u);
  // A's deadline, not the 60 s read timeout, ended its attempt.
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 10s);
}

TEST(RoutingFallbackTest, TheRootRequestTimeoutBoundsEveryAttemptTogether) {
  FakeUpstream a(in_order({Reply::hang()}));
  FakeUpstream b(in_order({Reply::hang()}));
  AigwProcess gw("upstream: { read_timeout: 60s }\n" + two_providers(a, b));
  const auto start = Clock::now();
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback"},"request_timeout":400,"targets":[{"provider":"a"},{"provider":"b"}]})"));
  const auto took = ms_since(start);
  // An attempt that reaches the deadline counts as 408; there is no time left for another.
  EXPECT_EQ(r.status, 408) << r.body;
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 10s);  // far from two 60 s read timeouts
  EXPECT_EQ(a.requests().size(), 1u);
}

// An inline config is parsed once per I/O thread and config snapshot (the header is the same on
// every request); a reload must not leave the old check standing: a provider the new config
// no longer has is refused.
TEST(RoutingReloadTest, AnInlineConfigIsCheckedAgainAfterAReload) {
  FakeUpstream a(in_order({openai_ok("answer from a")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const std::string only_a = R"({"strategy":{"mode":"single"},"targets":[{"provider":"a"}]})";
  for (int i = 0; i < 4; ++i) ASSERT_EQ(chat(gw, with_config(only_a)).status, 200);
  write_file(gw.config_path(), "listen: 127.0.0.1:0\nauth: { enabled: false }\nproviders:\n" +
                                   provider_entry("b", "openai", b.base_url()));
  gw.send_signal(SIGHUP);
  ASSERT_TRUE(gw.wait_for_line("config reloaded", 10s)) << gw.stdout_text();
  for (int i = 0; i < 4; ++i) {
    const auto r = chat(gw, with_config(only_a));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("no provider named a is configured"), std::string::npos) << r.body;
  }
  EXPECT_EQ(a.requests().size(), 4u);
}

// --- how a request names where it goes ---------------------------------------------------------

TEST(RoutingOrderTest, XPortkeyConfigWinsOverXPortkeyProvider) {
  FakeUpstream a(in_order({openai_ok("answer from a")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  const auto r =
      chat(gw, with_config(R"({"strategy":{"mode":"single"},"targets":[{"provider":"b"}]})",
                           with_provider("a")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(a.requests().size(), 0u);
  EXPECT_EQ(b.requests().size(), 1u);
}

TEST(RoutingOrderTest, XPortkeyProviderAloneIsOneAttemptWithoutRetries) {
  FakeUpstream a(in_order({openai_error(503, "unavailable"), openai_ok()}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(kFastRouting + two_providers(a, b));
  const auto r = chat(gw, with_provider("a"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 0u);
}

TEST(RoutingFallbackTest, ConcurrentFallbacksAreEachServedOnce) {
  FakeUpstream a(in_order({openai_error(500, "a is down")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(two_providers(a, b));
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      HttpConnection conn(gw.port());
      for (int i = 0; i < kEach; ++i) {
        const auto r =
            conn.request("POST", "/v1/chat/completions", with_config(kFallbackAB), chat_request());
        if (r.status == 200 && r.header("x-portkey-provider") == "b") ++served;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(served.load(), kThreads * kEach);
  EXPECT_EQ(b.requests().size(), static_cast<std::size_t>(kThreads * kEach));
  // A's breaker (5 failures in a row by default) opens on the way: after it, A is skipped.
  EXPECT_GE(a.requests().size(), 5u);
  EXPECT_LE(a.requests().size(), static_cast<std::size_t>(kThreads * kEach));
}

// --- 4. retries -------------------------------------------------------------------------------

TEST(RoutingRetryTest, RetriesUntilTheProviderServesAndCountsTheRetries) {
  FakeUpstream a(in_order(
      {openai_error(429, "slow down"), openai_error(429, "slow down"), openai_ok("third time")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto start = Clock::now();
  const auto r = chat(gw, with_config(single_with_retry(R"({"attempts":2})")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("third time"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "a");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[0]");
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "2");
  EXPECT_EQ(a.requests().size(), 3u);
  EXPECT_LT(ms_since(start), 5s);  // two backoffs of at most backoff_max (40 ms)
}

TEST(RoutingRetryTest, RetriesRunOutAndTheLastErrorIsAnswered) {
  FakeUpstream a(in_order({openai_error(500, "still broken")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto r = chat(gw, with_config(single_with_retry(R"({"attempts":2})")));
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("still broken"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "2");
  EXPECT_EQ(a.requests().size(), 3u);
}

TEST(RoutingRetryTest, AStatusNotInRetryOnStatusCodesIsNotRetried) {
  FakeUpstream a(in_order(
      {openai_error(400, "bad request", {}), openai_error(503, "unavailable"), openai_ok()}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto bad = chat(gw, with_config(single_with_retry(R"({"attempts":3})")));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.header("x-portkey-retry-attempt-count"), "0");
  EXPECT_EQ(a.requests().size(), 1u);
  // Its own list replaces the default (429, 500, 502, 503, 504): a 503 is then answered as is.
  const auto unavailable =
      chat(gw, with_config(single_with_retry(R"({"attempts":3,"on_status_codes":[429]})")));
  EXPECT_EQ(unavailable.status, 503) << unavailable.body;
  EXPECT_EQ(a.requests().size(), 2u);
}

TEST(RoutingRetryTest, ARefusedConnectionIsRetried) {
  // Nothing listens: every attempt fails to connect, each one is retried, then the caller gets
  // the gateway's own 502.
  AigwProcess gw(kFastRouting +
                 two_providers("http://127.0.0.1:" + std::to_string(closed_port()) + "/v1",
                               "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1"));
  const auto r = chat(gw, with_config(single_with_retry(R"({"attempts":2})")));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "2");
  ASSERT_TRUE(gw.wait_for_access_lines(1, 5s));
  const auto line = gw.access_lines().back();
  ASSERT_TRUE(line.contains("attempts")) << boost::json::serialize(line);
  EXPECT_EQ(line.at("attempts").to_number<int>(), 3) << boost::json::serialize(line);
}

// The provider's own read timeout (not a config's request_timeout) is a timeout too: retried
// whatever retry.on_status_codes lists.
// A timeout is retried when 408 is among retry.on_status_codes (docs/routing.md, Retries).
TEST(RoutingRetryTest, AProviderThatTimesOutIsRetriedWhen408IsListed) {
  FakeUpstream a(in_order({Reply::hang(), openai_ok("after the timeout")}));
  AigwProcess gw(std::string(kFastRouting) + "providers:\n" +
                 provider_entry("a", "openai", a.base_url(), kProviderKey, "read_timeout: 300ms"));
  const auto start = Clock::now();
  const auto r =
      chat(gw, with_config(single_with_retry(R"({"attempts":1,"on_status_codes":[408]})")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "1");
  EXPECT_EQ(a.requests().size(), 2u);
  EXPECT_LT(ms_since(start), 10s);
}

// Without 408 listed, a provider that hangs is not waited on twice.
TEST(RoutingRetryTest, AProviderThatTimesOutIsNotRetriedByDefault) {
  FakeUpstream a(in_order({Reply::hang(), openai_ok("never asked")}));
  AigwProcess gw(std::string(kFastRouting) + "providers:\n" +
                 provider_entry("a", "openai", a.base_url(), kProviderKey, "read_timeout: 300ms"));
  const auto r = chat(gw, with_config(single_with_retry(R"({"attempts":2})")));
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(a.requests().size(), 1u);
}

TEST(RoutingRetryTest, RetryIsInheritedByTheTargetsAndEachTargetRetriesBeforeFallingBack) {
  FakeUpstream a(in_order({openai_error(502, "bad gateway")}));
  FakeUpstream b(in_order({openai_error(503, "warming up"), openai_ok("answer from b")}));
  AigwProcess gw(kFastRouting + two_providers(a, b));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback"},"retry":{"attempts":1},"targets":[{"provider":"a"},{"provider":"b"}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  // The retries made on the target that served, not on A before it.
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "1");
  EXPECT_EQ(a.requests().size(), 2u);
  EXPECT_EQ(b.requests().size(), 2u);
}

TEST(RoutingRetryTest, AChildsOwnRetryWinsOverTheInheritedOne) {
  FakeUpstream a(in_order({openai_error(500, "down")}));
  FakeUpstream b(in_order({openai_ok("answer from b")}));
  AigwProcess gw(kFastRouting + two_providers(a, b));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback"},"retry":{"attempts":3},"targets":[{"provider":"a","retry":{"attempts":0}},{"provider":"b"}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 1u);
}

TEST(RoutingRetryTest, RetryAfterIsWaitedWhenTheConfigAsksForIt) {
  FakeUpstream a(
      in_order({openai_error(429, "slow down", {{"Retry-After", "1"}}), openai_ok("later")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto r =
      chat(gw, with_config(single_with_retry(R"({"attempts":1,"use_retry_after_header":true})")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "1");
  const auto seen = a.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(ms_between(seen[0].received_at, seen[1].received_at), 900ms);
}

TEST(RoutingRetryTest, RetryAfterIsIgnoredByDefault) {
  FakeUpstream a(
      in_order({openai_error(429, "slow down", {{"Retry-After", "5"}}), openai_ok("soon")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto start = Clock::now();
  const auto r = chat(gw, with_config(single_with_retry(R"({"attempts":1})")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.requests().size(), 2u);
  EXPECT_LT(ms_since(start), 4s);  // the backoff (at most 40 ms), not the 5 s asked for
}

TEST(RoutingRetryTest, MaxRetryAfterCapsTheProvidersRetryAfter) {
  FakeUpstream a(
      in_order({openai_error(429, "slow down", {{"Retry-After", "30"}}), openai_ok("capped")}));
  AigwProcess gw("routing: { backoff_base: 10ms, backoff_max: 40ms, max_retry_after: 200ms }\n" +
                 two_providers(a, a));
  const auto start = Clock::now();
  const auto r =
      chat(gw, with_config(single_with_retry(R"({"attempts":1,"use_retry_after_header":true})")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LT(ms_since(start), 3s);
  const auto seen = a.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(ms_between(seen[0].received_at, seen[1].received_at), 150ms);
}

TEST(RoutingRetryTest, ARetryWhoseWaitWouldPassTheRequestTimeoutIsNotMade) {
  FakeUpstream a(
      in_order({openai_error(429, "slow down", {{"Retry-After", "3"}}), openai_ok("too late")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  const auto start = Clock::now();
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"request_timeout":500,"retry":{"attempts":2,"use_retry_after_header":true},"targets":[{"provider":"a"}]})"));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_LT(ms_since(start), 2500ms);  // not the 3 s the provider asked for
  EXPECT_EQ(a.requests().size(), 1u);
}

// The caller leaves while the gateway waits out a Retry-After: the gateway stays healthy.
TEST(RoutingRetryTest, ACallerLeavingDuringTheRetryWaitCostsTheGatewayNothing) {
  FakeUpstream a(
      in_order({openai_error(429, "slow down", {{"Retry-After", "1"}}), openai_ok("later")}));
  AigwProcess gw(kFastRouting + two_providers(a, a));
  {
    HttpConnection conn(gw.port());
    const std::string body = chat_request();
    const std::string config =
        R"({"strategy":{"mode":"single"},"retry":{"attempts":2,"use_retry_after_header":true},"targets":[{"provider":"a"}]})";
    ASSERT_TRUE(conn.send_raw(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-config: " + config +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    ASSERT_TRUE(a.wait_for_requests(1, 10s));
  }  // closed during the 1 s wait
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
  const auto r = chat(gw, with_provider("a"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(gw.wait_exit(0ms).has_value()) << gw.stderr_text();
}

// --- 5. nothing is retried once the caller has the first byte --------------------------------

TEST(RoutingRetryTest, AStreamThatBreaksMidwayIsNeitherRetriedNorFallenBackFrom) {
  FakeUpstream a(in_order({Reply::broken_sse({openai_delta_event("partial ")})}));
  FakeUpstream b(in_order({Reply::sse({openai_delta_event("from b"), openai_done_event()})}));
  AigwProcess gw(kFastRouting + two_providers(a, b));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback"},"retry":{"attempts":3},"targets":[{"provider":"a"},{"provider":"b"}]})"),
      chat_request("gpt-4o", ",\"stream\":true"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("partial "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("from b"), std::string::npos) << r.body;
  EXPECT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(b.requests().size(), 0u);
  EXPECT_EQ(r.header("x-portkey-provider"), "a");
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
}

}  // namespace
}  // namespace aigw::testing
