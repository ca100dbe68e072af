// Budget periods: keys, starts and ends across day, ISO week, month and year ends, with offsets.
#include "budget/period.h"

#include <gtest/gtest.h>

#include <random>

namespace aigw::budget {
namespace {

using namespace std::chrono;

TimePoint at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return TimePoint(sys_days{year{y} / month{mo} / day{d}}) + hours(h) + minutes(mi) + seconds(s);
}

TEST(BudgetPeriodTest, MonthlyInUtc) {
  const BudgetPeriod p(PeriodKind::kMonthly);
  const TimePoint now = at(2026, 11, 24, 6, 40);
  EXPECT_EQ(p.period_key(now), "2026-11");
  EXPECT_EQ(p.period_start(now), at(2026, 11, 1));
  EXPECT_EQ(p.period_end(now), at(2026, 12, 1));
  EXPECT_EQ(format_time(p.period_end(now)), "2026-12-01T00:00:00Z");
}

TEST(BudgetPeriodTest, MonthlyRollsOverAtMidnightOfTheFirstAndAcrossTheYear) {
  const BudgetPeriod p(PeriodKind::kMonthly);
  EXPECT_EQ(p.period_key(at(2026, 11, 30, 23, 59, 59)), "2026-11");
  EXPECT_EQ(p.period_key(at(2026, 12, 1)), "2026-12");
  EXPECT_EQ(p.period_end(at(2026, 12, 31, 23, 59, 59)), at(2027, 1, 1));
  EXPECT_EQ(p.period_key(at(2027, 1, 1)), "2027-01");
  EXPECT_EQ(p.period_end(at(2028, 2, 10)), at(2028, 3, 1));  // leap year
  EXPECT_EQ(p.period_end(at(2027, 2, 10)), at(2027, 3, 1));
}

TEST(BudgetPeriodTest, WeeklyIsoWeeksStartOnMonday) {
  const BudgetPeriod p(PeriodKind::kWeekly);
  const TimePoint tuesday = at(2026, 11, 24, 6, 40);
  EXPECT_EQ(p.period_key(tuesday), "2026-W48");
  EXPECT_EQ(p.period_start(tuesday), at(2026, 11, 23));
  EXPECT_EQ(p.period_end(tuesday), at(2026, 11, 30));
  EXPECT_EQ(p.period_key(at(2026, 11, 29, 23, 59, 59)), "2026-W48");  // Sunday night
  EXPECT_EQ(p.period_key(at(2026, 11, 30)), "2026-W49");              // Monday
}

TEST(BudgetPeriodTest, IsoWeekYearDiffersFromTheCalendarYearAroundNewYear) {
  const BudgetPeriod p(PeriodKind::kWeekly);
  EXPECT_EQ(p.period_key(at(2027, 1, 1)), "2026-W53");  // 2026 starts on a Thursday: 53 weeks
  EXPECT_EQ(p.period_key(at(2027, 1, 4)), "2027-W01");
  EXPECT_EQ(p.period_key(at(2024, 12, 30)), "2025-W01");  // a Monday that belongs to 2025
  EXPECT_EQ(p.period_start(at(2027, 1, 1)), at(2026, 12, 28));
}

TEST(BudgetPeriodTest, DailyAtMidnight) {
  const BudgetPeriod p(PeriodKind::kDaily);
  EXPECT_EQ(p.period_key(at(2026, 11, 24, 23, 59, 59)), "2026-11-24");
  EXPECT_EQ(p.period_key(at(2026, 11, 25)), "2026-11-25");
  EXPECT_EQ(p.period_end(at(2026, 11, 24, 12)), at(2026, 11, 25));
}

TEST(BudgetPeriodTest, PositiveOffsetResetsBeforeUtcMidnight) {
  const BudgetPeriod monthly(PeriodKind::kMonthly, hours(2));
  // 22:30 UTC on Nov 30th is 00:30 on Dec 1st at +02:00.
  const TimePoint now = at(2026, 11, 30, 22, 30);
  EXPECT_EQ(monthly.period_key(now), "2026-12");
  EXPECT_EQ(monthly.period_start(now), at(2026, 11, 30, 22));
  EXPECT_EQ(monthly.period_end(at(2026, 11, 30, 21, 59)), at(2026, 11, 30, 22));
  EXPECT_EQ(format_time(monthly.period_start(now), hours(2)), "2026-12-01T00:00:00+02:00");
  // The heap-free form the budget headers use says the same, for any offset and second.
  EXPECT_EQ(
      format_time_text(at(2026, 11, 30, 22, 30) + std::chrono::seconds(59), -minutes(330)).view(),
      "2026-11-30T17:00:59-05:30");
  const BudgetPeriod daily(PeriodKind::kDaily, hours(2));
  EXPECT_EQ(daily.period_key(now), "2026-12-01");
}

TEST(BudgetPeriodTest, NegativeOffsetResetsAfterUtcMidnight) {
  const BudgetPeriod monthly(PeriodKind::kMonthly, -hours(5));
  const TimePoint now = at(2026, 12, 1, 3);  // still Nov 30th, 22:00, at -05:00
  EXPECT_EQ(monthly.period_key(now), "2026-11");
  EXPECT_EQ(monthly.period_end(now), at(2026, 12, 1, 5));
  const BudgetPeriod weekly(PeriodKind::kWeekly, -hours(5));
  EXPECT_EQ(weekly.period_start(at(2026, 11, 30, 3)), at(2026, 11, 23, 5));
  EXPECT_EQ(weekly.period_key(at(2026, 11, 30, 5)), "2026-W49");
}

TEST(BudgetPeriodTest, EveryInstantLiesInsideItsPeriod) {
  std::mt19937_64 rng(3);
  const PeriodKind kinds[] = {PeriodKind::kDaily, PeriodKind::kWeekly, PeriodKind::kMonthly};
  const int offsets[] = {0, 120, -300, 330, 840, -720};
  for (int i = 0; i < 3'000; ++i) {
    const BudgetPeriod p(kinds[i % 3], minutes(offsets[rng() % 6]));
    const TimePoint now = at(2020, 1, 1) + seconds(rng() % (15LL * 365 * 86'400));
    const TimePoint start = p.period_start(now);
    const TimePoint end = p.period_end(now);
    ASSERT_LE(start, now);
    ASSERT_LT(now, end);
    EXPECT_EQ(p.period_key(start), p.period_key(now));
    EXPECT_EQ(p.period_key(end - seconds(1)), p.period_key(now));
    EXPECT_NE(p.period_key(end), p.period_key(now));
    EXPECT_EQ(p.period_start(end), end);
  }
}

TEST(BudgetPeriodTest, ParsesKindsAndFixedOffsetsOnly) {
  EXPECT_EQ(parse_period_kind("weekly"), PeriodKind::kWeekly);
  EXPECT_FALSE(parse_period_kind("yearly").has_value());
  EXPECT_EQ(parse_utc_offset("+00:00"), minutes(0));
  EXPECT_EQ(parse_utc_offset("Z"), minutes(0));
  EXPECT_EQ(parse_utc_offset("UTC"), minutes(0));
  EXPECT_EQ(parse_utc_offset("+02:00"), minutes(120));
  EXPECT_EQ(parse_utc_offset("-05:30"), minutes(-330));
  EXPECT_EQ(parse_utc_offset("+0530"), minutes(330));
  EXPECT_EQ(parse_utc_offset("+14:00"), minutes(840));
  for (const char* bad : {"Europe/Berlin", "+14:01", "+2:00", "02:00", "+02:60", "", "+02-00"}) {
    EXPECT_FALSE(parse_utc_offset(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_utc_offset(minutes(-330)), "-05:30");
  EXPECT_EQ(format_utc_offset(minutes(0)), "Z");
}

}  // namespace
}  // namespace aigw::budget
