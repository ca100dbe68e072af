// The teams in force: the config file's `teams:` with the admin API's changes on top.
//
// An admin change is stored (kind "team") with the file's version of that team at the time.
// At start and on reload, a stored change applies while the file's entry is still what it was
// when the change was made; once the file's entry changes, the file wins and the stale record
// is dropped. So the admin API can raise a budget at run time, and editing the file later
// still means what it says.
//
// Reads (the request path) take a shared lock and one map lookup; writes are admin-only.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "budget/budget_config.h"
#include "budget/budget_tracker.h"
#include "limits/rate_limiter.h"
#include "state/usage_store.h"

namespace aigw::budget {

class TeamDirectory {
 public:
  // `budgets` receives every team's budget; `store` (may be null) keeps the admin changes.
  // Both must outlive the directory.
  TeamDirectory(BudgetTracker& budgets, state::UsageStore* store);

  // The file's teams, then the stored admin changes that still apply. Returns notices for
  // the log (e.g. an admin change dropped because the file changed). A team whose budget
  // period changed (kind or offset) has its use in the new period restored from the ledger at
  // `now`. Waits on disk (or Redis): call it off the I/O threads.
  std::vector<std::string> load(const std::map<std::string, TeamSettings>& file_teams,
                                TimePoint now);
  // Admin API: creates or replaces a team's settings and persists the change. Waits on disk:
  // call it off the I/O threads.
  state::StoreStatus put(const TeamSettings& team, TimePoint now);

  std::vector<TeamSettings> list() const;
  std::optional<TeamSettings> find(std::string_view name) const;
  // The team's own limits, else `defaults` (limits.team).
  limits::RateLimits limits_of(std::string_view team, const limits::RateLimits& defaults) const;
  // The routing config the team is pinned to ("" when none).
  std::string config_of(std::string_view team) const;

 private:
  // Under the unique lock. `used`: what the ledger holds for a period the team switched to.
  void apply(const TeamSettings& team, const state::PeriodTotal* used = nullptr,
             TimePoint now = {});
  // What the team used in the current period of `period`, from the ledger's UTC days that lie
  // wholly inside it (all of them for a UTC period); nullopt when unknown. Waits on disk.
  std::optional<state::PeriodTotal> ledger_usage(const std::string& team,
                                                 const BudgetPeriod& period, TimePoint now);

  BudgetTracker& budgets_;
  state::UsageStore* store_;
  mutable std::shared_mutex mutex_;  // the request path reads under it (shared)
  std::mutex write_mutex_;           // admin writes, one at a time, across the store write
  std::map<std::string, TeamSettings, std::less<>> teams_;
  std::map<std::string, std::string, std::less<>> file_json_;  // team → its file entry as JSON
};

}  // namespace aigw::budget
