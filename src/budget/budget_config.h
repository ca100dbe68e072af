// The `teams:`, `prices:` and `budget:` sections, validated at load into immutable values;
// every error names the key and its line. (`limits:` is limits/limits_config.h, `state:`
// state/state_settings.h.)
//
//   teams:
//     platform:
//       budget: { tokens: 5000000, usd: 200, period: monthly, timezone: "+00:00" }
//       limits: { requests_per_minute: 600, tokens_per_minute: 200000 }
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
#include "core/duration.h"
#include "limits/limits_config.h"
#include "state/state_settings.h"

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
  std::string config;  // a routing.configs name used when a request names none ("": none)
};

struct BudgetSettings {
  // The output a request that sets no max_tokens (max_completion_tokens, max_output_tokens,
  // maxOutputTokens) is assumed to need when it is admitted: its reservation is its prompt
  // estimate plus this (budget_tracker.h). 0 reserves the prompt only.
  std::int64_t default_reservation_tokens = 4096;
  std::map<std::string, TeamSettings> teams;
  state::StateSettings state;                 // state/state_settings.h
  PriceTable prices = PriceTable::builtin();  // with the `prices:` overrides applied
};

// Reads `teams`, `state`, `prices` and `budget` from the config's top-level node.
BudgetSettings parse_budget_settings(const config::ConfigNode& root);

TeamSettings parse_team(const std::string& name, const config::ConfigNode& node);
TeamBudget parse_team_budget(const config::ConfigNode& node);
void parse_prices(const config::ConfigNode& node, PriceTable& table);

}  // namespace aigw::budget
