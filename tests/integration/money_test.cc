// Money as callers and admins read it: /v1/budget, /admin/usage (JSON and CSV) and the admin
// team routes write dollars as plain decimals at micro-dollar precision — `0`, `0.000735` —
// never `0E0` or the tail of a floating-point sum.
#include <gtest/gtest.h>

#include <string>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

// Numbers written with an exponent (1E-2, 0E0, 9.98E-2) anywhere in a JSON text.
bool has_exponent(const std::string& text) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if ((text[i] != 'e' && text[i] != 'E') || !digit(text[i - 1])) continue;
    const std::size_t next = text[i + 1] == '-' || text[i + 1] == '+' ? i + 2 : i + 1;
    if (next < text.size() && digit(text[next])) return true;
  }
  return false;
}

class MoneyTest : public ::testing::Test {
 protected:
  // 10 input tokens at $3/M and 5 output at $15/M: 0.000105 per answer.
  FakeUpstream openai_{
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("hello", 10, 5)); }};
  AigwProcess gw_{providers_yaml(&openai_) +
                  "auth: { enabled: false, admin_without_auth: loopback }\n"
                  "prices:\n  \"gpt-4o\": { input: 3, output: 15 }\n"
                  "teams:\n  default: { budget: { usd: 5, period: monthly } }\n"};
};

TEST_F(MoneyTest, NothingSpentIsZeroNotAnExponent) {
  const auto r = http_request(gw_.port(), "GET", "/v1/budget");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("used":{"tokens":0,"usd":0,"requests":0})"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("usd":5)"), std::string::npos) << r.body;
  EXPECT_FALSE(has_exponent(r.body)) << r.body;
}

TEST_F(MoneyTest, SpentMoneyIsExactInTheBudgetTheReportAndTheCsv) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                           chat_request())
                  .status,
              200);
  }
  const auto budget = http_request(gw_.port(), "GET", "/v1/budget");
  EXPECT_NE(budget.body.find(R"("usd":0.000735)"), std::string::npos) << budget.body;
  EXPECT_NE(budget.body.find(R"("remaining":{"tokens":null,"usd":4.999265})"), std::string::npos)
      << budget.body;
  EXPECT_FALSE(has_exponent(budget.body)) << budget.body;

  const auto report = http_request(gw_.port(), "GET", "/admin/usage?group_by=team");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_NE(report.body.find(R"("cost_usd":0.000735)"), std::string::npos) << report.body;
  EXPECT_FALSE(has_exponent(report.body)) << report.body;

  const auto csv = http_request(gw_.port(), "GET", "/admin/usage?group_by=team&format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.body.find(",0.000735,"), std::string::npos) << csv.body;

  const auto team = http_request(gw_.port(), "GET", "/admin/teams/default");
  ASSERT_EQ(team.status, 200) << team.body;
  EXPECT_FALSE(has_exponent(team.body)) << team.body;
}

}  // namespace
}  // namespace aigw::testing
