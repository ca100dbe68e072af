// Hot-path cost of the issue-4 checks: a sliding-window check (per-IP limit), a team/client
// rate-limit check, a budget check, and a settle (counters plus the store's queue).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "budget/budget_tracker.h"
#include "limits/rate_limiter.h"
#include "limits/sliding_window.h"

namespace {

using namespace aigw;

std::vector<std::string> keys(std::size_t n, const char* prefix) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// One IP over and over (the window state stays in cache) and 10,000 IPs round robin.
void BM_SlidingWindowCheck(benchmark::State& state) {
  limits::SlidingWindowLimiter limiter(1'000'000'000, std::chrono::minutes(5));
  const auto ips = keys(static_cast<std::size_t>(state.range(0)), "203.0.113.");
  std::int64_t now = 1'000'000;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.check_and_count(ips[i], ++now));
    if (++i == ips.size()) i = 0;
  }
}
BENCHMARK(BM_SlidingWindowCheck)->Arg(1)->Arg(10'000)->ThreadRange(1, 2);

void BM_RateLimitCheck(benchmark::State& state) {
  limits::RateLimiter limiter;
  const limits::RateScope scopes[] = {
      {limits::RateScopeKind::kTeam, "platform", {1'000'000'000, 1'000'000'000}},
      {limits::RateScopeKind::kClient, "ci-bot", {1'000'000'000, 0}}};
  std::int64_t now = 1'000'000;
  for (auto _ : state) benchmark::DoNotOptimize(limiter.check(scopes, ++now));
}
BENCHMARK(BM_RateLimitCheck)->ThreadRange(1, 2);

budget::TimePoint bench_now() {
  using namespace std::chrono;
  return budget::TimePoint(sys_days{year{2026} / November / 24}) + hours(6);
}

// With a budget (the check every request makes) and without one (a team with no budget).
void BM_BudgetCheck(benchmark::State& state) {
  budget::BudgetTracker tracker;
  const auto teams = keys(100, "team-");
  const auto now = bench_now();
  for (const auto& t : teams) {
    if (state.range(0) == 1) tracker.set_budget(t, {5'000'000'000, 200.0, {}});
    budget::UsageRecord first;  // every team has settled once: the steady state
    first.team = t;
    first.at = now;
    tracker.settle(first);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tracker.check(teams[i], now));
    if (++i == teams.size()) i = 0;
  }
  state.SetLabel(state.range(0) == 1 ? "with budgets" : "no budgets");
}
BENCHMARK(BM_BudgetCheck)->Arg(0)->Arg(1)->ThreadRange(1, 2);

void BM_BudgetSettle(benchmark::State& state) {
  budget::BudgetTracker tracker;  // no store: the counters alone
  tracker.set_budget("platform", {5'000'000'000'000, std::nullopt, {}});
  budget::UsageRecord record;
  record.team = "platform";
  record.client = "ci-bot";
  record.usage = Usage{1'000, 200, 0, true};
  record.at = bench_now();
  for (auto _ : state) tracker.settle(record);
}
BENCHMARK(BM_BudgetSettle);

}  // namespace
