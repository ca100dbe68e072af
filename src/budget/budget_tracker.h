// Team budgets: tokens (and optionally USD) per daily/weekly/monthly period, checked before a
// request is forwarded and settled with the provider's real usage after it.
//
// Hot path: admit() and settle() are one hash lookup under a striped mutex and a comparison of
// `now` with the period's end; nothing touches disk (settle() hands the record to the
// state::UsageStore queue).
//
// Periods roll over on schedule: the first check or settle at or after a period's end starts
// the next period from zero; `now` is passed in, so tests cross month, week and day ends. A
// caller whose `now` is a little older than another thread's never rolls a period back.
//
// Reservations (what is in flight counts): admitting a request reserves its estimate — the
// prompt estimate plus its output limit (max_tokens, or budget.default_reservation_tokens when
// it sets none), and that estimate's price when the team has a USD budget. A request is
// admitted only while
//
//     used + reserved (by the requests in flight, this one not included) < budget
//
// (tokens, and USD when set), checked and reserved under one lock. Its own reservation is not
// compared with what is left, so a lone request asking for 32k output is admitted with 10
// tokens left. Settling replaces the reservation with the real usage in one step; a request
// that ends without usage releases it (BudgetReservation is RAII: every path, exceptions
// included). Reservations belong to no period: one that straddles a reset is released from
// the same in-flight count it was added to, and its usage counts in the period current when
// it settles.
//
// Overshoot bound: let L be the last request admitted before the budget B is crossed. When it
// was admitted, used + reserved < B; everything settled after that was either in `reserved`
// or is L. So the final use is below
//
//     B + charge(L) + Σ over the requests in flight then of max(0, charge − reservation)
//
// i.e. at most ONE request's usage beyond the budget, however many run at once, as long as no
// request uses more than it reserved. A request can use more only when its prompt estimate
// is low (four bytes per token is an approximation) or it set no output limit and wrote more
// than default_reservation_tokens; that excess is the only term that grows with concurrency.
// (Before reservations the bound was the usage of every request in flight.)
//
// Replicas (a store shared through Redis): the tracker is also the store's SharedTotalsSink.
// What the other replicas counted in a team's period arrives every flush interval and is added
// to this replica's own counts; a replica does not see the others' requests in flight. So with
// N replicas the bound above grows to: B + N requests' charges + what the other replicas
// settle before it reaches this one (two flush intervals and round trips: theirs to ship it,
// this one's to read it; stale_after at most, since budgets fail closed, by default, once the
// shared totals are older than that).
//
// A team with no budget is still counted (GET /v1/budget shows its usage) in the default
// period. Changing a team's period kind or offset at run time starts the new period's count
// from zero when its key differs from the old one; the admin API (TeamDirectory::put) then
// restores it from the ledger's days of the new period.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "budget/budget_config.h"
#include "budget/period.h"
#include "core/api_error.h"
#include "core/header_block.h"
#include "core/result.h"
#include "core/string_map.h"
#include "state/state_settings.h"
#include "state/usage_store.h"

namespace aigw::budget {

// What settle() takes, and what a record counts against a budget (input + output tokens, as
// the ledger counts it): state/usage_store.h.
using state::budget_tokens_of;
using state::UsageRecord;

struct BudgetDecision {
  bool allowed = true;
  bool has_budget = false;     // false: the team has no budget (allowed; usage still shown)
  bool exhausted_usd = false;  // when denied: the USD budget (else the token budget)
  std::int64_t used_tokens = 0;
  std::int64_t budget_tokens = 0;  // 0 = none
  Micros used_micros = 0;
  std::optional<Micros> budget_micros;
  std::int64_t requests = 0;         // settled in this period
  std::int64_t reserved_tokens = 0;  // held by requests in flight
  Micros reserved_micros = 0;
  std::int64_t in_flight = 0;  // requests holding a reservation
  PeriodKind kind = PeriodKind::kMonthly;
  std::string period;  // "2026-11", "2026-W48", "2026-11-24"
  std::chrono::minutes utc_offset{0};
  TimePoint reset_at{};                  // the period's end
  std::int64_t retry_after_seconds = 0;  // seconds to reset_at (>= 1) when denied

  std::int64_t remaining_tokens() const {
    return budget_tokens > 0 ? std::max<std::int64_t>(0, budget_tokens - used_tokens) : 0;
  }
};

class BudgetTracker;

// What one admitted request holds against its team until it settles or ends. Move-only; the
// destructor releases what was not settled.
class BudgetReservation {
 public:
  BudgetReservation() = default;
  BudgetReservation(BudgetReservation&& other) noexcept { take(other); }
  BudgetReservation& operator=(BudgetReservation&& other) noexcept;
  BudgetReservation(const BudgetReservation&) = delete;
  BudgetReservation& operator=(const BudgetReservation&) = delete;
  ~BudgetReservation() { release(); }

  // Gives the reservation back without usage (the request ended without any).
  void release();
  bool active() const { return tracker_ != nullptr; }
  std::int64_t tokens() const { return tokens_; }
  Micros micros() const { return micros_; }

 private:
  friend class BudgetTracker;
  void take(BudgetReservation& other) noexcept;

  BudgetTracker* tracker_ = nullptr;
  std::string team_;
  std::int64_t tokens_ = 0;
  Micros micros_ = 0;
};

// The estimate of a request admitted: prompt estimate + output limit, and its price.
struct ReservationEstimate {
  std::int64_t tokens = 0;
  Micros micros = 0;
};

// admit(): the decision (for headers) and the reservation now held.
struct Admission {
  BudgetDecision decision;
  BudgetReservation reservation;
};

class BudgetTracker final : public state::SharedTotalsSink {
 public:
  // `store` (may be null: nothing persisted) receives every settled record; it must outlive
  // the tracker. `default_period`: the period of teams without a budget.
  explicit BudgetTracker(state::UsageStore* store = nullptr,
                         BudgetPeriod default_period = BudgetPeriod());

  // While the others' totals are not current: kClosed refuses requests of teams with a
  // budget (503 state_unavailable), kOpen checks them against what is known.
  void set_fail_mode(state::FailMode mode) { fail_mode_ = mode; }

  // state::SharedTotalsSink.
  std::vector<std::string> period_keys_in_use(TimePoint now) override;
  void set_shared_totals(const std::vector<std::string>& period_keys,
                         const std::vector<state::PeriodTotal>& others) override;
  void set_shared_totals_current(bool current, std::string why) override;

  // Config at start and the admin API at run time; the team's counts are kept.
  void set_budget(std::string_view team, const TeamBudget& budget);
  // A budget whose period changed, with what the ledger holds for the new period, in one step
  // under the team's lock: no request sees the new period counted from zero in between.
  void set_budget(std::string_view team, const TeamBudget& budget, const state::PeriodTotal& used,
                  TimePoint now);
  void clear_budget(std::string_view team);
  std::optional<TeamBudget> budget(std::string_view team) const;

  // Would a request be admitted now: denied when used + reserved >= budget (tokens, or USD
  // when set). Reserves nothing (GET /v1/budget, the admin API).
  BudgetDecision check(std::string_view team, TimePoint now);
  // Before forwarding: check() and, when allowed, reserve `estimate` in the same step; else
  // budget_exceeded_error().
  Result<Admission> admit(std::string_view team, TimePoint now, ReservationEstimate estimate);

  // After the response: adds the real usage to record.team's current period (at record.at),
  // stamps record.period_key, and hands the record on: staged in `journal` when given (the
  // caller commits it, UsageJournal::commit, before the answer ends), else to the store's
  // queue. With a reservation: it is released in the same step
  // (the usage replaces it); it must be the same team's.
  // `journaled`: what of this request is in the journal already (a stream's earlier parts, as
  // one whole record): only the rest is handed on, as a part (state::usage_part).
  state::StoreStatus settle(state::UsageRecord record);
  state::StoreStatus settle(state::UsageRecord record, BudgetReservation& reservation,
                            state::UsageJournal* journal = nullptr,
                            const state::UsageRecord* journaled = nullptr);

  // The key of the team's budget period at `at` (the period a record settled then lands in).
  std::string period_key(std::string_view team, TimePoint at);

  // At start, before serving: sets each team's counts for its current period from the
  // store's committed totals (totals of other periods are ignored).
  void restore(const std::vector<state::PeriodTotal>& totals, TimePoint now);

 private:
  struct Entry {
    std::optional<TeamBudget> budget;
    BudgetPeriod period;  // in force for the counts below
    TimePoint start{};
    TimePoint end{};  // start == end: not computed yet
    std::string key;
    std::int64_t tokens = 0;
    Micros micros = 0;
    std::int64_t requests = 0;
    // In flight: not part of any period, never reset by a roll.
    std::int64_t reserved_tokens = 0;
    Micros reserved_micros = 0;
    std::int64_t in_flight = 0;
    // Counted by other replicas in period `others_key` (added to the counts when it is `key`).
    std::string others_key;
    std::int64_t others_tokens = 0;
    Micros others_micros = 0;
    std::int64_t others_requests = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    StringMap<Entry> teams;
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_for(std::string_view team) const;
  Entry& entry(Shard& shard, std::string_view team);
  void roll(Entry& e, TimePoint now) const;
  BudgetDecision decide(const Entry& e, TimePoint now) const;
  friend class BudgetReservation;
  void release(std::string_view team, std::int64_t tokens, Micros micros);
  // Removes a reservation from its entry; the shard's lock is held.
  static void unreserve(Entry& e, std::int64_t tokens, Micros micros);

  state::UsageStore* store_;
  BudgetPeriod default_period_;
  mutable std::array<Shard, kShards> shards_;
  state::FailMode fail_mode_ = state::FailMode::kOpen;
  std::atomic<bool> shared_current_{true};
  mutable std::mutex stale_mutex_;
  std::string stale_reason_;
};

// 429 budget_exceeded, Retry-After = seconds to the reset, e.g.
// `team "platform" used 5,000,123 of its 5,000,000 tokens for the monthly budget (2026-11);
// it resets at 2026-12-01T00:00:00Z`. When the use alone is under the budget and only the
// requests in flight fill it, Retry-After is 1 s and the message says so:
// `team "platform" used 4,990,000 of its 5,000,000 tokens for the monthly budget (2026-11) and
// its requests in flight have reserved 36,000 more; retry when they finish`.
ApiError budget_exceeded_error(std::string_view team, const BudgetDecision& d);

// x-aigw-budget-{limit,remaining}-tokens, x-aigw-budget-{limit,remaining}-usd, and
// x-aigw-budget-reset (the reset time, RFC 3339) for a team with a budget, set in `out`;
// nothing otherwise.
void budget_headers(const BudgetDecision& d, HeaderBlock& out);

// "5,000,123".
std::string with_thousands(std::int64_t n);

}  // namespace aigw::budget
