// Team settings as JSON for the admin API and the store: round trip and field-naming errors.
#include "budget/team_settings_json.h"

#include <gtest/gtest.h>

namespace aigw::budget {
namespace {

std::string error_of(std::string_view body) {
  const auto r = parse_team_settings_json("platform", body);
  return r.ok() ? "(no error)" : std::to_string(r.error().status) + " " + r.error().message;
}

TEST(BudgetTeamJsonTest, RoundTripsBudgetAndLimits) {
  TeamSettings t;
  t.name = "platform";
  t.budget =
      TeamBudget{5'000'000, 200.5, BudgetPeriod(PeriodKind::kWeekly, std::chrono::minutes(-300))};
  t.limits = limits::RateLimits{600, 200'000};
  const std::string json = team_settings_json(t);
  EXPECT_EQ(json,
            R"({"budget":{"tokens":5000000,"usd":2.005E2,"period":"weekly","timezone":"-05:00"},)"
            R"("limits":{"requests_per_minute":600,"tokens_per_minute":200000}})");
  auto back = parse_team_settings_json("platform", json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, "platform");
  EXPECT_EQ(back->budget, t.budget);
  EXPECT_EQ(back->limits, t.limits);
}

TEST(BudgetTeamJsonTest, AbsentOrNullMeansNone) {
  auto t = parse_team_settings_json("p", R"({"budget": null})");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->budget.has_value());
  EXPECT_FALSE(t->limits.has_value());
  EXPECT_EQ(team_settings_json(*t), R"({"budget":null,"limits":null})");
  auto monthly = parse_team_settings_json("p", R"({"budget": {"tokens": 10}})");
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ(monthly->budget->period, BudgetPeriod(PeriodKind::kMonthly));
}

TEST(BudgetTeamJsonTest, BadFieldsAre400sNamingTheField) {
  EXPECT_EQ(error_of("nope"), "400 team settings must be a JSON object");
  EXPECT_EQ(error_of("[]"), "400 team settings must be a JSON object");
  EXPECT_EQ(error_of(R"({"budget": {"tokens": 1, "period": "yearly"}})"),
            "400 budget.period: expected daily, weekly or monthly, got \"yearly\"");
  EXPECT_EQ(error_of(R"({"budget": {"tokens": -1}})"),
            "400 budget.tokens: expected a whole number, 0 or more");
  EXPECT_EQ(error_of(R"({"budget": {"usd": "lots"}})"),
            "400 budget.usd: expected a number of US dollars, 0 or more");
  EXPECT_EQ(error_of(R"({"budget": {}})"), "400 budget: needs tokens, usd or both");
  EXPECT_EQ(error_of(R"({"budget": {"tokens": 1, "timezone": "Europe/Berlin"}})"),
            "400 budget.timezone: time zone names such as \"Europe/Berlin\" are not supported "
            "yet; use a fixed UTC offset such as \"+01:00\" or \"-05:00\"");
  EXPECT_EQ(error_of(R"({"limits": {"rpm": 5}})"),
            "400 limits.rpm: unknown field (known fields here: requests_per_minute, "
            "tokens_per_minute)");
  EXPECT_EQ(error_of(R"({"budgets": {}})"),
            "400 budgets: unknown field (known fields here: budget, limits, config)");
  EXPECT_EQ(error_of(R"({"limits": 5})"), "400 limits: expected an object or null");
}

}  // namespace
}  // namespace aigw::budget
