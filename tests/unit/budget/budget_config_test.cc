// The teams/state/prices config sections: the documented shape, defaults, and errors by key/line.
#include "budget/budget_config.h"

#include <gtest/gtest.h>

#include "core/config_node.h"
#include "state/sqlite_usage_store.h"

namespace aigw::budget {
namespace {

config::EnvLookup env_with(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

BudgetSettings parse(const std::string& yaml) {
  const auto env = env_with({{"DB_PATH", "/var/lib/aigw/aigw.db"}});
  const config::ConfigNode root(config::parse_yaml(yaml, "test.yaml"), "", &env);
  return parse_budget_settings(root);
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(BudgetConfigTest, ReadsTheDocumentedShape) {
  const BudgetSettings s = parse(R"(
teams:
  platform: { budget: { tokens: 5000000, usd: 200, period: monthly, timezone: "+00:00" }, limits: { requests_per_minute: 600, tokens_per_minute: 200000 } }
  research: { budget: { tokens: 100000, period: weekly, timezone: "-05:00" } }
  guests: {}
state: { backend: sqlite, path: "${DB_PATH}" }
prices:
  "openai/gpt-4o": { input: 2.5, output: 10, cached_input: 1.25 }
  "my-model": { input: 1, output: 2 }
)");
  ASSERT_EQ(s.teams.size(), 3u);
  const TeamSettings& p = s.teams.at("platform");
  ASSERT_TRUE(p.budget.has_value());
  EXPECT_EQ(p.budget->tokens, 5'000'000);
  EXPECT_EQ(p.budget->usd, 200.0);
  EXPECT_EQ(p.budget->period, BudgetPeriod(PeriodKind::kMonthly));
  EXPECT_EQ(p.limits, (limits::RateLimits{600, 200'000}));
  const TeamSettings& r = s.teams.at("research");
  EXPECT_EQ(r.budget->period, BudgetPeriod(PeriodKind::kWeekly, std::chrono::minutes(-300)));
  EXPECT_FALSE(r.budget->usd.has_value());
  EXPECT_FALSE(r.limits.has_value());
  EXPECT_FALSE(s.teams.at("guests").budget.has_value());
  EXPECT_EQ(s.state.path, "/var/lib/aigw/aigw.db");
  std::string key;
  ASSERT_NE(s.prices.find("openai", "gpt-4o", &key), nullptr);
  EXPECT_EQ(key, "openai/gpt-4o");
  EXPECT_EQ(s.prices.find("x", "my-model")->cached_input, 1.0);                // defaults to input
  EXPECT_NE(s.prices.find("anthropic", "claude-sonnet-4-20250514"), nullptr);  // built-ins stay
}

TEST(BudgetConfigTest, DefaultsWithoutTheSections) {
  const BudgetSettings s = parse("listen: 0.0.0.0:8787\n");
  EXPECT_TRUE(s.teams.empty());
  EXPECT_EQ(s.state.backend, "sqlite");
  EXPECT_EQ(s.state.path, "./data/aigw.db");
  EXPECT_EQ(s.state.flush_interval, std::chrono::milliseconds(100));
  EXPECT_GT(s.prices.size(), 10u);
  const state::SqliteStoreOptions o = state::sqlite_options(s.state);
  EXPECT_EQ(o.path, "./data/aigw.db");
  EXPECT_EQ(o.batch_rows, 1000u);
}

TEST(BudgetConfigTest, TimeZoneNamesAreRefusedWithAClearMessage) {
  EXPECT_EQ(error_of("teams:\n  platform:\n    budget: { tokens: 1, timezone: Europe/Berlin }\n"),
            "teams.platform.budget.timezone (line 3): time zone names such as \"Europe/Berlin\" "
            "are not supported yet; use a fixed UTC offset such as \"+01:00\" or \"-05:00\"");
  EXPECT_NE(error_of("teams:\n  p: { budget: { tokens: 1, timezone: \"+2\" } }\n")
                .find("teams.p.budget.timezone (line 2): expected a UTC offset"),
            std::string::npos);
}

TEST(BudgetConfigTest, BadValuesNameTheKeyAndLine) {
  EXPECT_EQ(error_of("teams:\n  p:\n    budget: { tokens: 1, period: yearly }\n"),
            "teams.p.budget.period (line 3): expected daily, weekly or monthly, got \"yearly\"");
  EXPECT_EQ(error_of("teams:\n  p:\n    budget: { tokens: -5 }\n"),
            "teams.p.budget.tokens (line 3): must be 0 (no token budget) or more");
  EXPECT_EQ(
      error_of("teams:\n  p:\n    budget: { usd: lots }\n"),
      "teams.p.budget.usd (line 3): expected a number of US dollars, 0 or more, got \"lots\"");
  EXPECT_EQ(error_of("teams:\n  p:\n    budget: { period: daily }\n"),
            "teams.p.budget (line 3): a budget needs tokens, usd or both");
  EXPECT_NE(
      error_of("teams:\n  p:\n    budgett: {}\n").find("teams.p.budgett (line 3): unknown key"),
      std::string::npos);
  EXPECT_EQ(error_of("teams:\n  p:\n    limits: { requests_per_minute: -1 }\n"),
            "teams.p.limits.requests_per_minute (line 3): must be 0 (off) or more");
  EXPECT_EQ(error_of("state: { backend: redis }\n"), "state (line 1): missing required key 'url'");
  EXPECT_EQ(error_of("state: { backend: mongo }\n"),
            "state.backend (line 1): expected sqlite or redis, got \"mongo\"");
  EXPECT_EQ(error_of("state: { url: \"redis://r\" }\n"),
            "state.url (line 1): only with backend: redis");
  {
    const std::string bad = error_of("state: { backend: redis, url: \"http://:pw@r\" }\n");
    EXPECT_EQ(bad.rfind("state.url (line 1): ", 0), 0u) << bad;
    EXPECT_EQ(bad.find("pw"), std::string::npos) << bad;  // the password is never echoed
  }
  EXPECT_EQ(error_of("state: { backend: redis, url: \"redis://r\", key_prefix: \"a:b\" }\n"),
            "state.key_prefix (line 1): expected 1 to 64 characters without braces, colons or "
            "spaces");
  EXPECT_EQ(error_of("state: { backend: redis, url: \"redis://r\", on_failure: { budgets: "
                     "maybe } }\n"),
            "state.on_failure.budgets (line 1): expected open or closed, got \"maybe\"");
  EXPECT_EQ(error_of("state: { backend: redis, url: \"redis://r\", stale_after: 100ms }\n"),
            "state.stale_after (line 1): must be between twice flush_interval and 10m");
  EXPECT_EQ(error_of("state:\n  flush_interval: 1ms\n"),
            "state.flush_interval (line 2): must be between 10ms and 10s");
  EXPECT_EQ(
      error_of("prices:\n  \"openai/gpt-4o\": { input: 2.5 }\n"),
      "prices.openai/gpt-4o (line 2): a price needs input and output (USD per million tokens)");
  EXPECT_EQ(
      error_of("prices:\n  gpt-4o: { input: 2.5, output: -1 }\n"),
      "prices.gpt-4o.output (line 2): expected a number of US dollars, 0 or more, got \"-1\"");
}

}  // namespace
}  // namespace aigw::budget

namespace aigw::budget {
namespace {

TEST(StateSettingsTest, RedisBackendWithItsDefaultsAndEveryKey) {
  const auto defaults = parse("state: { backend: redis, url: \"rediss://:pw@cache:6380/2\" }\n");
  EXPECT_EQ(defaults.state.backend, "redis");
  EXPECT_EQ(defaults.state.url, "rediss://:pw@cache:6380/2");
  EXPECT_EQ(defaults.state.key_prefix, "aigw");
  EXPECT_EQ(defaults.state.timeout, Millis(1000));
  EXPECT_EQ(defaults.state.stale_after, Millis(5000));
  EXPECT_EQ(defaults.state.budgets_on_failure, state::FailMode::kClosed);
  EXPECT_EQ(defaults.state.path, "./data/aigw.db");  // the journals and the replica id

  const auto set = parse(
      "state:\n  backend: redis\n  url: redis://r\n  timeout: 250ms\n  key_prefix: gw-prod\n"
      "  stale_after: 2s\n  on_failure: { budgets: open }\n  path: /var/lib/aigw/a.db\n");
  EXPECT_EQ(set.state.timeout, Millis(250));
  EXPECT_EQ(set.state.key_prefix, "gw-prod");
  EXPECT_EQ(set.state.stale_after, Millis(2000));
  EXPECT_EQ(set.state.budgets_on_failure, state::FailMode::kOpen);
  EXPECT_EQ(set.state.path, "/var/lib/aigw/a.db");
}

}  // namespace
}  // namespace aigw::budget
