// Routing (docs/routing.md), what guards it: x-portkey-config validation (a 400 naming the field,
// camelCase keys, bring-your-own-key), circuit breakers (open, skipped, half-open probe, 503 when
// every target is open, shown by GET /v1/providers), model aliases, and a routed request charged
// and rate-limited once however many attempts it took.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <memory>
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

namespace json = boost::json;
using namespace std::chrono_literals;

std::string two_providers(const FakeUpstream& a, const FakeUpstream& b) {
  return "providers:\n" + provider_entry("a", "openai", a.base_url()) +
         provider_entry("b", "openai", b.base_url());
}

constexpr const char* kFallbackAB =
    R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a"},{"provider":"b"}]})";

// --- 10. validation ---------------------------------------------------------------------------

class RoutingValidationTest : public ::testing::Test {
 protected:
  FakeUpstream a_{in_order({openai_error(500, "a is down")})};
  FakeUpstream b_{in_order({openai_ok("answer from b")})};
  AigwProcess gw_{kFastRouting + two_providers(a_, b_)};

  std::size_t forwarded() const { return a_.requests().size() + b_.requests().size(); }
};

TEST_F(RoutingValidationTest, AnInvalidConfigIs400NamingTheFieldAndNothingIsSent) {
  struct Case {
    std::string config;
    std::vector<std::string> message_parts;
  };
  std::string deep = R"({"provider":"a"})";
  for (int i = 0; i < 9; ++i) deep = R"({"strategy":{"mode":"single"},"targets":[)" + deep + "]}";
  const std::vector<Case> cases = {
      {R"({"strategy":{"mode":"fallback"},"targets":[)", {}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a","bogus":1}]})",
       {"targets[0]", "bogus"}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a"},{"provider":"b","retry":{"attempts":9}}]})",
       {"targets[1].retry.attempts"}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a","retry":{"attempts":"two"}}]})",
       {"targets[0].retry.attempts"}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"nope"}]})",
       {"targets[0].provider", "nope"}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a","api_key":"sk-client-own"}]})",
       {"targets[0]", "api_key"}},
      {R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a","custom_host":"http://127.0.0.1:9/v1"}]})",
       {"targets[0]", "custom_host"}},
      {R"({"strategy":{"mode":"roundrobin"},"targets":[{"provider":"a"}]})", {"strategy.mode"}},
      {R"({"strategy":{"mode":"loadbalance"},"targets":[{"provider":"a","weight":-1}]})",
       {"targets[0].weight"}},
      {R"({"strategy":{"mode":"fallback"},"request_timeout":"soon","targets":[{"provider":"a"}]})",
       {"request_timeout"}},
      {R"({"strategy":{"mode":"conditional","conditions":[{"query":{"params.model":{"$eq":"x"}},"then":"ghost"}]},"targets":[{"name":"real","provider":"a"}]})",
       {"then", "ghost"}},
      {R"({"strategy":{"mode":"conditional","conditions":[{"query":{"params.model":{"$regex":")" +
           std::string(300, 'a') + R"("}},"then":"t"}]},"targets":[{"name":"t","provider":"a"}]})",
       {"$regex"}},
      {deep, {}},
  };
  for (const auto& c : cases) {
    const auto r = chat(gw_, with_config(c.config));
    EXPECT_TRUE(is_openai_error(r, 400, "invalid x-portkey-config")) << c.config;
    for (const auto& part : c.message_parts) {
      EXPECT_NE(r.error_message().find(part), std::string::npos)
          << "\"" << part << "\" not in: " << r.error_message() << "\n  for " << c.config;
    }
  }
  EXPECT_EQ(forwarded(), 0u);
}

TEST_F(RoutingValidationTest, AnAnthropicCallerGetsTheRefusalInItsOwnShape) {
  const auto r = http_request(
      gw_.port(), "POST", "/v1/messages",
      with_config(
          R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a","retry":{"attempts":6}}]})"),
      messages_request());
  EXPECT_TRUE(is_anthropic_error(r, 400, "invalid x-portkey-config")) << r.body;
  EXPECT_NE(r.error_message().find("targets[0].retry.attempts"), std::string::npos) << r.body;
  EXPECT_EQ(forwarded(), 0u);
}

// The wording of docs/routing.md's example, to the letter.
TEST_F(RoutingValidationTest, TheMessageReadsAsTheSpecsExample) {
  const auto r = chat(
      gw_,
      with_config(
          R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a"},{"provider":"b","retry":{"attempts":9}}]})"));
  EXPECT_TRUE(is_openai_error(
      r, 400,
      "invalid x-portkey-config: config.targets[1].retry.attempts: expected an integer from 0 "
      "to 5"))
      << r.body;
}

TEST_F(RoutingValidationTest, CamelCaseKeysAreRead) {
  // onStatusCodes [429]: A's 500 is answered, not fallen back from.
  const auto r = chat(
      gw_,
      with_config(
          R"({"strategy":{"mode":"fallback","onStatusCodes":[429]},"targets":[{"provider":"a"},{"provider":"b"}]})"));
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(b_.requests().size(), 0u);
  // overrideParams and requestTimeout on a target.
  const auto o = chat(
      gw_,
      with_config(
          R"({"strategy":{"mode":"single"},"targets":[{"provider":"b","requestTimeout":5000,"overrideParams":{"model":"camel"}}]})"));
  ASSERT_EQ(o.status, 200) << o.body;
  ASSERT_EQ(b_.requests().size(), 1u);
  EXPECT_EQ(model_of(b_.requests()[0]), "camel");
}

TEST_F(RoutingValidationTest, PortkeyKeysAigwDoesNotUseAreAcceptedAndIgnored) {
  const auto r = chat(
      gw_,
      with_config(
          R"({"strategy":{"mode":"fallback"},"cache":{"mode":"simple","max_age":60},"metadata":{"app":"x"},"before_request_hooks":[],"after_request_hooks":[],"input_guardrails":[],"output_guardrails":[],"targets":[{"provider":"a","cache":{"mode":"semantic"}},{"provider":"b"}]})"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
}

TEST(RoutingClientKeysTest, AllowClientKeysLetsATargetCarryItsOwnKeyButNeverAVirtualKey) {
  FakeUpstream a(in_order({openai_ok()}));
  AigwProcess gw("routing: { allow_client_keys: true }\nproviders:\n" +
                 provider_entry("a", "openai", a.base_url()));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"targets":[{"provider":"a","api_key":"sk-client-own-key"}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(a.requests()[0].header("authorization"), "Bearer sk-client-own-key");
  // The gateway's key is used again by the next request that brings none.
  const auto own = chat(gw, with_provider("a"));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(a.requests().at(1).header("authorization"), std::string("Bearer ") + kProviderKey);
  const auto v = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"targets":[{"provider":"a","virtual_key":"vk-123"}]})"));
  EXPECT_TRUE(is_openai_error(v, 400, "virtual_key")) << v.body;
  EXPECT_EQ(a.requests().size(), 2u);
  // The client's key is a secret too: never in the access log.
  ASSERT_TRUE(gw.wait_for_access_lines(3, 5s));
  EXPECT_EQ(gw.stdout_text().find("sk-client-own-key"), std::string::npos);
}

// --- 11. circuit breakers ---------------------------------------------------------------------

constexpr const char* kBreakerRouting =
    "routing:\n"
    "  backoff_base: 10ms\n"
    "  backoff_max: 40ms\n"
    "  breaker: { consecutive_failures: 3, open_for: 500ms }\n";

class RoutingBreakerTest : public ::testing::Test {
 protected:
  // A answers 500 until the test sets a_ok_.
  std::shared_ptr<std::atomic<bool>> a_ok_ = std::make_shared<std::atomic<bool>>(false);
  FakeUpstream a_{[ok = a_ok_](const UpstreamRequest&) {
    return ok->load() ? openai_ok("answer from a") : openai_error(500, "a is down");
  }};
  FakeUpstream b_{in_order({openai_ok("answer from b")})};

  // Waits out the open breaker of `provider` (its retry_in_ms, as GET /v1/providers shows it):
  // the breaker opens and half-opens on a timer, so this one wait is a sleep.
  void wait_until_half_open(const AigwProcess& gw, const std::string& provider) {
    const auto p = provider_listing(gw.port(), provider);
    ASSERT_TRUE(p.is_object());
    const auto& b = p.at("breaker");
    ASSERT_TRUE(b.as_object().contains("retry_in_ms")) << json::serialize(b);
    const auto retry_in = b.at("retry_in_ms").to_number<std::int64_t>();
    EXPECT_GT(retry_in, 0);
    EXPECT_LE(retry_in, 500);
    std::this_thread::sleep_for(std::chrono::milliseconds(retry_in) + 100ms);
  }
};

TEST_F(RoutingBreakerTest, ConsecutiveFailuresOpenItThenAProbeThatSucceedsClosesIt) {
  AigwProcess gw(kBreakerRouting + two_providers(a_, b_));
  EXPECT_EQ(breaker_state(gw.port(), "a"), "closed");
  for (int i = 0; i < 3; ++i) {
    const auto r = chat(gw, with_config(kFallbackAB));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-portkey-provider"), "b");
  }
  ASSERT_EQ(a_.requests().size(), 3u);
  const auto listing = provider_listing(gw.port(), "a");
  ASSERT_TRUE(listing.is_object());
  EXPECT_EQ(listing.at("breaker").at("state"), "open") << json::serialize(listing);
  EXPECT_EQ(listing.at("breaker").at("consecutive_failures").to_number<int>(), 3)
      << json::serialize(listing);
  EXPECT_EQ(breaker_state(gw.port(), "b"), "closed");

  // Open: A is skipped without being asked.
  const auto skipped = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(skipped.status, 200) << skipped.body;
  EXPECT_EQ(skipped.header("x-portkey-provider"), "b");
  EXPECT_EQ(skipped.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(a_.requests().size(), 3u);

  // After open_for one request probes A; A has recovered, so it serves and the breaker closes.
  wait_until_half_open(gw, "a");
  a_ok_->store(true);
  const auto probe = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(probe.status, 200) << probe.body;
  EXPECT_EQ(probe.header("x-portkey-provider"), "a");
  EXPECT_EQ(a_.requests().size(), 4u);
  EXPECT_EQ(breaker_state(gw.port(), "a"), "closed");
  EXPECT_EQ(chat(gw, with_config(kFallbackAB)).header("x-portkey-provider"), "a");
}

TEST_F(RoutingBreakerTest, AProbeThatFailsOpensItAgain) {
  AigwProcess gw(kBreakerRouting + two_providers(a_, b_));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(chat(gw, with_config(kFallbackAB)).status, 200);
  ASSERT_EQ(breaker_state(gw.port(), "a"), "open");
  wait_until_half_open(gw, "a");
  const auto probe = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(probe.status, 200) << probe.body;
  EXPECT_EQ(probe.header("x-portkey-provider"), "b");
  EXPECT_EQ(a_.requests().size(), 4u);  // the one probe
  EXPECT_EQ(breaker_state(gw.port(), "a"), "open");
  EXPECT_EQ(chat(gw, with_config(kFallbackAB)).header("x-portkey-provider"), "b");
  EXPECT_EQ(a_.requests().size(), 4u);
}

TEST_F(RoutingBreakerTest, HalfOpenLetsOneProbeThroughAtATime) {
  auto gate = std::make_shared<Gate>();
  Reply held = openai_ok("probe answer");
  held.gate = gate;
  FakeUpstream a(in_order({openai_error(500, "down"), openai_error(500, "down"),
                           openai_error(500, "down"), held, openai_ok("answer from a")}));
  AigwProcess gw(kBreakerRouting + two_providers(a, b_));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(chat(gw, with_config(kFallbackAB)).status, 200);
  ASSERT_EQ(breaker_state(gw.port(), "a"), "open");
  wait_until_half_open(gw, "a");
  HttpResponse probe;
  std::thread prober([&] { probe = chat(gw, with_config(kFallbackAB)); });
  const bool probing = a.wait_for_requests(4, 10s);
  EXPECT_TRUE(probing) << "no probe reached A";
  if (probing) {
    // The probe is in flight: another request does not probe too, it goes on to B.
    const auto other = chat(gw, with_config(kFallbackAB));
    EXPECT_EQ(other.status, 200) << other.body;
    EXPECT_EQ(other.header("x-portkey-provider"), "b");
    EXPECT_EQ(a.requests().size(), 4u);
  }
  gate->open();  // before the join, whatever failed above
  prober.join();
  ASSERT_EQ(probe.status, 200) << probe.body;
  EXPECT_EQ(probe.header("x-portkey-provider"), "a");
  EXPECT_EQ(breaker_state(gw.port(), "a"), "closed");
}

TEST_F(RoutingBreakerTest, EveryTargetOpenIs503WithRetryAfterButXPortkeyProviderStillReachesIt) {
  AigwProcess gw(kBreakerRouting + two_providers(a_, b_));
  const std::string only_a = R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"a"}]})";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chat(gw, with_config(only_a)).status, 500);
  const auto refused = chat(gw, with_config(only_a));
  EXPECT_TRUE(is_openai_error(refused, 503,
                              "all targets of the routing config are unavailable (circuit open)"))
      << refused.body;
  const std::string retry_after = refused.header("retry-after");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 0);
  EXPECT_LE(std::stoi(retry_after), 1);  // open_for is 500 ms
  EXPECT_EQ(a_.requests().size(), 3u);
  // Naming the provider alone routes nothing: the request is sent, and its failure still counts.
  EXPECT_EQ(chat(gw, with_provider("a")).status, 500);
  EXPECT_EQ(a_.requests().size(), 4u);
  EXPECT_EQ(breaker_state(gw.port(), "a"), "open");
}

// Every mode skips an open provider, not only fallback and loadbalance: a single-target config
// (or a bare leaf) whose provider is open has every target open.
TEST_F(RoutingBreakerTest, ASingleOrLeafConfigOnAnOpenProviderIs503) {
  AigwProcess gw(kBreakerRouting + two_providers(a_, b_));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chat(gw, with_provider("a")).status, 500);
  ASSERT_EQ(breaker_state(gw.port(), "a"), "open");
  for (
      const char* config :
      {R"({"strategy":{"mode":"single"},"targets":[{"provider":"a"}]})", R"({"provider":"a"})",
       R"({"strategy":{"mode":"conditional","conditions":[{"query":{"params.model":{"$eq":"gpt-4o"}},"then":"x"}]},"targets":[{"name":"x","provider":"a"}]})"}) {
    const auto r = chat(gw, with_config(config));
    EXPECT_TRUE(is_openai_error(r, 503, "circuit open")) << config;
  }
  EXPECT_EQ(a_.requests().size(), 3u);
}

TEST_F(RoutingBreakerTest, RequestsNamingTheProviderFeedItsBreakerAndLoadbalanceSkipsItWhenOpen) {
  AigwProcess gw(kBreakerRouting + two_providers(a_, b_));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chat(gw, with_provider("a")).status, 500);
  EXPECT_EQ(breaker_state(gw.port(), "a"), "open");
  for (int i = 0; i < 10; ++i) {
    const auto r = chat(
        gw,
        with_config(
            R"({"strategy":{"mode":"loadbalance"},"targets":[{"provider":"a","weight":1000},{"provider":"b","weight":1}]})"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-portkey-provider"), "b");
  }
  EXPECT_EQ(a_.requests().size(), 3u);
}

TEST_F(RoutingBreakerTest, ClientErrorsAreSuccessesForTheBreaker) {
  FakeUpstream picky(in_order({openai_error(400, "bad request", {})}));
  AigwProcess gw(kBreakerRouting + two_providers(picky, b_));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(chat(gw, with_provider("a")).status, 400);
  EXPECT_EQ(breaker_state(gw.port(), "a"), "closed");
}

TEST_F(RoutingBreakerTest, AFailureRateOverTheWindowOpensIt) {
  FakeUpstream flaky(in_order(
      {openai_ok(), openai_error(503, "x"), openai_ok(), openai_error(502, "y"), openai_ok()}));
  AigwProcess gw(
      "routing:\n"
      "  breaker: { consecutive_failures: 100, failure_rate: 0.5, min_requests: 4, window: 60s, "
      "open_for: 30s }\n" +
      two_providers(flaky, b_));
  for (int i = 0; i < 3; ++i) chat(gw, with_provider("a"));
  EXPECT_EQ(breaker_state(gw.port(), "a"), "closed");  // 3 requests: under min_requests
  chat(gw, with_provider("a"));                        // 2 of 4 failed: 50 %
  EXPECT_EQ(breaker_state(gw.port(), "a"), "open");
  const auto r = chat(gw, with_config(kFallbackAB));
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(flaky.requests().size(), 4u);
}

// --- 12. model aliases ------------------------------------------------------------------------

TEST(RoutingAliasTest, APublicModelNameIsSentAsTheProvidersIdAndListed) {
  FakeUpstream a(in_order({openai_ok()}));
  FakeUpstream b(in_order({openai_ok()}));
  AigwProcess gw(
      "providers:\n" +
      provider_entry("a", "openai", a.base_url(), kProviderKey,
                     "models: { public-name: \"vendor.model-v1:0\", other-public: "
                     "other-id }") +
      provider_entry("b", "openai", b.base_url(), kProviderKey, "models: [ plain-one ]"));
  ASSERT_EQ(chat(gw, with_provider("a"), chat_request("public-name")).status, 200);
  ASSERT_EQ(chat(gw, with_provider("a"), chat_request("not-aliased")).status, 200);
  ASSERT_EQ(chat(gw, with_provider("b"), chat_request("plain-one")).status, 200);
  // Through a config too: the override names the public model, the provider gets its id.
  const auto routed = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"targets":[{"provider":"a","override_params":{"model":"other-public"}}]})"));
  ASSERT_EQ(routed.status, 200) << routed.body;
  ASSERT_EQ(a.requests().size(), 3u);
  EXPECT_EQ(model_of(a.requests()[0]), "vendor.model-v1:0");
  EXPECT_EQ(model_of(a.requests()[1]), "not-aliased");
  EXPECT_EQ(model_of(a.requests()[2]), "other-id");
  EXPECT_EQ(model_of(b.requests().at(0)), "plain-one");

  const auto models = http_request(gw.port(), "GET", "/v1/models");
  ASSERT_EQ(models.status, 200) << models.body;
  std::vector<std::string> ids;
  const auto listed = models.json();  // kept: the loop below reads into it
  for (const auto& m : listed.at("data").as_array()) ids.emplace_back(m.at("id").as_string());
  for (const char* id : {"public-name", "other-public", "plain-one"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id << " in " << models.body;
  }
  for (const char* id : {"vendor.model-v1:0", "other-id"}) {
    EXPECT_EQ(std::find(ids.begin(), ids.end(), id), ids.end()) << id << " in " << models.body;
  }
}

// --- 13. charged once ------------------------------------------------------------------------

TEST(RoutingBudgetTest, ARequestIsChargedAndCountedOnceHoweverManyAttemptsItTook) {
  FakeUpstream a(in_order({openai_error(500, "a is down")}));
  FakeUpstream b(in_order({openai_ok("answer from b", 7, 3)}));
  AigwProcess gw(kFastRouting + two_providers(a, b) +
                 "teams:\n  default: { budget: { tokens: 1000, period: daily }, limits: { "
                 "requests_per_minute: 10 } }\n");
  const auto r = chat(gw, with_config(kFallbackAB, {{"x-request-id", "routed-fallback-1"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-ratelimit-remaining-requests"), "9");
  const auto budget = http_request(gw.port(), "GET", "/v1/budget");
  ASSERT_EQ(budget.status, 200) << budget.body;
  EXPECT_EQ(int_at(budget.json().at("used"), "tokens"), 10);
  EXPECT_EQ(int_at(budget.json().at("used"), "requests"), 1);
  EXPECT_EQ(int_at(budget.json().at("reserved"), "tokens"), 0);

  ASSERT_TRUE(gw.wait_for_line("routed-fallback-1", 5s));
  json::object line;
  for (auto& l : gw.access_lines()) {
    if (l.contains("request_id") && l.at("request_id") == "routed-fallback-1") line = l;
  }
  ASSERT_TRUE(line.contains("attempts")) << json::serialize(line);
  EXPECT_EQ(line.at("attempts").to_number<int>(), 2) << json::serialize(line);
  EXPECT_EQ(line.at("provider"), "b") << json::serialize(line);
  ASSERT_TRUE(line.contains("target")) << json::serialize(line);
  EXPECT_NE(json::serialize(line.at("target")).find("targets[1]"), std::string::npos)
      << json::serialize(line);
  EXPECT_EQ(line.at("input_tokens").to_number<int>(), 7);
  EXPECT_EQ(line.at("output_tokens").to_number<int>(), 3);
}

// "plus any tokens a failed attempt's provider reported in its error body".
TEST(RoutingBudgetTest, TokensAFailedAttemptReportedAreChargedWithTheAnswer) {
  FakeUpstream a(in_order({Reply::json(
      500,
      R"({"error":{"message":"died mid-answer","type":"server_error","param":null,"code":null},"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5}})")}));
  FakeUpstream b(in_order({openai_ok("answer from b", 7, 3)}));
  AigwProcess gw(kFastRouting + two_providers(a, b) +
                 "teams:\n  default: { budget: { tokens: 1000, period: daily } }\n");
  const auto r = chat(gw, with_config(kFallbackAB));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto budget = http_request(gw.port(), "GET", "/v1/budget");
  EXPECT_EQ(int_at(budget.json().at("used"), "tokens"), 15) << budget.body;
  EXPECT_EQ(int_at(budget.json().at("used"), "requests"), 1) << budget.body;
}

TEST(RoutingBudgetTest, RetriesAreChargedOnceToo) {
  FakeUpstream a(in_order({openai_error(429, "slow down"), openai_ok("served", 7, 3)}));
  AigwProcess gw(kFastRouting + two_providers(a, a) +
                 "teams:\n  default: { budget: { tokens: 1000, period: daily } }\n");
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"retry":{"attempts":2},"targets":[{"provider":"a"}]})",
          {{"x-request-id", "routed-retry-1"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-retry-attempt-count"), "1");
  const auto budget = http_request(gw.port(), "GET", "/v1/budget");
  EXPECT_EQ(int_at(budget.json().at("used"), "tokens"), 10);
  EXPECT_EQ(int_at(budget.json().at("used"), "requests"), 1);
  ASSERT_TRUE(gw.wait_for_line("routed-retry-1", 5s));
  for (auto& l : gw.access_lines()) {
    if (l.contains("request_id") && l.at("request_id") == "routed-retry-1") {
      EXPECT_EQ(l.at("attempts").to_number<int>(), 2) << json::serialize(l);
    }
  }
}

}  // namespace
}  // namespace aigw::testing
