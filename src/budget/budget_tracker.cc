// In-memory budget counters per team with scheduled period rollover, and the 429 they produce.
#include "budget/budget_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/json_text.h"

namespace aigw::budget {
namespace {

// Cents, or six decimals below a dollar: a small budget must not read "$0.00 of its $0.00".
std::string usd_text(Micros micros) {
  const double v = usd_from_micros(micros);
  char buf[48];
  std::snprintf(buf, sizeof buf, v >= 1 || v == 0 ? "$%.2f" : "$%.6f", v);
  return buf;
}

}  // namespace

std::string with_thousands(std::int64_t n) {
  const auto magnitude =
      n < 0 ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
  const std::string digits = std::to_string(magnitude);
  std::string out = n < 0 ? "-" : "";
  const std::size_t first = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  out.append(digits, 0, first);
  for (std::size_t i = first; i < digits.size(); i += 3) {
    out += ',';
    out.append(digits, i, 3);
  }
  return out;
}

BudgetReservation& BudgetReservation::operator=(BudgetReservation&& other) noexcept {
  if (this != &other) {
    release();
    take(other);
  }
  return *this;
}

void BudgetReservation::take(BudgetReservation& other) noexcept {
  tracker_ = std::exchange(other.tracker_, nullptr);
  team_ = std::move(other.team_);
  tokens_ = std::exchange(other.tokens_, 0);
  micros_ = std::exchange(other.micros_, 0);
}

void BudgetReservation::release() {
  if (tracker_ == nullptr) return;
  std::exchange(tracker_, nullptr)->release(team_, tokens_, micros_);
  tokens_ = 0;
  micros_ = 0;
}

BudgetTracker::BudgetTracker(state::UsageStore* store, BudgetPeriod default_period)
    : store_(store), default_period_(default_period) {}

BudgetTracker::Shard& BudgetTracker::shard_for(std::string_view team) const {
  return shards_[StringHash{}(team) % kShards];
}

BudgetTracker::Entry& BudgetTracker::entry(Shard& shard, std::string_view team) {
  auto it = shard.teams.find(team);
  if (it == shard.teams.end()) {
    Entry e;
    e.period = default_period_;
    it = shard.teams.emplace(std::string(team), std::move(e)).first;
  }
  return it->second;
}

void BudgetTracker::roll(Entry& e, TimePoint now) const {
  const BudgetPeriod& wanted = e.budget ? e.budget->period : default_period_;
  const bool same_rules = wanted == e.period && e.start != e.end;
  // Within the period, or a caller whose clock read is slightly behind the latest one.
  if (same_rules && now < e.end) return;
  e.period = wanted;
  const TimePoint at = same_rules ? now : std::max(now, e.start);
  std::string key = wanted.period_key(at);
  e.start = wanted.period_start(at);
  e.end = wanted.period_end(at);
  if (key != e.key) {
    e.key = std::move(key);
    e.tokens = 0;
    e.micros = 0;
    e.requests = 0;
  }
}

BudgetDecision BudgetTracker::decide(const Entry& e, TimePoint now) const {
  BudgetDecision d;
  d.used_tokens = e.tokens;
  d.used_micros = e.micros;
  d.requests = e.requests;
  if (e.others_key == e.key) {
    d.used_tokens += e.others_tokens;
    d.used_micros += e.others_micros;
    d.requests += e.others_requests;
  }
  d.kind = e.period.kind();
  d.period = e.key;
  d.utc_offset = e.period.utc_offset();
  d.reset_at = e.end;
  d.reserved_tokens = e.reserved_tokens;
  d.reserved_micros = e.reserved_micros;
  d.in_flight = e.in_flight;
  if (!e.budget) return d;
  d.has_budget = e.budget->tokens > 0 || e.budget->usd.has_value();
  d.budget_tokens = e.budget->tokens;
  if (e.budget->usd) d.budget_micros = micros_from_usd(*e.budget->usd);
  const bool tokens_out =
      d.budget_tokens > 0 && d.used_tokens + d.reserved_tokens >= d.budget_tokens;
  const bool usd_out = d.budget_micros && d.used_micros + d.reserved_micros >= *d.budget_micros;
  if (!tokens_out && !usd_out) return d;
  d.allowed = false;
  d.exhausted_usd = !tokens_out;
  // Used up: until the reset. Filled only by requests in flight: they may release some soon.
  const bool used_up =
      tokens_out ? d.used_tokens >= d.budget_tokens : d.used_micros >= *d.budget_micros;
  d.retry_after_seconds = used_up ? std::max<std::int64_t>(1, (e.end - now).count()) : 1;
  return d;
}

void BudgetTracker::set_budget(std::string_view team, const TeamBudget& budget) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  entry(s, team).budget = budget;
}

void BudgetTracker::set_budget(std::string_view team, const TeamBudget& budget,
                               const state::PeriodTotal& used, TimePoint now) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  Entry& e = entry(s, team);
  e.budget = budget;
  roll(e, now);
  if (used.period_key != e.key) return;
  e.tokens = used.tokens;
  e.micros = used.cost_micros;
  e.requests = used.requests;
}

void BudgetTracker::clear_budget(std::string_view team) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  if (auto it = s.teams.find(team); it != s.teams.end()) it->second.budget.reset();
}

std::optional<TeamBudget> BudgetTracker::budget(std::string_view team) const {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  const auto it = s.teams.find(team);
  return it == s.teams.end() ? std::nullopt : it->second.budget;
}

BudgetDecision BudgetTracker::check(std::string_view team, TimePoint now) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  auto it = s.teams.find(team);
  if (it == s.teams.end()) {
    // Unknown team: nothing used, no budget; not inserted (a check alone keeps no memory).
    Entry e;
    e.period = default_period_;
    roll(e, now);
    return decide(e, now);
  }
  roll(it->second, now);
  return decide(it->second, now);
}

Result<Admission> BudgetTracker::admit(std::string_view team, TimePoint now,
                                       ReservationEstimate estimate) {
  Admission a;
  {
    Shard& s = shard_for(team);
    std::lock_guard lock(s.mutex);
    Entry& e = entry(s, team);
    roll(e, now);
    a.decision = decide(e, now);
    if (!a.decision.allowed) return budget_exceeded_error(team, a.decision);
    if (a.decision.has_budget && fail_mode_ == state::FailMode::kClosed && !shared_current_) {
      std::lock_guard stale(stale_mutex_);
      return ApiError{503,
                      "state_unavailable",
                      "team \"" + std::string(team) +
                          "\" has a budget and the other replicas' usage cannot be read (" +
                          stale_reason_ + "); budgets fail closed until it can",
                      1,
                      {},
                      {}};
    }
    // The decision (and the headers) describe the budget before this request's reservation.
    e.reserved_tokens += std::max<std::int64_t>(0, estimate.tokens);
    e.reserved_micros += std::max<Micros>(0, estimate.micros);
    ++e.in_flight;
  }
  a.reservation.tracker_ = this;
  a.reservation.team_ = std::string(team);
  a.reservation.tokens_ = std::max<std::int64_t>(0, estimate.tokens);
  a.reservation.micros_ = std::max<Micros>(0, estimate.micros);
  return a;
}

void BudgetTracker::unreserve(Entry& e, std::int64_t tokens, Micros micros) {
  e.reserved_tokens = std::max<std::int64_t>(0, e.reserved_tokens - tokens);
  e.reserved_micros = std::max<Micros>(0, e.reserved_micros - micros);
  e.in_flight = std::max<std::int64_t>(0, e.in_flight - 1);
  // A reservation given back twice must not leave a remainder: nothing in flight means
  // nothing reserved.
  if (e.in_flight == 0) {
    e.reserved_tokens = 0;
    e.reserved_micros = 0;
  }
}

void BudgetTracker::release(std::string_view team, std::int64_t tokens, Micros micros) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  if (auto it = s.teams.find(team); it != s.teams.end()) unreserve(it->second, tokens, micros);
}

state::StoreStatus BudgetTracker::settle(state::UsageRecord record) {
  BudgetReservation none;
  return settle(std::move(record), none);
}

state::StoreStatus BudgetTracker::settle(state::UsageRecord record, BudgetReservation& reservation,
                                         state::UsageJournal* journal,
                                         const state::UsageRecord* journaled) {
  {
    Shard& s = shard_for(record.team);
    std::lock_guard lock(s.mutex);
    Entry& e = entry(s, record.team);
    roll(e, record.at);
    e.tokens += budget_tokens_of(record.usage);
    e.micros += record.cost_micros;
    ++e.requests;
    record.period_key = e.key;
    if (reservation.tracker_ == this && reservation.team_ == record.team) {
      unreserve(e, reservation.tokens_, reservation.micros_);
      reservation.tracker_ = nullptr;  // replaced by the usage: nothing left to release
    }
  }
  reservation.release();  // another team's (a caller's mistake): given back all the same
  if (store_ == nullptr) return std::nullopt;  // nothing to persist
  if (journaled != nullptr) record = state::usage_part(record, journaled);
  if (journal != nullptr) {
    journal->stage(record);  // the caller commits it before the answer ends
    return std::nullopt;
  }
  store_->append(std::move(record));
  return std::nullopt;
}

std::string BudgetTracker::period_key(std::string_view team, TimePoint at) {
  Shard& s = shard_for(team);
  std::lock_guard lock(s.mutex);
  Entry& e = entry(s, team);
  roll(e, at);
  return e.key;
}

std::vector<std::string> BudgetTracker::period_keys_in_use(TimePoint now) {
  std::vector<std::string> keys{default_period_.period_key(now)};
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [team, e] : s.teams) {
      if (e.budget) keys.push_back(e.budget->period.period_key(now));
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void BudgetTracker::set_shared_totals(const std::vector<std::string>& period_keys,
                                      const std::vector<state::PeriodTotal>& others) {
  const auto listed = [&](const std::string& key) {
    return std::find(period_keys.begin(), period_keys.end(), key) != period_keys.end();
  };
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (auto& [team, e] : s.teams) {
      if (!listed(e.others_key)) continue;
      e.others_tokens = 0;
      e.others_micros = 0;
      e.others_requests = 0;
    }
  }
  for (const state::PeriodTotal& t : others) {
    Shard& s = shard_for(t.team);
    std::lock_guard lock(s.mutex);
    Entry& e = entry(s, t.team);
    // One period per team: the one its own counts are in (or, before any, the later key).
    if (!e.key.empty() && t.period_key != e.key && e.others_key == e.key) continue;
    e.others_key = t.period_key;
    e.others_tokens = t.tokens;
    e.others_micros = t.cost_micros;
    e.others_requests = t.requests;
  }
}

void BudgetTracker::set_shared_totals_current(bool current, std::string why) {
  std::lock_guard lock(stale_mutex_);
  stale_reason_ = std::move(why);
  shared_current_ = current;
}

void BudgetTracker::restore(const std::vector<state::PeriodTotal>& totals, TimePoint now) {
  for (const state::PeriodTotal& t : totals) {
    Shard& s = shard_for(t.team);
    std::lock_guard lock(s.mutex);
    Entry& e = entry(s, t.team);
    roll(e, now);
    if (t.period_key != e.key) continue;
    e.tokens = t.tokens;
    e.micros = t.cost_micros;
    e.requests = t.requests;
  }
}

ApiError budget_exceeded_error(std::string_view team, const BudgetDecision& d) {
  std::string used;
  std::string in_flight;
  if (d.exhausted_usd) {
    used = "spent " + usd_text(d.used_micros) + " of its " + usd_text(d.budget_micros.value_or(0)) +
           " USD";
    if (d.used_micros < d.budget_micros.value_or(0)) in_flight = usd_text(d.reserved_micros);
  } else {
    used = "used " + with_thousands(d.used_tokens) + " of its " + with_thousands(d.budget_tokens) +
           " tokens";
    if (d.used_tokens < d.budget_tokens) in_flight = with_thousands(d.reserved_tokens);
  }
  std::string message = "team \"" + std::string(team) + "\" " + used + " for the " +
                        std::string(period_kind_name(d.kind)) + " budget (" + d.period + ")";
  if (in_flight.empty()) {
    message += "; it resets at " + format_time(d.reset_at, d.utc_offset);
  } else {
    message +=
        " and its requests in flight have reserved " + in_flight + " more; retry when they finish";
  }
  ApiError e{429, "budget_exceeded", std::move(message), d.retry_after_seconds, {}, {}};
  HeaderBlock headers;
  budget_headers(d, headers);
  e.headers = headers.fields();
  return e;
}

void budget_headers(const BudgetDecision& d, HeaderBlock& out) {
  if (!d.has_budget) return;
  if (d.budget_tokens > 0) {
    out.set(FieldName("x-aigw-budget-limit-tokens"), d.budget_tokens);
    out.set(FieldName("x-aigw-budget-remaining-tokens"), d.remaining_tokens());
  }
  if (d.budget_micros) {
    out.set(FieldName("x-aigw-budget-limit-usd"), micros_fixed6(*d.budget_micros));
    out.set(FieldName("x-aigw-budget-remaining-usd"),
            micros_fixed6(std::max<Micros>(0, *d.budget_micros - d.used_micros)));
  }
  out.set(FieldName("x-aigw-budget-reset"), format_time_text(d.reset_at).view());
}

}  // namespace aigw::budget
