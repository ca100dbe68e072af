// A team's budget and limits as JSON, in the same shape as its `teams:` config entry: the body
// of the admin API (`POST /admin/teams/{name}`) and the value of its admin record in the store.
//
//   {"budget": {"tokens": 5000000, "usd": 200, "period": "monthly", "timezone": "+00:00"},
//    "limits": {"requests_per_minute": 600, "tokens_per_minute": 200000}}
//
// Either key may be absent or null (no budget / the default limits).
#pragma once

#include <string>
#include <string_view>

#include "budget/budget_config.h"
#include "core/result.h"

namespace aigw::budget {

std::string team_settings_json(const TeamSettings& team);

// Validates like the config does; a 400 invalid_request_error names the field, e.g.
// `budget.period: expected daily, weekly or monthly, got "yearly"`.
Result<TeamSettings> parse_team_settings_json(std::string_view name, std::string_view json);

}  // namespace aigw::budget
