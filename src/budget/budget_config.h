// The `teams:`, `state:` and `prices:` sections, validated at load into immutable values;
// every error names the key and its line. (`limits:` is limits/limits_config.h.)
//
//   teams:
//     platform:
//       budget: { tokens: 5000000, usd: 200, period: monthly, timezone: "+00:00" }
//       limits: { requests_per_minute: 600, tokens_per_minute: 200000 }
//   state: { backend: sqlite, path: ./data/aigw.db, flush_interval: 100ms, batch_rows: 1000,
//            synchronous: normal, wait_for_commit: true }
//   prices:
//     "openai/gpt-4o": { input: 2.5, output: 10, cached_input: 1.25 }  # USD per million tokens
//   budget: { default_reservation_tokens: 4096 }
//
// `timezone` is a fixed UTC offset ("+02:00", "-05:00", "Z"); IANA names ("Europe/Berlin")
// are refused with a message saying so (budget/period.h).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "budget/period.h"
#include "budget/price_table.h"
#include "budget/sqlite_usage_store.h"
#include "core/duration.h"
#include "limits/limits_config.h"

namespace aigw::config {
class ConfigNode;
}

namespace aigw::budget {

// A team's budget per period (teams.NAME.budget).
struct TeamBudget {
  std::int64_t tokens = 0;    // per period; 0 = no token budget
  std::optional<double> usd;  // per period; nullopt = no USD budget
  BudgetPeriod period;
  bool operator==(const TeamBudget&) const = default;
};

struct TeamSettings {
  std::string name;
  std::optional<TeamBudget> budget;          // nullopt: no budget
  std::optional<limits::RateLimits> limits;  // nullopt: the `limits.team` defaults
};

struct StateSettings {
  std::string backend = "sqlite";
  std::string path = "./data/aigw.db";
  Millis flush_interval{100};
  std::size_t batch_rows = 1000;
  bool synchronous_full = false;
  // true: an answer ends only once its usage row is committed (a kill -9 loses no answered
  // request; costs a commit's latency per answer). false: rows are committed on the next
  // flush tick (a kill -9 may lose up to flush_interval of settled usage).
  bool wait_for_commit = true;
};

struct BudgetSettings {
  // The output a request that sets no max_tokens (max_completion_tokens, max_output_tokens,
  // maxOutputTokens) is assumed to need when it is admitted: its reservation is its prompt
  // estimate plus this (budget_tracker.h). 0 reserves the prompt only.
  std::int64_t default_reservation_tokens = 4096;
  std::map<std::string, TeamSettings> teams;
  StateSettings state;
  PriceTable prices = PriceTable::builtin();  // with the `prices:` overrides applied
};

// Reads `teams`, `state`, `prices` and `budget` from the config's top-level node.
BudgetSettings parse_budget_settings(const config::ConfigNode& root);

TeamSettings parse_team(const std::string& name, const config::ConfigNode& node);
TeamBudget parse_team_budget(const config::ConfigNode& node);
StateSettings parse_state_settings(const config::ConfigNode& node);
void parse_prices(const config::ConfigNode& node, PriceTable& table);

SqliteStoreOptions sqlite_options(const StateSettings& state);

}  // namespace aigw::budget
