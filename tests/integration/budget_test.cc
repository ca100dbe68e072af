// Budgets, team and client rate limits and the usage ledger end to end: the real aigw against
// fake providers over sockets. Refusals (429 in both error shapes, Retry-After to the period's
// end, nothing forwarded), the x-aigw-budget-* and x-ratelimit-* headers, stream usage settled
// (also when the caller did not ask for it, and when the provider breaks the stream),
// GET /v1/budget, the admin API with its scope, a raised budget surviving a restart, the
// usage report in JSON and CSV, exact totals under concurrency, and unpriced models.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Every non-streamed answer of the fake providers reports 10 input + 5 output tokens.
constexpr int kIn = 10;
constexpr int kOut = 5;
// The canned OpenAI stream reports 21 + 8; the Anthropic one 9 + 4 (api_checks.cc).
constexpr int kStreamIn = 21;
constexpr int kStreamOut = 8;

bool asked_for_usage(const UpstreamRequest& r) {
  boost::system::error_code ec;
  const auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return false;
  const auto* so = v.as_object().if_contains("stream_options");
  return so && so->is_object() && so->as_object().if_contains("include_usage") &&
         so->as_object().at("include_usage") == true;
}

bool is_stream(const UpstreamRequest& r) {
  return r.body.find("\"stream\":true") != std::string::npos;
}

Reply openai_reply(const UpstreamRequest& r) {
  if (!is_stream(r)) return Reply::json(200, openai_chat_answer("hello", kIn, kOut));
  std::vector<std::string> events = {openai_delta_event("hel"), openai_delta_event("lo")};
  // A real provider sends usage only when asked.
  if (asked_for_usage(r)) events.push_back(openai_usage_event(kStreamIn, kStreamOut));
  events.push_back(openai_done_event());
  return Reply::sse(std::move(events));
}

Reply anthropic_reply(const UpstreamRequest& r) {
  if (!is_stream(r)) return Reply::json(200, anthropic_message_answer("hello", kIn, kOut));
  return Reply::sse(anthropic_stream_events({"hel", "lo"}));
}

class BudgetTest : public ::testing::Test {
 protected:
  std::unique_ptr<AigwProcess> start(const std::string& more_yaml, AigwOptions options = {}) {
    return std::make_unique<AigwProcess>(providers_yaml(&openai_, &anthropic_) + more_yaml,
                                         std::move(options));
  }
  static HttpResponse chat(const AigwProcess& gw, const std::string& body = chat_request(),
                           Headers more = {}) {
    return http_request(gw.port(), "POST", "/v1/chat/completions",
                        with_provider("openai", std::move(more)), body);
  }
  static HttpResponse messages(const AigwProcess& gw, const std::string& body = messages_request(),
                               Headers more = {}) {
    return http_request(gw.port(), "POST", "/v1/messages",
                        with_provider("anthropic", std::move(more)), body);
  }
  static json::value budget_of(const AigwProcess& gw, const Headers& headers = {}) {
    const auto r = http_request(gw.port(), "GET", "/v1/budget", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  FakeUpstream openai_{openai_reply};
  FakeUpstream anthropic_{anthropic_reply};
};

// --- 1. an exhausted budget ---------------------------------------------------------------

TEST_F(BudgetTest,
       ExhaustedBudgetIs429InBothShapesForWholeAndStreamedRequestsAndNothingIsForwarded) {
  auto gw = start("teams:\n  default: { budget: { tokens: 15, period: daily } }\n");
  const auto first = chat(*gw);
  ASSERT_EQ(first.status, 200) << first.body
                               << first.error;  // 10 + 5 = 15 tokens: the budget is used up
  ASSERT_EQ(openai_.requests().size(), 1u);

  const UtcDay day = utc_today();
  const std::string message = "team \"default\" used 15 of its 15 tokens for the daily budget (" +
                              day.key + "); it resets at " + day.reset_at;
  const auto check_retry_after = [&](const HttpResponse& r, const char* what) {
    const std::string value = r.header("retry-after");
    ASSERT_FALSE(value.empty()) << what;
    EXPECT_NEAR(std::stoll(value), utc_today().seconds_left, 2) << what;
    EXPECT_EQ(r.header("x-aigw-budget-remaining-tokens"), "0") << what;
    EXPECT_EQ(r.header("x-aigw-budget-limit-tokens"), "15") << what;
  };

  const auto whole = chat(*gw);
  EXPECT_TRUE(is_openai_error(whole, 429, message));
  EXPECT_EQ(whole.json().at("error").at("type"), "budget_exceeded") << whole.body;
  check_retry_after(whole, "chat");

  const auto streamed = chat(*gw, chat_request("gpt-4o", ",\"stream\":true"));
  EXPECT_TRUE(is_openai_error(streamed, 429, message));
  EXPECT_EQ(streamed.header("content-type").rfind("application/json", 0), 0u)
      << streamed.header("content-type");
  check_retry_after(streamed, "chat stream");

  const auto anthropic_whole = messages(*gw);
  EXPECT_TRUE(is_anthropic_error(anthropic_whole, 429, message));
  check_retry_after(anthropic_whole, "messages");

  const auto anthropic_streamed = messages(*gw, messages_request(",\"stream\":true"));
  EXPECT_TRUE(is_anthropic_error(anthropic_streamed, 429, message));
  check_retry_after(anthropic_streamed, "messages stream");

  // Refused before forwarding: the providers saw only the first request.
  EXPECT_EQ(openai_.requests().size(), 1u);
  EXPECT_EQ(anthropic_.requests().size(), 0u);
  const auto b = budget_of(*gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 15);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);  // refusals cost nothing
  EXPECT_EQ(b.at("exhausted"), true);
}

TEST_F(BudgetTest, AStreamedAnswerCanUseUpTheBudgetToo) {
  auto gw = start("teams:\n  default: { budget: { tokens: 13, period: daily } }\n");
  const auto first = messages(*gw, messages_request(",\"stream\":true"));  // 9 + 4 = 13
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("event: message_stop"), std::string::npos) << first.body;
  const auto refused = chat(*gw);
  EXPECT_TRUE(is_openai_error(refused, 429,
                              "team \"default\" used 13 of its 13 tokens for the daily budget"));
  EXPECT_EQ(openai_.requests().size(), 0u);
}

// --- 2. usage headers on every answer ----------------------------------------------------

TEST_F(BudgetTest, EveryAnswerCarriesBudgetAndRateLimitHeadersThatFollowTheProvidersCounts) {
  auto gw = start(
      "teams:\n  default: { budget: { tokens: 1000, period: daily }, limits: { "
      "requests_per_minute: 10 } }\n");
  const UtcDay day = utc_today();
  struct Step {
    const char* what;
    HttpResponse response;
    std::int64_t tokens;  // what the provider reported for it
  };
  std::vector<Step> steps;
  steps.push_back({"chat", chat(*gw), kIn + kOut});
  steps.push_back({"chat stream", chat(*gw, chat_request("gpt-4o", ",\"stream\":true")),
                   kStreamIn + kStreamOut});
  steps.push_back({"messages", messages(*gw), kIn + kOut});
  steps.push_back({"messages stream", messages(*gw, messages_request(",\"stream\":true")), 9 + 4});
  steps.push_back({"chat again", chat(*gw), kIn + kOut});

  // The headers describe the budget as it stood when the request was admitted, and the rate
  // window after counting it.
  std::int64_t remaining = 1000;
  std::int64_t requests_left = 10;
  for (const auto& s : steps) {
    ASSERT_EQ(s.response.status, 200) << s.what << ": " << s.response.body;
    EXPECT_EQ(s.response.header("x-aigw-budget-limit-tokens"), "1000") << s.what;
    EXPECT_EQ(s.response.header("x-aigw-budget-remaining-tokens"), std::to_string(remaining))
        << s.what;
    EXPECT_EQ(s.response.header("x-aigw-budget-reset"), day.reset_at) << s.what;
    EXPECT_EQ(s.response.header("x-ratelimit-limit-requests"), "10") << s.what;
    EXPECT_EQ(s.response.header("x-ratelimit-remaining-requests"), std::to_string(--requests_left))
        << s.what;
    EXPECT_FALSE(s.response.header("x-ratelimit-reset-requests").empty()) << s.what;
    remaining -= s.tokens;
  }
  EXPECT_EQ(remaining, 1000 - 15 - 29 - 15 - 13 - 15);
  const auto r = http_request(gw->port(), "GET", "/v1/budget");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-aigw-budget-remaining-tokens"), std::to_string(remaining));
  EXPECT_EQ(int_at(r.json().at("remaining"), "tokens"), remaining);
}

// --- 3. streams are settled ---------------------------------------------------------------

TEST_F(BudgetTest, ChatStreamUsageIsAskedForStrippedAndSettled) {
  auto gw = start("teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto r = chat(*gw, chat_request("gpt-4o", ",\"stream\":true"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_TRUE(asked_for_usage(openai_.requests()[0])) << openai_.requests()[0].body;
  EXPECT_NE(r.body.find("\"content\":\"hel\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("usage"), std::string::npos)
      << "the caller did not ask for the usage chunk:\n"
      << r.body;
  auto b = budget_of(*gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kStreamIn + kStreamOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);

  // A caller who asked for it gets it, and it is counted the same.
  const auto asked = chat(
      *gw, chat_request("gpt-4o", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.body.find("\"prompt_tokens\":21"), std::string::npos) << asked.body;
  b = budget_of(*gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 2 * (kStreamIn + kStreamOut));
  EXPECT_EQ(int_at(b.at("used"), "requests"), 2);

  const auto report = usage_report(gw->port(), "group_by=team,model");
  ASSERT_TRUE(report.is_object());
  ASSERT_EQ(report.at("rows").as_array().size(), 1u) << report;
  const auto& row = report.at("rows").at(0);
  EXPECT_EQ(row.at("team"), "default");
  EXPECT_EQ(row.at("model"), "gpt-4o");
  EXPECT_EQ(int_at(row, "input_tokens"), 2 * kStreamIn);
  EXPECT_EQ(int_at(row, "output_tokens"), 2 * kStreamOut);
  EXPECT_EQ(int_at(row, "requests"), 2);
}

TEST_F(BudgetTest, AnthropicStreamsAreSettledAndABrokenOneCountsWhatItSent) {
  std::atomic<bool> break_it{false};
  FakeUpstream anthropic([&](const UpstreamRequest&) {
    auto events = anthropic_stream_events({"hel", "lo"});
    if (!break_it) return Reply::sse(std::move(events));
    events.resize(3);  // message_start (9 in, 1 out so far), content_block_start, one delta
    return Reply::broken_sse(std::move(events));
  });
  AigwProcess gw(providers_yaml(nullptr, &anthropic) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto call = [&] {
    return http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"),
                        messages_request(",\"stream\":true"));
  };
  const auto whole = call();
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_NE(whole.body.find("event: message_stop"), std::string::npos) << whole.body;
  auto b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 9 + 4);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);

  break_it = true;
  const auto broken = call();
  EXPECT_EQ(broken.status, 200);  // the stream had begun
  EXPECT_NE(broken.body.find("\"type\":\"error\""), std::string::npos) << "the caller is told:\n"
                                                                       << broken.body;
  EXPECT_EQ(broken.body.find("event: message_stop"), std::string::npos) << broken.body;
  b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 9 + 4 + 9 + 1);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 2);

  const auto totals = usage_report(gw.port(), "group_by=team").at("totals");
  EXPECT_EQ(int_at(totals, "input_tokens"), 18);
  EXPECT_EQ(int_at(totals, "output_tokens"), 5);
  EXPECT_EQ(int_at(totals, "requests"), 2);
}

TEST_F(BudgetTest, ABrokenChatStreamAfterItsUsageChunkIsSettled) {
  // Usage arrives in the last chunk of a chat stream; a break before [DONE] must not lose it.
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::broken_sse(
        {openai_delta_event("hel"), openai_usage_event(kStreamIn, kStreamOut)});
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              chat_request("gpt-4o", ",\"stream\":true"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("\"usage\""), std::string::npos) << r.body;
  const auto b = budget_of(gw);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kStreamIn + kStreamOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);
}

// --- 4. rate limits without auth: the client is the IP ------------------------------------

TEST_F(BudgetTest, ClientRequestLimitAndTeamTokenLimitRefuseWith429) {
  {
    auto gw = start("limits: { client: { requests_per_minute: 2 } }\n");
    EXPECT_EQ(chat(*gw).status, 200);
    EXPECT_EQ(chat(*gw).status, 200);
    const auto refused = chat(*gw);
    EXPECT_TRUE(is_openai_error(
        refused, 429,
        "client \"127.0.0.1\" is over its limit of 2 requests per minute; retry in "));
    const std::string retry = refused.header("retry-after");
    ASSERT_FALSE(retry.empty());
    // A sliding-window-counter estimate (limits/sliding_window.h): when the current window
    // alone is full, the wait runs into the next one, so up to two windows, not one.
    EXPECT_GE(std::stoll(retry), 1);
    EXPECT_LE(std::stoll(retry), 120);
    EXPECT_NE(refused.error_message().find("retry in " + retry + "s"), std::string::npos)
        << refused.body;
    EXPECT_EQ(refused.header("x-ratelimit-remaining-requests"), "0");
    EXPECT_TRUE(is_anthropic_error(messages(*gw), 429, "client \"127.0.0.1\" is over its limit"));
    EXPECT_EQ(openai_.requests().size(), 2u);
    EXPECT_EQ(anthropic_.requests().size(), 0u);
  }
  {
    // Tokens are known after the answer: the first two are admitted (0, then 15 < 20), the
    // third sees 30 >= 20.
    auto gw = start("limits: { team: { tokens_per_minute: 20 } }\n");
    const auto first = chat(*gw);
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.header("x-ratelimit-limit-tokens"), "20");
    EXPECT_EQ(first.header("x-ratelimit-remaining-tokens"), "20");
    const auto second = chat(*gw);
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.header("x-ratelimit-remaining-tokens"), "5");
    EXPECT_TRUE(is_openai_error(chat(*gw), 429,
                                "team \"default\" is over its limit of 20 tokens per minute"));
    EXPECT_EQ(openai_.requests().size(), 4u);
  }
}

// --- 9. models without a price --------------------------------------------------------------

TEST_F(BudgetTest, UnknownModelIsServedAndCountedUnpricedAtNoCost) {
  auto gw = start("teams:\n  default: { budget: { usd: 1, period: daily } }\n");
  const auto unknown = chat(*gw, chat_request("no-such-model-x"));
  EXPECT_EQ(unknown.status, 200) << unknown.body;  // not blocked for want of a price
  EXPECT_EQ(chat(*gw).status, 200);
  EXPECT_EQ(openai_.requests().size(), 2u);

  const auto report = usage_report(gw->port(), "group_by=model");
  ASSERT_TRUE(report.is_object());
  const auto& rows = report.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u) << report;
  EXPECT_EQ(rows[0].at("model"), "gpt-4o");
  EXPECT_EQ(int_at(rows[0], "unpriced_requests"), 0);
  EXPECT_NEAR(double_at(rows[0], "cost_usd"), (kIn * 2.5 + kOut * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(rows[1].at("model"), "no-such-model-x");
  EXPECT_EQ(int_at(rows[1], "input_tokens"), kIn);
  EXPECT_EQ(int_at(rows[1], "output_tokens"), kOut);
  EXPECT_EQ(int_at(rows[1], "requests"), 1);
  EXPECT_EQ(int_at(rows[1], "unpriced_requests"), 1);
  EXPECT_EQ(double_at(rows[1], "cost_usd"), 0.0);
  EXPECT_EQ(int_at(report.at("totals"), "unpriced_requests"), 1);
  // The USD budget counted only the priced request.
  const auto b = budget_of(*gw);
  EXPECT_NEAR(double_at(b.at("used"), "usd"), (kIn * 2.5 + kOut * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(int_at(b.at("used"), "tokens"), 2 * (kIn + kOut));
}

TEST_F(BudgetTest, SpentUsdBudgetIs429NamingDollarsWithPricesFromTheConfig) {
  // One answer costs kIn * 2 + kOut * 8 micro-dollars at the configured gpt-4o price; the
  // budget is one such answer plus a little, so the third request is refused.
  const double one = (kIn * 2.0 + kOut * 8.0) / 1e6;
  auto gw = start(
      "prices:\n  \"gpt-4o\": { input: 2, output: 8 }\n"
      "teams:\n  default: { budget: { usd: " +
      std::to_string(one * 1.5) + ", period: daily } }\n");
  EXPECT_EQ(chat(*gw).status, 200);
  EXPECT_EQ(chat(*gw).status, 200);  // used < budget when it started: admitted (overshoot)
  const auto refused = chat(*gw);
  EXPECT_TRUE(is_openai_error(refused, 429, "team \"default\" spent $")) << refused.body;
  EXPECT_NE(refused.error_message().find("USD for the daily budget"), std::string::npos)
      << refused.body;
  EXPECT_EQ(openai_.requests().size(), 2u);
  const auto b = budget_of(*gw);
  EXPECT_NEAR(double_at(b.at("used"), "usd"), 2 * one, 1e-12);
  EXPECT_TRUE(b.at("exhausted").as_bool());
}

// --- with auth: teams from tokens ------------------------------------------------------------

std::string auth_yaml() {
  return std::string(
             "auth:\n"
             "  builtin_issuer: { keys_dir: ./keys }\n"
             "  clients:\n"
             "    - { client_id: alpha-bot, team: alpha, client_secret: alpha-secret, scopes: [ "
             "\"") +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: alpha-two, team: alpha, client_secret: alpha-two-secret, scopes: [ "
         "\"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: beta-bot, team: beta, client_secret: beta-secret, scopes: [ \"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: gamma-bot, team: gamma, client_secret: gamma-secret, scopes: [ \"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: ops, team: ops, client_secret: ops-secret, scopes: [ \"" +
         kInvokeScope + "\", \"" + kAdminScope + "\" ] }\n";
}

class BudgetAuthTest : public BudgetTest {
 protected:
  std::unique_ptr<AigwProcess> start_with_auth(const std::string& teams_yaml,
                                               AigwOptions options = {}) {
    return start(auth_yaml() + teams_yaml, std::move(options));
  }
};

// The secret of each client in auth_yaml().
std::string secret_of(const std::string& client) {
  if (client == "alpha-two") return "alpha-two-secret";
  if (client == "ops") return "ops-secret";
  return client.substr(0, client.find('-')) + "-secret";
}

TEST_F(BudgetAuthTest, TeamRequestLimitRefusesTheFourthAndSparesAnotherTeam) {
  auto gw = start_with_auth(
      "teams:\n  alpha: { limits: { requests_per_minute: 3 } }\n"
      "  beta: { limits: { requests_per_minute: 3 } }\n");
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string alpha_two = fetch_token(gw->port(), "alpha-two", secret_of("alpha-two"));
  const std::string beta = fetch_token(gw->port(), "beta-bot", secret_of("beta-bot"));
  ASSERT_FALSE(alpha.empty());
  ASSERT_FALSE(beta.empty());
  for (int i = 0; i < 3; ++i) {
    const auto r = chat(*gw, chat_request(),
                        bearer(i == 1 ? alpha_two : alpha));  // the team's, not the client's
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "3");
    EXPECT_EQ(r.header("x-ratelimit-remaining-requests"), std::to_string(2 - i));
  }
  const auto refused = chat(*gw, chat_request(), bearer(alpha));
  EXPECT_TRUE(is_openai_error(
      refused, 429, "team \"alpha\" is over its limit of 3 requests per minute; retry in "));
  EXPECT_EQ(refused.json().at("error").at("type"), "rate_limit_error");
  const std::string retry = refused.header("retry-after");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoll(retry), 1);
  EXPECT_LE(std::stoll(retry), 120);  // up to two windows (see above)
  EXPECT_NE(refused.error_message().find("retry in " + retry + "s"), std::string::npos)
      << refused.body;
  EXPECT_TRUE(is_anthropic_error(messages(*gw, messages_request(), bearer(alpha_two)), 429,
                                 "team \"alpha\" is over its limit of 3 requests per minute"));
  EXPECT_EQ(openai_.requests().size(), 3u);  // the refused ones were not forwarded
  EXPECT_EQ(anthropic_.requests().size(), 0u);

  const auto other = chat(*gw, chat_request(), bearer(beta));
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("x-ratelimit-remaining-requests"), "2");
  EXPECT_EQ(openai_.requests().size(), 4u);
}

// --- 5. GET /v1/budget ------------------------------------------------------------------------

TEST_F(BudgetAuthTest, BudgetEndpointNeedsATokenAndReportsTheTokensTeam) {
  auto gw = start_with_auth("teams:\n  alpha: { budget: { tokens: 1000, period: daily } }\n");
  EXPECT_EQ(http_request(gw->port(), "GET", "/v1/budget").status, 401);
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string beta = fetch_token(gw->port(), "beta-bot", secret_of("beta-bot"));
  ASSERT_EQ(chat(*gw, chat_request(), bearer(alpha)).status, 200);
  ASSERT_EQ(chat(*gw, chat_request(), bearer(beta)).status, 200);  // another team's usage

  const UtcDay day = utc_today();
  const auto r = http_request(gw->port(), "GET", "/v1/budget", bearer(alpha));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = r.json();
  EXPECT_EQ(b.at("team"), "alpha");
  EXPECT_EQ(b.at("client_id"), "alpha-bot");
  EXPECT_EQ(int_at(b.at("budget"), "tokens"), 1000);
  EXPECT_EQ(b.at("budget").at("period"), "daily");
  EXPECT_EQ(b.at("period"), json::value(day.key));
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kIn + kOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);
  EXPECT_NEAR(double_at(b.at("used"), "usd"), (kIn * 2.5 + kOut * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(int_at(b.at("remaining"), "tokens"), 1000 - kIn - kOut);
  EXPECT_EQ(b.at("resets_at"), json::value(day.reset_at));
  EXPECT_EQ(b.at("exhausted"), false);
  EXPECT_EQ(r.header("x-aigw-budget-remaining-tokens"), std::to_string(1000 - kIn - kOut));

  // A team without a budget: its usage all the same, no budget.
  const auto rb = http_request(gw->port(), "GET", "/v1/budget", bearer(beta));
  ASSERT_EQ(rb.status, 200) << rb.body;
  EXPECT_EQ(rb.json().at("team"), "beta");
  EXPECT_TRUE(rb.json().at("budget").is_null()) << rb.body;
  EXPECT_EQ(int_at(rb.json().at("used"), "tokens"), kIn + kOut);
  EXPECT_FALSE(rb.has_header("x-aigw-budget-limit-tokens"));
}

// --- 6. the admin API --------------------------------------------------------------------------

TEST_F(BudgetAuthTest, AdminNeedsItsScopeAndARaisedBudgetServesAgainAndSurvivesARestart) {
  const TempDir state;
  AigwOptions in_state;
  in_state.dir = state.path();
  const std::string teams = "teams:\n  alpha: { budget: { tokens: 15, period: daily } }\n";
  const std::string raise = R"({"tokens":1000})";
  {
    auto gw = start_with_auth(teams, in_state);
    const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
    const std::string ops = fetch_token(gw->port(), "ops", secret_of("ops"), kAdminScope);
    ASSERT_FALSE(alpha.empty());
    ASSERT_FALSE(ops.empty());

    // The invoke scope does not open the admin API.
    for (const char* path : {"/admin/teams", "/admin/teams/alpha", "/admin/usage?group_by=team"}) {
      const auto r = http_request(gw->port(), "GET", path, bearer(alpha));
      EXPECT_EQ(r.status, 403) << path << ": " << r.body;
      EXPECT_NE(r.body.find(kAdminScope), std::string::npos) << path << ": " << r.body;
      EXPECT_EQ(http_request(gw->port(), "GET", path).status, 401) << path;
    }
    const auto sneaky =
        http_request(gw->port(), "POST", "/admin/teams/alpha/budget", bearer(alpha), raise);
    EXPECT_EQ(sneaky.status, 403) << sneaky.body;

    const auto listed = http_request(gw->port(), "GET", "/admin/teams", bearer(ops));
    ASSERT_EQ(listed.status, 200) << listed.body;
    bool found = false;
    const auto listed_json = listed.json();
    for (const auto& t : listed_json.at("data").as_array()) {
      if (t.at("name") != "alpha") continue;
      found = true;
      EXPECT_EQ(int_at(t.at("budget"), "tokens"), 15) << t;
    }
    EXPECT_TRUE(found) << listed.body;

    ASSERT_EQ(chat(*gw, chat_request(), bearer(alpha)).status, 200);
    const auto refused = chat(*gw, chat_request(), bearer(alpha));
    ASSERT_TRUE(is_openai_error(refused, 429, "team \"alpha\" used 15 of its 15 tokens"));

    const auto raised =
        http_request(gw->port(), "POST", "/admin/teams/alpha/budget", bearer(ops), raise);
    ASSERT_EQ(raised.status, 200) << raised.body;
    EXPECT_EQ(int_at(raised.json().at("budget"), "tokens"), 1000) << raised.body;
    EXPECT_EQ(raised.json().at("budget").at("period"), "daily")
        << "the period is kept: " << raised.body;
    EXPECT_EQ(int_at(raised.json().at("usage"), "tokens"), 15) << raised.body;

    const auto served = chat(*gw, chat_request(), bearer(alpha));
    EXPECT_EQ(served.status, 200) << served.body;
    EXPECT_EQ(served.header("x-aigw-budget-limit-tokens"), "1000");
    EXPECT_EQ(served.header("x-aigw-budget-remaining-tokens"), "985");
    EXPECT_EQ(openai_.requests().size(), 2u);

    gw->send_signal(SIGTERM);
    ASSERT_EQ(gw->wait_exit(10s), 0);
  }
  // Same state dir, same config file: the raised budget and the usage come back.
  auto gw = start_with_auth(teams, in_state);
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string ops = fetch_token(gw->port(), "ops", secret_of("ops"), kAdminScope);
  const auto team = http_request(gw->port(), "GET", "/admin/teams/alpha", bearer(ops));
  ASSERT_EQ(team.status, 200) << team.body;
  EXPECT_EQ(int_at(team.json().at("budget"), "tokens"), 1000) << team.body;
  EXPECT_EQ(int_at(team.json().at("usage"), "tokens"), 30) << team.body;
  EXPECT_EQ(int_at(team.json().at("usage"), "requests"), 2) << team.body;
  const auto again = chat(*gw, chat_request(), bearer(alpha));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.header("x-aigw-budget-remaining-tokens"), "970");

  // The report: what the provider reported, by team and model.
  const auto report = usage_report(gw->port(), "group_by=team,model", bearer(ops));
  ASSERT_TRUE(report.is_object());
  const auto& rows = report.at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u) << report;
  EXPECT_EQ(rows[0].at("team"), "alpha");
  EXPECT_EQ(rows[0].at("model"), "gpt-4o");
  EXPECT_EQ(int_at(rows[0], "input_tokens"), 3 * kIn);
  EXPECT_EQ(int_at(rows[0], "output_tokens"), 3 * kOut);
  EXPECT_EQ(int_at(rows[0], "requests"), 3);
  EXPECT_EQ(int_at(rows[0], "unpriced_requests"), 0);
  EXPECT_EQ(report.at("group_by"), (json::array{"team", "model"}));

  const auto csv =
      http_request(gw->port(), "GET", "/admin/usage?group_by=team,model&format=csv", bearer(ops));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("content-type").rfind("text/csv", 0), 0u) << csv.header("content-type");
  EXPECT_EQ(
      csv.body,
      "team,model,input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,cost_usd,"
      "estimated_requests,estimated_tokens\r\n"
      "alpha,gpt-4o,30,15,0,3,0,0.000225,0,0\r\n");
  EXPECT_EQ(http_request(gw->port(), "GET", "/admin/usage?format=csv", bearer(alpha)).status, 403);
}

// --- 7. concurrency ------------------------------------------------------------------------------

TEST_F(BudgetAuthTest, ConcurrentRequestsFromSeveralTeamsAreCountedExactly) {
  // The provider reports what the request asks for ("usage P C" in its text), so the test knows
  // every count; it also sums what it served.
  std::mutex mutex;
  std::int64_t served_in = 0;
  std::int64_t served_out = 0;
  std::int64_t served = 0;
  FakeUpstream openai([&](const UpstreamRequest& r) {
    // (std::regex trips GCC 12's -Wmaybe-uninitialized.)
    const auto at = r.body.find("usage ");
    int in = 0;
    int out = 0;
    if (at == std::string::npos ||
        std::sscanf(r.body.c_str() + at, "usage %d %d", &in, &out) != 2) {
      return Reply::json(400, R"({"error":{"message":"no usage"}})");
    }
    {
      std::lock_guard lock(mutex);
      served_in += in;
      served_out += out;
      ++served;
    }
    return Reply::json(200, openai_chat_answer("ok", in, out));
  });
  AigwProcess gw(providers_yaml(&openai) + auth_yaml() +
                 "teams:\n  alpha: { budget: { tokens: 100000000, period: daily } }\n");
  const std::vector<std::string> clients = {"alpha-bot", "alpha-two", "beta-bot", "gamma-bot"};
  std::vector<std::string> tokens;
  for (const auto& c : clients) tokens.push_back(fetch_token(gw.port(), c, secret_of(c)));
  for (const auto& t : tokens) ASSERT_FALSE(t.empty());
  const std::map<std::string, std::string> team_of = {
      {"alpha-bot", "alpha"}, {"alpha-two", "alpha"}, {"beta-bot", "beta"}, {"gamma-bot", "gamma"}};

  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  struct Sum {
    std::int64_t in = 0, out = 0, requests = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Sum> expected;  // team, client, model
  std::mutex expected_mutex;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string& client = clients[static_cast<std::size_t>(t) % clients.size()];
      const std::string& token = tokens[static_cast<std::size_t>(t) % clients.size()];
      HttpConnection conn(gw.port(), 10s);
      for (int i = 0; i < kPerThread; ++i) {
        const int k = t * kPerThread + i;
        const int in = 1 + k % 17;
        const int out = 1 + k % 11;
        const std::string model = k % 3 == 0 ? "gpt-4o-mini" : "gpt-4o";
        const auto r = conn.request(
            "POST", "/v1/chat/completions", with_provider("openai", bearer(token)),
            chat_request(model, "", "usage " + std::to_string(in) + " " + std::to_string(out)));
        if (r.status != 200 ||
            r.body.find("\"prompt_tokens\":" + std::to_string(in)) == std::string::npos) {
          ++failures;
          continue;
        }
        std::lock_guard lock(expected_mutex);
        auto& s = expected[{team_of.at(client), client, model}];
        s.in += in;
        s.out += out;
        ++s.requests;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(served, kThreads * kPerThread);
  }

  const auto report =
      usage_report(gw.port(), "group_by=team,client,model",
                   bearer(fetch_token(gw.port(), "ops", "ops-secret", kAdminScope)));
  ASSERT_TRUE(report.is_object());
  const auto& totals = report.at("totals");
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(int_at(totals, "input_tokens"), served_in);
    EXPECT_EQ(int_at(totals, "output_tokens"), served_out);
    EXPECT_EQ(int_at(totals, "requests"), served);
  }
  std::map<std::tuple<std::string, std::string, std::string>, Sum> ledger;
  for (const auto& row : report.at("rows").as_array()) {
    auto& s =
        ledger[{std::string(row.at("team").as_string()), std::string(row.at("client").as_string()),
                std::string(row.at("model").as_string())}];
    s.in = int_at(row, "input_tokens");
    s.out = int_at(row, "output_tokens");
    s.requests = int_at(row, "requests");
  }
  ASSERT_EQ(ledger.size(), expected.size()) << report;
  for (const auto& [key, want] : expected) {
    const auto it = ledger.find(key);
    ASSERT_NE(it, ledger.end()) << std::get<0>(key) << "/" << std::get<1>(key) << "/"
                                << std::get<2>(key);
    EXPECT_EQ(it->second.in, want.in) << std::get<1>(key) << " " << std::get<2>(key);
    EXPECT_EQ(it->second.out, want.out) << std::get<1>(key) << " " << std::get<2>(key);
    EXPECT_EQ(it->second.requests, want.requests) << std::get<1>(key) << " " << std::get<2>(key);
  }
  // The in-memory counters agree with the ledger.
  std::map<std::string, std::int64_t> team_tokens;
  for (const auto& [key, s] : expected) team_tokens[std::get<0>(key)] += s.in + s.out;
  for (std::size_t c : {0u, 2u, 3u}) {
    const auto r = http_request(gw.port(), "GET", "/v1/budget", bearer(tokens[c]));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(int_at(r.json().at("used"), "tokens"), team_tokens[team_of.at(clients[c])])
        << clients[c];
  }
}

}  // namespace
}  // namespace aigw::testing
