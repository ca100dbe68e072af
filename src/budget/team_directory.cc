// Team settings from the file and the admin API; see team_directory.h for who wins.
#include "budget/team_directory.h"

#include <boost/json.hpp>
#include <mutex>

#include "budget/team_settings_json.h"

namespace aigw::budget {
namespace {

namespace json = boost::json;

constexpr std::string_view kTeamRecord = "team";

// The stored admin record: {"file": <the file's entry as JSON, or null>, "settings": {...}}.
std::string admin_record(const std::optional<std::string>& file_json, const TeamSettings& team) {
  json::object o;
  o["file"] = file_json ? json::value(json::string(*file_json)) : json::value(nullptr);
  o["settings"] = json::parse(team_settings_json(team));
  return json::serialize(o);
}

}  // namespace

TeamDirectory::TeamDirectory(BudgetTracker& budgets, state::UsageStore* store)
    : budgets_(budgets), store_(store) {}

void TeamDirectory::apply(const TeamSettings& team, const state::PeriodTotal* used, TimePoint now) {
  if (team.budget && used)
    budgets_.set_budget(team.name, *team.budget, *used, now);
  else if (team.budget)
    budgets_.set_budget(team.name, *team.budget);
  else
    budgets_.clear_budget(team.name);
  teams_[team.name] = team;
}

std::vector<std::string> TeamDirectory::load(const std::map<std::string, TeamSettings>& file_teams,
                                             TimePoint now) {
  std::vector<std::string> notices;
  std::vector<state::AdminRecord> records;
  if (store_) {
    auto stored = store_->admin_records(kTeamRecord);
    if (stored)
      records = std::move(*stored);
    else
      notices.push_back("cannot read the admin's team changes: " + stored.error().message);
  }
  // What the teams become: the file's, with each stored admin change over them that was made
  // against the file entry still in force. Worked out before anything is applied.
  std::map<std::string, std::string, std::less<>> file_json;
  for (const auto& [name, team] : file_teams) file_json[name] = team_settings_json(team);
  std::map<std::string, TeamSettings, std::less<>> next(file_teams.begin(), file_teams.end());
  std::vector<std::string> overridden;  // admin records the file's entry replaces
  for (const auto& r : records) {
    boost::system::error_code ec;
    const json::value v = json::parse(r.value, ec);
    const auto* o = v.if_object();
    const auto* settings = o ? o->if_contains("settings") : nullptr;
    if (ec || !settings) {
      notices.push_back("ignoring a malformed admin record for team \"" + r.name + "\"");
      continue;
    }
    const auto* file = o->if_contains("file");
    const auto it = file_json.find(r.name);
    const bool file_unchanged =
        (it == file_json.end() && (!file || file->is_null())) ||
        (it != file_json.end() && file && file->is_string() && file->as_string() == it->second);
    if (!file_unchanged) {
      notices.push_back("the config file changed team \"" + r.name +
                        "\": its entry replaces the admin's change of " +
                        format_time(r.updated_at));
      overridden.push_back(r.name);
      continue;
    }
    auto team = parse_team_settings_json(r.name, json::serialize(*settings));
    if (!team) {
      notices.push_back("ignoring the admin record for team \"" + r.name +
                        "\": " + team.error().message);
      continue;
    }
    next[r.name] = std::move(*team);
  }
  // A team whose period changes here (another replica's admin change, or the file's) starts a
  // count this tracker never kept: read from the ledger first (no lock held across the
  // store), then set with the new period in one step, as put() does.
  std::vector<std::pair<std::string, BudgetPeriod>> switched;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, team] : teams_) {
      const auto it = next.find(name);
      if (team.budget && it != next.end() && it->second.budget &&
          !(it->second.budget->period == team.budget->period))
        switched.emplace_back(name, it->second.budget->period);
    }
  }
  std::map<std::string, state::PeriodTotal, std::less<>> used;
  for (const auto& [name, period] : switched) {
    if (auto total = ledger_usage(name, period, now)) used.emplace(name, std::move(*total));
  }
  {
    std::unique_lock lock(mutex_);
    for (const auto& [name, team] : teams_) {
      if (!next.count(name)) budgets_.clear_budget(name);
    }
    teams_.clear();
    file_json_ = std::move(file_json);
    for (const auto& [name, team] : next) {
      const auto it = used.find(name);
      apply(team, it != used.end() ? &it->second : nullptr, now);
    }
  }
  if (store_) {
    for (const auto& name : overridden) store_->delete_admin_record(kTeamRecord, name);
  }
  return notices;
}

std::optional<state::PeriodTotal> TeamDirectory::ledger_usage(const std::string& team,
                                                              const BudgetPeriod& period,
                                                              TimePoint now) {
  using std::chrono::days;
  const auto start = std::chrono::ceil<days>(period.period_start(now));
  const auto end = std::chrono::floor<days>(period.period_end(now));  // exclusive
  if (!store_ || start >= end || store_->flush()) return std::nullopt;
  const BudgetPeriod daily(PeriodKind::kDaily);
  ReportQuery query;
  query.team = team;
  query.from_day = daily.period_key(TimePoint(start));
  query.to_day = daily.period_key(TimePoint(end - days(1)));
  query.group_by = {ReportField::kTeam};
  auto rows = store_->report(query);
  if (!rows) return std::nullopt;
  state::PeriodTotal total{team, period.period_key(now), 0, 0, 0};
  for (const auto& r : *rows) {
    total.tokens += r.input_tokens + r.output_tokens;
    total.cost_micros += r.cost_micros;
    total.requests += r.requests;
  }
  return total;
}

state::StoreStatus TeamDirectory::put(const TeamSettings& team, TimePoint now) {
  // Admin writes take turns on their own mutex; the one every API request reads under is
  // held only to apply the change in memory, never across the store's disk write.
  std::lock_guard writing(write_mutex_);
  std::optional<BudgetPeriod> old_period;
  if (const auto current = find(team.name); current && current->budget)
    old_period = current->budget->period;
  if (store_) {
    std::optional<std::string> file;
    {
      std::shared_lock lock(mutex_);
      if (const auto it = file_json_.find(team.name); it != file_json_.end()) file = it->second;
    }
    if (auto error =
            store_->put_admin_record(kTeamRecord, team.name, admin_record(file, team), now)) {
      return error;
    }
  }
  // A new period kind or offset starts a count the tracker has never kept: it is taken from
  // the ledger, so switching a team from monthly to daily does not forget what it used today.
  std::optional<state::PeriodTotal> used;
  if (team.budget && old_period && !(*old_period == team.budget->period))
    used = ledger_usage(team.name, team.budget->period, now);
  std::unique_lock lock(mutex_);
  apply(team, used ? &*used : nullptr, now);
  return std::nullopt;
}

std::vector<TeamSettings> TeamDirectory::list() const {
  std::shared_lock lock(mutex_);
  std::vector<TeamSettings> out;
  for (const auto& [_, t] : teams_) out.push_back(t);
  return out;
}

std::optional<TeamSettings> TeamDirectory::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  const auto it = teams_.find(name);
  if (it == teams_.end()) return std::nullopt;
  return it->second;
}

limits::RateLimits TeamDirectory::limits_of(std::string_view team,
                                            const limits::RateLimits& defaults) const {
  std::shared_lock lock(mutex_);
  const auto it = teams_.find(team);
  if (it == teams_.end() || !it->second.limits) return defaults;
  return *it->second.limits;
}

std::string TeamDirectory::config_of(std::string_view team) const {
  std::shared_lock lock(mutex_);
  const auto it = teams_.find(team);
  return it == teams_.end() ? std::string() : it->second.config;
}

}  // namespace aigw::budget
