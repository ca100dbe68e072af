// Budgets and rate limits end to end without auth: the real aigw against fake providers over
// sockets. Refusals (429 in both error shapes, Retry-After to the period's end, nothing
// forwarded), the x-aigw-budget-* and x-ratelimit-* headers, client and team rate limits, USD
// budgets and unpriced models. Streams settled: budget_stream_test.cc; teams from tokens, GET
// /v1/budget, the admin API and concurrency: budget_auth_test.cc; the fixture:
// support/budget_fixture.h.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/api_checks.h"
#include "support/budget_fixture.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

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

}  // namespace
}  // namespace aigw::testing
