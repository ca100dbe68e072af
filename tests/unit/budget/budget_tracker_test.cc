// Team budgets: exhaustion, the 429's words, rollover on schedule, restore, and threads.
#include "budget/budget_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace aigw::budget {
namespace {

using state::AdminRecord;
using state::PeriodTotal;
using state::StoreStatus;
using state::UsageRecord;
using state::UsageStore;

using namespace std::chrono;

TimePoint at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return TimePoint(sys_days{year{y} / month{mo} / day{d}}) + hours(h) + minutes(mi) + seconds(s);
}

// Records what the tracker hands to the store.
class RecordingStore : public UsageStore {
 public:
  void append(UsageRecord r) override {
    std::lock_guard lock(mutex);
    records.push_back(std::move(r));
  }
  std::unique_ptr<state::UsageJournal> open_journal() override { return nullptr; }
  StoreStatus flush() override { return std::nullopt; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  Result<std::vector<PeriodTotal>> period_totals() override { return std::vector<PeriodTotal>{}; }
  Result<std::vector<ReportRow>> report(const ReportQuery&) override {
    return std::vector<ReportRow>{};
  }
  StoreStatus put_admin_record(std::string_view, std::string_view, std::string_view,
                               TimePoint) override {
    return std::nullopt;
  }
  Result<bool> put_admin_record_if_absent(std::string_view, std::string_view, std::string_view,
                                          TimePoint) override {
    return true;
  }
  StoreStatus delete_admin_record(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  Result<std::vector<AdminRecord>> admin_records(std::string_view) override {
    return std::vector<AdminRecord>{};
  }

  std::mutex mutex;
  std::vector<UsageRecord> records;
};

UsageRecord used(std::string team, std::int64_t input, std::int64_t output, TimePoint when,
                 double usd = 0) {
  UsageRecord r;
  r.request_id = team + std::to_string(when.time_since_epoch().count()) + std::to_string(input);
  r.team = std::move(team);
  r.client = "ci-bot";
  r.provider = "openai";
  r.model = "gpt-4o";
  r.usage = Usage{input, output, 0, true};
  r.cost_micros = micros_from_usd(usd);
  r.at = when;
  return r;
}

TeamBudget tokens(std::int64_t n, PeriodKind kind = PeriodKind::kMonthly,
                  minutes offset = minutes(0)) {
  return TeamBudget{n, std::nullopt, BudgetPeriod(kind, offset)};
}

TEST(BudgetTrackerTest, TeamWithoutABudgetIsAllowedAndStillCounted) {
  BudgetTracker t;
  t.settle(used("research", 100, 50, at(2026, 11, 24)));
  const BudgetDecision d = t.check("research", at(2026, 11, 24, 1));
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.has_budget);
  EXPECT_EQ(d.used_tokens, 150);
  EXPECT_EQ(d.period, "2026-11");
  HeaderBlock none;
  budget_headers(d, none);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(t.check("nobody", at(2026, 11, 24)).allowed);
}

TEST(BudgetTrackerTest, ExhaustedBudgetIsRefusedNamingTeamPeriodUseAndReset) {
  BudgetTracker t;
  t.set_budget("platform", tokens(5'000'000));
  t.settle(used("platform", 4'000'000, 1'000'000 - 1, at(2026, 11, 24)));
  EXPECT_TRUE(t.check("platform", at(2026, 11, 24, 1)).allowed);  // one token left
  t.settle(used("platform", 100, 24, at(2026, 11, 24, 2)));
  const TimePoint now = at(2026, 11, 24, 6, 40);
  const BudgetDecision d = t.check("platform", now);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.used_tokens, 5'000'123);
  EXPECT_EQ(d.remaining_tokens(), 0);
  EXPECT_EQ(d.reset_at, at(2026, 12, 1));
  EXPECT_EQ(d.retry_after_seconds, (at(2026, 12, 1) - now).count());

  const Result<Admission> admitted = t.admit("platform", now, {});
  ASSERT_FALSE(admitted.ok());
  const ApiError& e = admitted.error();
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.type, "budget_exceeded");
  EXPECT_EQ(e.retry_after, d.retry_after_seconds);
  EXPECT_EQ(e.message,
            "team \"platform\" used 5,000,123 of its 5,000,000 tokens for the monthly budget "
            "(2026-11); it resets at 2026-12-01T00:00:00Z");
}

TEST(BudgetTrackerTest, UsingExactlyTheBudgetIsEnough) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 600, 400, at(2026, 11, 24)));
  EXPECT_FALSE(t.check("platform", at(2026, 11, 24)).allowed);
}

TEST(BudgetTrackerTest, UsdBudgetRefusesOnceSpent) {
  BudgetTracker t;
  t.set_budget("platform", TeamBudget{0, 200.0, BudgetPeriod(PeriodKind::kMonthly)});
  t.settle(used("platform", 10, 10, at(2026, 11, 24), 150.0));
  EXPECT_TRUE(t.check("platform", at(2026, 11, 24)).allowed);
  t.settle(used("platform", 10, 10, at(2026, 11, 24, 1), 50.13));
  const auto r = t.admit("platform", at(2026, 11, 24, 2), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "team \"platform\" spent $200.13 of its $200.00 USD for the monthly budget (2026-11); "
            "it resets at 2026-12-01T00:00:00Z");
}

TEST(BudgetTrackerTest, MonthlyBudgetResetsAtTheStartOfTheNextMonth) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 2'000, 0, at(2026, 11, 30, 12)));
  EXPECT_FALSE(t.check("platform", at(2026, 11, 30, 23, 59, 59)).allowed);
  const BudgetDecision d = t.check("platform", at(2026, 12, 1));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.used_tokens, 0);
  EXPECT_EQ(d.period, "2026-12");
  EXPECT_EQ(d.reset_at, at(2027, 1, 1));
}

TEST(BudgetTrackerTest, WeeklyBudgetResetsOnMonday) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000, PeriodKind::kWeekly));
  t.settle(used("platform", 1'000, 0, at(2026, 11, 25)));  // a Wednesday
  const BudgetDecision sunday = t.check("platform", at(2026, 11, 29, 23));
  EXPECT_FALSE(sunday.allowed);
  EXPECT_EQ(sunday.retry_after_seconds, 3'600);
  EXPECT_NE(budget_exceeded_error("platform", sunday).message.find("weekly budget (2026-W48)"),
            std::string::npos);
  EXPECT_TRUE(t.check("platform", at(2026, 11, 30)).allowed);
}

TEST(BudgetTrackerTest, DailyBudgetResetsAtLocalMidnightOfItsOffset) {
  BudgetTracker t;
  t.set_budget("berlin", tokens(100, PeriodKind::kDaily, hours(2)));
  t.settle(used("berlin", 100, 0, at(2026, 11, 24, 12)));
  const BudgetDecision d = t.check("berlin", at(2026, 11, 24, 21, 59, 59));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(budget_exceeded_error("berlin", d).message,
            "team \"berlin\" used 100 of its 100 tokens for the daily budget (2026-11-24); it "
            "resets at 2026-11-25T00:00:00+02:00");
  EXPECT_TRUE(t.check("berlin", at(2026, 11, 24, 22)).allowed);  // 00:00 at +02:00
}

TEST(BudgetTrackerTest, UsageSettledAfterTheResetCountsInTheNewPeriod) {
  RecordingStore store;
  BudgetTracker t(&store);
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 900, 0, at(2026, 11, 30, 23, 59)));
  t.settle(used("platform", 300, 0, at(2026, 12, 1, 0, 0, 5)));  // straddled midnight
  EXPECT_EQ(t.check("platform", at(2026, 12, 1, 1)).used_tokens, 300);
  ASSERT_EQ(store.records.size(), 2u);
  EXPECT_EQ(store.records[0].period_key, "2026-11");
  EXPECT_EQ(store.records[1].period_key, "2026-12");
}

TEST(BudgetTrackerTest, AnOlderClockReadNeverRollsThePeriodBack) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 500, 0, at(2026, 12, 1, 0, 0, 1)));
  // A thread that read the clock a second before midnight takes the lock after that settle.
  const BudgetDecision late = t.check("platform", at(2026, 11, 30, 23, 59, 59));
  EXPECT_EQ(late.period, "2026-12");
  EXPECT_EQ(late.used_tokens, 500);
  EXPECT_EQ(t.check("platform", at(2026, 12, 1, 1)).used_tokens, 500);
}

TEST(BudgetTrackerTest, RaisingTheBudgetAtRunTimeKeepsWhatWasUsed) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 1'500, 0, at(2026, 11, 24)));
  EXPECT_FALSE(t.check("platform", at(2026, 11, 24, 1)).allowed);
  t.set_budget("platform", tokens(2'000));
  const BudgetDecision d = t.check("platform", at(2026, 11, 24, 2));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.used_tokens, 1'500);
  EXPECT_EQ(d.remaining_tokens(), 500);
  t.clear_budget("platform");
  EXPECT_FALSE(t.budget("platform").has_value());
  EXPECT_TRUE(t.check("platform", at(2026, 11, 24, 3)).allowed);
}

TEST(BudgetTrackerTest, RestoreLoadsTheCurrentPeriodOnly) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.set_budget("daily", tokens(1'000, PeriodKind::kDaily));
  t.restore({{"platform", "2026-10", 999'999, 1'000'000, 5},
             {"platform", "2026-11", 700, 2'500'000, 3},
             {"daily", "2026-11-23", 900, 0, 1},
             {"daily", "2026-11-24", 1'000, 0, 1},
             {"unbudgeted", "2026-11", 42, 0, 1}},
            at(2026, 11, 24, 8));
  const BudgetDecision p = t.check("platform", at(2026, 11, 24, 9));
  EXPECT_EQ(p.used_tokens, 700);
  EXPECT_EQ(p.used_micros, 2'500'000);
  EXPECT_EQ(p.requests, 3);
  EXPECT_FALSE(t.check("daily", at(2026, 11, 24, 9)).allowed);
  EXPECT_EQ(t.check("unbudgeted", at(2026, 11, 24, 9)).used_tokens, 42);
}

// A period switch and the ledger's use of the new period land together: the first check after
// it already counts what was used (a replica applying another's change must not admit from 0).
TEST(BudgetTrackerTest, ASwitchedPeriodStartsFromTheLedgersUseInOneStep) {
  BudgetTracker t;
  t.set_budget("platform", tokens(45, PeriodKind::kDaily));
  t.settle(used("platform", 10, 0, at(2026, 11, 24, 1)));
  t.set_budget("platform", tokens(45, PeriodKind::kWeekly), {"platform", "2026-W48", 30, 0, 2},
               at(2026, 11, 24, 2));
  BudgetDecision d = t.check("platform", at(2026, 11, 24, 2));
  EXPECT_EQ(d.period, "2026-W48");
  EXPECT_EQ(d.used_tokens, 30);
  EXPECT_EQ(d.requests, 2);
  // A total of another period changes the rules but not the counts.
  t.set_budget("platform", tokens(45, PeriodKind::kMonthly), {"platform", "2026-10", 99, 0, 9},
               at(2026, 11, 24, 3));
  d = t.check("platform", at(2026, 11, 24, 3));
  EXPECT_EQ(d.period, "2026-11");
  EXPECT_EQ(d.used_tokens, 0);  // (the ledger would tell; this total is not of the period)
}

TEST(BudgetTrackerTest, HeadersShowLimitRemainingAndReset) {
  BudgetTracker t;
  t.set_budget("platform", TeamBudget{1'000, 20.0, BudgetPeriod(PeriodKind::kMonthly)});
  t.settle(used("platform", 300, 100, at(2026, 11, 24), 5.5));
  HeaderBlock block;
  budget_headers(t.check("platform", at(2026, 11, 24, 1)), block);
  const auto list = block.fields();
  const std::map<std::string, std::string> h(list.begin(), list.end());
  EXPECT_EQ(h.at("x-aigw-budget-limit-tokens"), "1000");
  EXPECT_EQ(h.at("x-aigw-budget-remaining-tokens"), "600");
  EXPECT_EQ(h.at("x-aigw-budget-limit-usd"), "20.000000");
  EXPECT_EQ(h.at("x-aigw-budget-remaining-usd"), "14.500000");
  EXPECT_EQ(h.at("x-aigw-budget-reset"), "2026-12-01T00:00:00Z");
}

TEST(BudgetTrackerTest, ConcurrentSettlesFromManyThreadsLoseNothing) {
  BudgetTracker t;
  const std::vector<std::string> teams = {"a", "b", "c", "d", "e"};
  for (const auto& team : teams) t.set_budget(team, tokens(1'000'000'000));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 4'000;
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& team = teams[static_cast<std::size_t>(i) % teams.size()];
        t.settle(used(team, 1 + i % 7, th, at(2026, 11, 24, 1), 0.001));
        (void)t.check(team, at(2026, 11, 24, 1));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::int64_t expected = 0;
  for (int th = 0; th < kThreads; ++th) {
    for (int i = 0; i < kPerThread; ++i) expected += 1 + i % 7 + th;
  }
  std::int64_t total = 0;
  std::int64_t requests = 0;
  for (const auto& team : teams) {
    const BudgetDecision d = t.check(team, at(2026, 11, 24, 2));
    total += d.used_tokens;
    requests += d.requests;
  }
  EXPECT_EQ(total, expected);
  EXPECT_EQ(requests, kThreads * kPerThread);
}

TEST(BudgetTrackerTest, ALoneRequestIsAdmittedWhateverItsReservationAndTheNextOneSeesIt) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 990, 0, at(2026, 11, 24)));
  const TimePoint now = at(2026, 11, 24, 1);
  // 10 tokens left; an agent asks for 32k: its own reservation is not compared with that.
  auto first = t.admit("platform", now, {32'000 + 50, 0});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->decision.reserved_tokens, 0);  // the state it was admitted on
  EXPECT_EQ(first->reservation.tokens(), 32'050);
  EXPECT_EQ(t.check("platform", now).reserved_tokens, 32'050);
  EXPECT_EQ(t.check("platform", now).in_flight, 1);

  // The next one sees 990 used + 32,050 reserved: refused, briefly (not until the reset).
  const auto second = t.admit("platform", now, {100, 0});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().retry_after, 1);
  EXPECT_EQ(second.error().message,
            "team \"platform\" used 990 of its 1,000 tokens for the monthly budget (2026-11) and "
            "its requests in flight have reserved 32,050 more; retry when they finish");

  // Ended without usage (a provider error): the reservation goes back.
  first->reservation.release();
  EXPECT_EQ(t.check("platform", now).reserved_tokens, 0);
  EXPECT_EQ(t.check("platform", now).in_flight, 0);
  EXPECT_TRUE(t.admit("platform", now, {100, 0}).ok());  // and its destructor released it too
  EXPECT_EQ(t.check("platform", now).reserved_tokens, 0);
}

TEST(BudgetTrackerTest, SettlingReplacesTheReservationWithTheUsageOnce) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  auto a = t.admit("platform", at(2026, 11, 24), {600, 0});
  ASSERT_TRUE(a.ok());
  t.settle(used("platform", 100, 20, at(2026, 11, 24, 1)), a->reservation);
  EXPECT_FALSE(a->reservation.active());
  a->reservation.release();  // nothing left: no double release
  BudgetDecision d = t.check("platform", at(2026, 11, 24, 1));
  EXPECT_EQ(d.used_tokens, 120);
  EXPECT_EQ(d.reserved_tokens, 0);
  EXPECT_EQ(d.in_flight, 0);
  EXPECT_EQ(d.requests, 1);
}

TEST(BudgetTrackerTest, MovedReservationsAreReleasedOnceByTheirLastOwner) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  {
    BudgetReservation outer;
    {
      auto a = t.admit("platform", at(2026, 11, 24), {300, 0});
      ASSERT_TRUE(a.ok());
      outer = std::move(a->reservation);
    }  // the moved-from one releases nothing
    EXPECT_EQ(t.check("platform", at(2026, 11, 24)).reserved_tokens, 300);
  }
  EXPECT_EQ(t.check("platform", at(2026, 11, 24)).reserved_tokens, 0);
}

TEST(BudgetTrackerTest, UsdReservationsCountAgainstAUsdBudget) {
  BudgetTracker t;
  t.set_budget("platform", TeamBudget{0, 10.0, BudgetPeriod(PeriodKind::kMonthly)});
  t.settle(used("platform", 10, 10, at(2026, 11, 24), 9.0));
  auto a = t.admit("platform", at(2026, 11, 24), {1'000, 1'500'000});
  ASSERT_TRUE(a.ok());
  const auto b = t.admit("platform", at(2026, 11, 24), {1'000, 10'000});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message,
            "team \"platform\" spent $9.00 of its $10.00 USD for the monthly budget (2026-11) and "
            "its requests in flight have reserved $1.50 more; retry when they finish");
}

TEST(BudgetTrackerTest, AReservationStraddlingAResetIsReleasedAndItsUsageCountsInTheNewPeriod) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000, PeriodKind::kDaily));
  auto a = t.admit("platform", at(2026, 11, 24, 23, 59), {500, 0});
  ASSERT_TRUE(a.ok());
  t.settle(used("platform", 40, 2, at(2026, 11, 25, 0, 1)), a->reservation);
  const BudgetDecision d = t.check("platform", at(2026, 11, 25, 0, 2));
  EXPECT_EQ(d.period, "2026-11-25");
  EXPECT_EQ(d.used_tokens, 42);
  EXPECT_EQ(d.reserved_tokens, 0);
}

// The bound of budget_tracker.h: with one token left, however many requests arrive at once,
// one is admitted; the use ends below budget + that one request's usage.
TEST(BudgetTrackerTest, ConcurrentAdmissionsWithOneTokenLeftAdmitOneRequest) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000));
  t.settle(used("platform", 999, 0, at(2026, 11, 24)));
  constexpr int kThreads = 64;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Admission> admitted(kThreads);
  std::vector<char> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      auto a = t.admit("platform", at(2026, 11, 24, 1), {3 + 4 + 25 + 64, 0});
      if (!a.ok()) return;
      ok[static_cast<std::size_t>(i)] = 1;
      admitted[static_cast<std::size_t>(i)] = std::move(*a);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go = true;
  for (auto& th : threads) th.join();
  int passed = 0;
  for (int i = 0; i < kThreads; ++i) {
    if (!ok[static_cast<std::size_t>(i)]) continue;
    ++passed;
    t.settle(used("platform", 30, 60, at(2026, 11, 24, 2)),
             admitted[static_cast<std::size_t>(i)].reservation);
  }
  EXPECT_EQ(passed, 1);
  const BudgetDecision d = t.check("platform", at(2026, 11, 24, 3));
  EXPECT_EQ(d.used_tokens, 999 + 90);
  EXPECT_EQ(d.reserved_tokens, 0);
  EXPECT_FALSE(d.allowed);
}

// Many threads admitting and settling in a loop, each using at most what it reserved: the
// budget is never passed by more than one request's usage, and nothing stays reserved.
TEST(BudgetTrackerTest, UnderConcurrencyTheOvershootStaysBelowOneRequest) {
  BudgetTracker t;
  t.set_budget("platform", tokens(100'000));
  constexpr int kThreads = 8;
  constexpr std::int64_t kReserve = 700;
  std::atomic<std::int64_t> largest{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0;; ++i) {
        auto a = t.admit("platform", at(2026, 11, 24, 1), {kReserve, 0});
        if (!a.ok()) {
          if (a.error().retry_after > 1) return;  // used up: until the reset
          std::this_thread::yield();              // filled by others in flight: they settle soon
          continue;
        }
        const std::int64_t in = 100 + (i * 7 + th) % 300;
        const std::int64_t out = (i * 13 + th) % 300;
        std::int64_t seen = largest.load();
        while (in + out > seen && !largest.compare_exchange_weak(seen, in + out)) {
        }
        t.settle(used("platform", in, out, at(2026, 11, 24, 1)), a->reservation);
      }
    });
  }
  for (auto& th : threads) th.join();
  const BudgetDecision d = t.check("platform", at(2026, 11, 24, 2));
  EXPECT_GE(d.used_tokens, 100'000);
  EXPECT_LT(d.used_tokens, 100'000 + largest.load());
  EXPECT_EQ(d.reserved_tokens, 0);
  EXPECT_EQ(d.in_flight, 0);
}

TEST(BudgetTrackerTest, ThousandsSeparators) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1'000), "1,000");
  EXPECT_EQ(with_thousands(5'000'123), "5,000,123");
  EXPECT_EQ(with_thousands(-1'234), "-1,234");
}

}  // namespace
}  // namespace aigw::budget

namespace aigw::budget {
namespace {

// Replicas: what the others counted (the shared store's sink) is added to this replica's own.
TEST(BudgetTrackerSharedTest, OthersUsageCountsAgainstTheBudgetOfItsPeriodOnly) {
  BudgetTracker t;
  t.set_budget("platform", tokens(1'000, PeriodKind::kDaily));
  const TimePoint now = at(2026, 12, 2, 9);
  auto keys = t.period_keys_in_use(now);
  EXPECT_EQ(keys, (std::vector<std::string>{"2026-12", "2026-12-02"}));  // default + the team's

  t.settle(used("platform", 300, 0, now));
  t.set_shared_totals(keys, {{"platform", "2026-12-02", 600, 1'500'000, 4}});
  BudgetDecision d = t.check("platform", now);
  EXPECT_EQ(d.used_tokens, 900);
  EXPECT_EQ(d.requests, 5);
  EXPECT_EQ(d.used_micros, 1'500'000);
  EXPECT_TRUE(d.allowed);

  t.set_shared_totals(keys, {{"platform", "2026-12-02", 700, 0, 5}});  // replaces, not adds
  d = t.check("platform", now);
  EXPECT_EQ(d.used_tokens, 1'000);
  EXPECT_FALSE(d.allowed);

  t.set_shared_totals(keys, {});  // the others' count is gone (a new period in Redis)
  EXPECT_EQ(t.check("platform", now).used_tokens, 300);

  // Another period's totals never count: yesterday's, after the roll.
  t.set_shared_totals(keys, {{"platform", "2026-12-02", 700, 0, 5}});
  EXPECT_EQ(t.check("platform", at(2026, 12, 3, 1)).used_tokens, 0);
}

TEST(BudgetTrackerSharedTest, StaleSharedTotalsFailClosedOnlyForTeamsWithABudget) {
  BudgetTracker t;
  t.set_fail_mode(state::FailMode::kClosed);
  t.set_budget("platform", tokens(1'000));
  const TimePoint now = at(2026, 12, 2);
  ASSERT_TRUE(t.admit("platform", now, {10, 0}).ok());

  t.set_shared_totals_current(false, "redis redis://cache:6379/0: connection refused");
  const auto refused = t.admit("platform", now, {10, 0});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 503);
  EXPECT_EQ(refused.error().type, "state_unavailable");
  EXPECT_NE(refused.error().message.find("connection refused"), std::string::npos);
  EXPECT_NE(refused.error().message.find("\"platform\""), std::string::npos);
  EXPECT_TRUE(t.admit("research", now, {10, 0}).ok());  // no budget: nothing to protect

  t.set_fail_mode(state::FailMode::kOpen);
  EXPECT_TRUE(t.admit("platform", now, {10, 0}).ok());  // checked against what is known

  t.set_fail_mode(state::FailMode::kClosed);
  t.set_shared_totals_current(true, "");
  EXPECT_TRUE(t.admit("platform", now, {10, 0}).ok());
}

}  // namespace
}  // namespace aigw::budget
