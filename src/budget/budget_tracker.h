// Team budgets: tokens (and optionally USD) per daily/weekly/monthly period, checked before a
// request is forwarded and settled with the provider's real usage after it.
//
// Hot path: check() is one hash lookup under a striped mutex and a comparison of `now` with
// the period's end; nothing touches disk (settle() hands the record to the UsageStore queue).
//
// Periods roll over on schedule: the first check or settle at or after a period's end starts
// the next period from zero; `now` is passed in, so tests cross month, week and day ends. A
// caller whose `now` is a little older than another thread's never rolls a period back.
//
// Overshoot bound: a check reserves nothing, so every request admitted while used < budget
// is forwarded, and settlement adds its tokens afterwards. The budget can therefore be passed
// by at most the tokens of the requests in flight at the moment it was crossed (each bounded
// by its prompt plus max_tokens); the first request after they settle is refused. Usage is
// counted in the period current when it settles (a request that straddles a reset counts in
// the new period).
//
// A team with no budget is still counted (GET /v1/budget shows its usage) in the default
// period. Changing a team's period kind or offset at run time starts the new period's count
// from zero when its key differs from the old one.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "budget/period.h"
#include "budget/usage_store.h"
#include "core/api_error.h"
#include "core/result.h"

namespace aigw::budget {

struct TeamBudget {
  std::int64_t tokens = 0;    // per period; 0 = no token budget
  std::optional<double> usd;  // per period; nullopt = no USD budget
  BudgetPeriod period;
  bool operator==(const TeamBudget&) const = default;
};

struct BudgetDecision {
  bool allowed = true;
  bool has_budget = false;     // false: the team has no budget (allowed; usage still shown)
  bool exhausted_usd = false;  // when denied: the USD budget (else the token budget)
  std::int64_t used_tokens = 0;
  std::int64_t budget_tokens = 0;  // 0 = none
  double used_usd = 0;
  std::optional<double> budget_usd;
  std::int64_t requests = 0;  // settled in this period
  PeriodKind kind = PeriodKind::kMonthly;
  std::string period;  // "2026-11", "2026-W48", "2026-11-24"
  std::chrono::minutes utc_offset{0};
  TimePoint reset_at{};                  // the period's end
  std::int64_t retry_after_seconds = 0;  // seconds to reset_at (>= 1) when denied

  std::int64_t remaining_tokens() const {
    return budget_tokens > 0 ? std::max<std::int64_t>(0, budget_tokens - used_tokens) : 0;
  }
};

class BudgetTracker {
 public:
  // `store` (may be null: nothing persisted) receives every settled record; it must outlive
  // the tracker. `default_period`: the period of teams without a budget.
  explicit BudgetTracker(UsageStore* store = nullptr, BudgetPeriod default_period = BudgetPeriod());

  // Config at start and the admin API at run time; the team's counts are kept.
  void set_budget(std::string_view team, const TeamBudget& budget);
  void clear_budget(std::string_view team);
  std::optional<TeamBudget> budget(std::string_view team) const;

  // Before forwarding: denied when used >= budget (tokens, or USD when set).
  BudgetDecision check(std::string_view team, TimePoint now);
  // check() as a Result: the decision, or budget_exceeded_error() when denied.
  Result<BudgetDecision> admit(std::string_view team, TimePoint now);

  // After the response: adds the real usage to record.team's current period (at record.at),
  // stamps record.period_key, and appends the record to the store.
  void settle(UsageRecord record);

  // At start, before serving: sets each team's counts for its current period from the
  // store's committed totals (totals of other periods are ignored).
  void restore(const std::vector<PeriodTotal>& totals, TimePoint now);

 private:
  struct Entry {
    std::optional<TeamBudget> budget;
    BudgetPeriod period;  // in force for the counts below
    TimePoint start{};
    TimePoint end{};  // start == end: not computed yet
    std::string key;
    std::int64_t tokens = 0;
    double usd = 0;
    std::int64_t requests = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> teams;
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_for(std::string_view team) const;
  Entry& entry(Shard& shard, std::string_view team);
  void roll(Entry& e, TimePoint now) const;
  BudgetDecision decide(const Entry& e, TimePoint now) const;

  UsageStore* store_;
  BudgetPeriod default_period_;
  mutable std::array<Shard, kShards> shards_;
};

// 429 budget_exceeded, Retry-After = seconds to the reset, e.g.
// `team "platform" used 5,000,123 of its 5,000,000 tokens for the monthly budget (2026-11);
// it resets at 2026-12-01T00:00:00Z`.
ApiError budget_exceeded_error(std::string_view team, const BudgetDecision& d);

// x-aigw-budget-{limit,remaining}-tokens, x-aigw-budget-{limit,remaining}-usd, and
// x-aigw-budget-reset (the reset time, RFC 3339) for a team with a budget; nothing otherwise.
std::vector<std::pair<std::string, std::string>> budget_headers(const BudgetDecision& d);

// "5,000,123".
std::string with_thousands(std::int64_t n);

}  // namespace aigw::budget
