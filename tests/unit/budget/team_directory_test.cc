// Teams from the file and the admin API: an admin change wins over the file until the file's
// entry for that team changes, and survives a restart (a new directory on the same store).
#include "budget/team_directory.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "state/sqlite_usage_store.h"

namespace aigw::budget {
namespace {

namespace fs = std::filesystem;

class TeamDirectoryTest : public ::testing::Test {
 protected:
  TeamDirectoryTest() {
    std::string pattern = (fs::temp_directory_path() / "aigw-teams-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
  }
  ~TeamDirectoryTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<state::SqliteUsageStore> open_store() {
    state::SqliteStoreOptions o;
    o.path = (dir_ / "aigw.db").string();
    auto s = state::SqliteUsageStore::open(o);
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  static TeamSettings team(const std::string& name, std::int64_t tokens, std::int64_t rpm = 0) {
    TeamSettings t;
    t.name = name;
    t.budget = TeamBudget{tokens, std::nullopt, BudgetPeriod(PeriodKind::kMonthly)};
    if (rpm > 0) t.limits = limits::RateLimits{rpm, 0};
    return t;
  }

  static std::map<std::string, TeamSettings> file(std::initializer_list<TeamSettings> teams) {
    std::map<std::string, TeamSettings> m;
    for (const auto& t : teams) m[t.name] = t;
    return m;
  }

  fs::path dir_;
  const TimePoint now_ = to_seconds(std::chrono::system_clock::now());
};

TEST_F(TeamDirectoryTest, FileTeamsSetBudgetsAndLimitsFallBackToTheDefaults) {
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  EXPECT_TRUE(teams.load(file({team("platform", 100, 600)}), now_).empty());
  EXPECT_EQ(budgets.budget("platform")->tokens, 100);
  EXPECT_EQ(teams.limits_of("platform", {5, 6}).requests_per_minute, 600);
  EXPECT_EQ(teams.limits_of("unknown", {5, 6}), (limits::RateLimits{5, 6}));
  EXPECT_FALSE(budgets.budget("unknown"));
}

TEST_F(TeamDirectoryTest, AnAdminChangeWinsOverAnUnchangedFileAcrossARestart) {
  const auto the_file = file({team("platform", 100)});
  {
    auto store = open_store();
    BudgetTracker budgets(store.get());
    TeamDirectory teams(budgets, store.get());
    teams.load(the_file, now_);
    ASSERT_FALSE(teams.put(team("platform", 5000), now_));
    ASSERT_FALSE(teams.put(team("newcomer", 42), now_));  // not in the file at all
    EXPECT_EQ(budgets.budget("platform")->tokens, 5000);
  }
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  EXPECT_TRUE(teams.load(the_file, now_).empty());
  EXPECT_EQ(budgets.budget("platform")->tokens, 5000);
  EXPECT_EQ(budgets.budget("newcomer")->tokens, 42);
  EXPECT_EQ(teams.list().size(), 2u);
}

TEST_F(TeamDirectoryTest, EditingTheFilesEntryReplacesTheAdminChangeForGood) {
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  teams.load(file({team("platform", 100), team("other", 7)}), now_);
  ASSERT_FALSE(teams.put(team("platform", 5000), now_));
  ASSERT_FALSE(teams.put(team("other", 70), now_));
  // SIGHUP with platform's entry edited: the file wins there, the other change stays.
  const auto notices = teams.load(file({team("platform", 300), team("other", 7)}), now_);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("team \"platform\""), std::string::npos) << notices[0];
  EXPECT_EQ(budgets.budget("platform")->tokens, 300);
  EXPECT_EQ(budgets.budget("other")->tokens, 70);
  // The stale record is gone: reverting the file later does not bring the admin value back.
  teams.load(file({team("platform", 100), team("other", 7)}), now_);
  EXPECT_EQ(budgets.budget("platform")->tokens, 100);
}

TEST_F(TeamDirectoryTest, ATeamRemovedFromTheFileLosesItsBudget) {
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  teams.load(file({team("platform", 100), team("gone", 9)}), now_);
  teams.load(file({team("platform", 100)}), now_);
  EXPECT_FALSE(budgets.budget("gone"));
  EXPECT_FALSE(teams.find("gone"));
}

// An admin switching a team's period: the new period's use comes from the ledger, not zero.
TEST_F(TeamDirectoryTest, ANewPeriodKindStartsFromWhatTheLedgerHoldsForIt) {
  using namespace std::chrono;
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  EXPECT_TRUE(teams.load(file({team("platform", 1'000)}), now_).empty());
  const auto day = [](int d, int h) { return TimePoint(sys_days(year(2026) / 11 / d)) + hours(h); };
  const auto settle = [&](TimePoint at, std::int64_t tokens) {
    state::UsageRecord r;
    r.team = "platform";
    r.client = "ci";
    r.provider = "openai";
    r.model = "gpt-4o";
    r.usage = Usage{tokens, 0, 0, true};
    r.cost_micros = tokens;
    r.at = at;
    EXPECT_FALSE(budgets.settle(std::move(r)));
  };
  settle(day(10, 9), 100);  // earlier this month
  settle(day(24, 9), 40);   // today (Tuesday)
  const TimePoint now = day(24, 12);
  EXPECT_EQ(budgets.check("platform", now).used_tokens, 140);

  TeamSettings daily = team("platform", 1'000);
  daily.budget->period = BudgetPeriod(PeriodKind::kDaily);
  ASSERT_FALSE(teams.put(daily, now));
  BudgetDecision d = budgets.check("platform", now);
  EXPECT_EQ(d.period, "2026-11-24");
  EXPECT_EQ(d.used_tokens, 40);
  EXPECT_EQ(d.used_micros, 40);
  EXPECT_EQ(d.requests, 1);

  TeamSettings monthly = team("platform", 1'000);
  ASSERT_FALSE(teams.put(monthly, now));
  EXPECT_EQ(budgets.check("platform", now).used_tokens, 140);
  // The same period again (a new token budget): the count it kept is kept.
  ASSERT_FALSE(teams.put(team("platform", 2'000), now));
  EXPECT_EQ(budgets.check("platform", now).used_tokens, 140);
}

// Another replica (its own tracker and directory, the same store) switched the team's period:
// the reload that follows restores the new period's use from the ledger on this one too.
TEST_F(TeamDirectoryTest, APeriodSwitchedElsewhereStartsFromTheLedgerOnReload) {
  using namespace std::chrono;
  auto store = open_store();
  BudgetTracker budgets(store.get());
  TeamDirectory teams(budgets, store.get());
  const TimePoint now = TimePoint(sys_days(year(2026) / 11 / 24)) + hours(12);
  const auto the_file = file({team("platform", 1'000)});
  teams.load(the_file, now);
  BudgetTracker other_budgets(store.get());
  TeamDirectory other(other_budgets, store.get());
  other.load(the_file, now);
  for (const auto& [at, tokens] : {std::pair{now - days(14), 100}, std::pair{now - hours(3), 40}}) {
    state::UsageRecord r;
    r.team = "platform";
    r.usage = Usage{tokens, 0, 0, true};
    r.at = at;
    EXPECT_FALSE(budgets.settle(std::move(r)));
  }
  TeamSettings daily = team("platform", 1'000);
  daily.budget->period = BudgetPeriod(PeriodKind::kDaily);
  ASSERT_FALSE(teams.put(daily, now));
  EXPECT_EQ(other_budgets.check("platform", now).used_tokens, 0);  // not reloaded yet
  other.load(the_file, now);  // what the admin-change notice does
  const BudgetDecision d = other_budgets.check("platform", now);
  EXPECT_EQ(d.period, "2026-11-24");
  EXPECT_EQ(d.used_tokens, 40);
  EXPECT_EQ(d.requests, 1);
  other.load(the_file, now);  // the same period again: nothing restored on top
  EXPECT_EQ(other_budgets.check("platform", now).used_tokens, 40);
}

}  // namespace
}  // namespace aigw::budget
