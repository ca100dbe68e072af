// The Redis ledger's layout without Redis: row keys that no value can forge, counts as text,
// batches summed per row and period in micro-dollars, and reports grouped like SQLite's.
#include "redis/ledger_rows.h"

#include <gtest/gtest.h>

namespace aigw::redis {
namespace {

using namespace std::chrono_literals;

state::UsageRecord record(std::string team, std::string client, std::string model, int in, int out,
                          double usd, int day = 2) {
  state::UsageRecord r;
  r.team = std::move(team);
  r.client = std::move(client);
  r.provider = "openai";
  r.model = std::move(model);
  r.usage = {in, out, 0, true, 0};
  r.cost_micros = micros_from_usd(usd);
  r.at = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::sys_days(std::chrono::year(2026) / 12 / day) + 1h);
  r.period_key = "2026-12";
  return r;
}

TEST(LedgerRowKeyTest, RoundTripsAnyBytesAndCannotBeForged) {
  const std::string tricky = "a:1:b\x1f\n{x}";
  const auto key = ledger_row_key(tricky, "", "4:evil", "gpt");
  const auto parts = parse_ledger_row_key(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ((*parts)[0], tricky);
  EXPECT_EQ((*parts)[1], "");
  EXPECT_EQ((*parts)[2], "4:evil");
  EXPECT_EQ((*parts)[3], "gpt");
  // A team named like a whole key stays one team.
  EXPECT_NE(ledger_row_key(ledger_row_key("t", "c", "p", "m"), "", "", ""),
            ledger_row_key("t", "c", "p", "m"));
  for (const char* bad : {"", "1:a", "1:a1:b1:c1:d1:e", "9:a0:0:0:", "x:a0:0:0:", "-1:a0:0:0:"}) {
    EXPECT_FALSE(parse_ledger_row_key(bad).has_value()) << bad;
  }
}

TEST(LedgerCountsTest, JoinAndSplitAreExactAndStrict) {
  const std::int64_t values[3] = {0, -5, 9'007'199'254'740'000};
  const std::string text = join_counts(values, 3);
  EXPECT_EQ(text, "0 -5 9007199254740000");
  std::int64_t back[3] = {};
  ASSERT_TRUE(split_counts(text, back, 3));
  EXPECT_EQ(back[2], values[2]);
  for (const char* bad : {"", "1 2", "1 2 3 4", "1  2 3", "1 2 x", " 1 2 3"}) {
    EXPECT_FALSE(split_counts(bad, back, 3)) << bad;
  }
}

TEST(LedgerBatchTest, SumsPerRowAndPeriodInMicroDollars) {
  LedgerBatch batch;
  batch.add(record("alpha", "bot", "gpt-4o", 10, 5, 0.1));
  batch.add(record("alpha", "bot", "gpt-4o", 20, 1, 0.2));
  batch.add(record("alpha", "bot", "gpt-4o", 1, 1, 0.3, 3));  // another day, same period
  auto unpriced = record("beta", "b", "m", 1, 0, 0);
  unpriced.priced = false;
  unpriced.usage.estimated_tokens = 1;
  batch.add(unpriced);
  ASSERT_EQ(batch.rows.size(), 3u);
  const auto& day2 =
      batch.rows.at({"2026-12-02", ledger_row_key("alpha", "bot", "openai", "gpt-4o")});
  EXPECT_EQ(day2.v[0], 30);
  EXPECT_EQ(day2.v[1], 6);
  EXPECT_EQ(day2.v[3], 2);
  EXPECT_EQ(day2.v[5], 300'000);  // 0.1 + 0.2 dollars, exactly
  const auto& beta = batch.rows.at({"2026-12-02", ledger_row_key("beta", "b", "openai", "m")});
  EXPECT_EQ(beta.v[4], 1);  // unpriced
  EXPECT_EQ(beta.v[6], 1);  // estimated request
  EXPECT_EQ(beta.v[7], 1);  // estimated tokens
  const auto& alpha = batch.periods.at({"2026-12", "alpha"});
  EXPECT_EQ(alpha.v[0], 38);
  EXPECT_EQ(alpha.v[1], 600'000);
  EXPECT_EQ(alpha.v[2], 3);

  LedgerBatch own;
  own.add_periods(batch);
  own.subtract_periods(batch);
  EXPECT_EQ(own.periods.at({"2026-12", "alpha"}).v[0], 0);
  EXPECT_TRUE(own.rows.empty());  // rows are not what a store keeps as its own
}

TEST(GroupReportTest, FiltersGroupsAndOrdersLikeTheSqliteLedger) {
  const auto row = [](const std::string& team, const std::string& client, const std::string& model,
                      std::int64_t requests, std::int64_t micros) {
    const std::int64_t v[8] = {requests * 10, requests, 0, requests, 0, micros, 0, 0};
    return std::pair{ledger_row_key(team, client, "openai", model), join_counts(v, 8)};
  };
  const std::vector<std::string> days = {"2026-12-02", "2026-12-01"};
  const std::vector<LedgerDay> hashes = {
      {row("beta", "b1", "m1", 1, 5), row("alpha", "a1", "m2", 2, 7), {"junk", "1 2"}},
      {row("alpha", "a2", "m1", 3, 1'000'000)}};

  budget::ReportQuery by_team;
  auto rows = group_report(by_team, days, hashes);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].team, "alpha");
  EXPECT_EQ(rows[0].requests, 5);
  EXPECT_EQ(rows[0].cost_micros, 1'000'007);
  EXPECT_EQ(rows[0].client, "");  // not grouped by
  EXPECT_EQ(rows[1].team, "beta");

  budget::ReportQuery by_day_model;
  by_day_model.team = "alpha";
  by_day_model.group_by = {budget::ReportField::kDay, budget::ReportField::kModel};
  rows = group_report(by_day_model, days, hashes);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].day, "2026-12-01");
  EXPECT_EQ(rows[0].model, "m1");
  EXPECT_EQ(rows[1].day, "2026-12-02");
  EXPECT_EQ(rows[1].team, "");

  budget::ReportQuery everything;
  everything.group_by = {};
  everything.client = "a2";
  rows = group_report(everything, days, hashes);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].requests, 3);

  everything.client = "nobody";
  EXPECT_TRUE(group_report(everything, days, hashes).empty());
}

}  // namespace
}  // namespace aigw::redis
