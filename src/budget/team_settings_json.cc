// Team settings to and from JSON (Boost.JSON) with the config's rules and field-naming errors.
#include "budget/team_settings_json.h"

#include <boost/json.hpp>
#include <cmath>
#include <initializer_list>
#include <limits>

namespace aigw::budget {
namespace {

namespace json = boost::json;

// Thrown inside this file only and turned into a 400 at its edge.
struct FieldError {
  std::string message;
};

[[noreturn]] void fail(std::string_view field, const std::string& message) {
  throw FieldError{std::string(field) + ": " + message};
}

void allow_keys(const json::object& o, std::string_view where,
                std::initializer_list<std::string_view> known) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (ok) continue;
    std::string names;
    for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    fail(where.empty() ? std::string(kv.key()) : std::string(where) + "." + std::string(kv.key()),
         "unknown field (known fields here: " + names + ")");
  }
}

std::int64_t count(const json::value& v, const std::string& field) {
  if (v.is_int64() && v.get_int64() >= 0) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= std::numeric_limits<std::int64_t>::max()) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  fail(field, "expected a whole number, 0 or more");
}

double dollars(const json::value& v, const std::string& field) {
  if (v.is_number()) {
    const double d = v.to_number<double>();
    if (std::isfinite(d) && d >= 0) return d;
  }
  fail(field, "expected a number of US dollars, 0 or more");
}

std::string text(const json::value& v, const std::string& field) {
  if (!v.is_string()) fail(field, "expected a string");
  return std::string(v.get_string());
}

TeamBudget budget_from(const json::object& o) {
  allow_keys(o, "budget", {"tokens", "usd", "period", "timezone"});
  if (!o.contains("tokens") && !o.contains("usd")) fail("budget", "needs tokens, usd or both");
  TeamBudget b;
  if (const auto* v = o.if_contains("tokens")) b.tokens = count(*v, "budget.tokens");
  if (const auto* v = o.if_contains("usd"); v && !v->is_null()) b.usd = dollars(*v, "budget.usd");
  PeriodKind kind = PeriodKind::kMonthly;
  if (const auto* v = o.if_contains("period")) {
    const std::string p = text(*v, "budget.period");
    const auto parsed = parse_period_kind(p);
    if (!parsed) fail("budget.period", "expected daily, weekly or monthly, got \"" + p + "\"");
    kind = *parsed;
  }
  std::chrono::minutes offset{0};
  if (const auto* v = o.if_contains("timezone")) {
    const std::string tz = text(*v, "budget.timezone");
    const auto parsed = parse_utc_offset(tz);
    if (!parsed && tz.find('/') != std::string::npos) {
      fail("budget.timezone", "time zone names such as \"" + tz +
                                  "\" are not supported yet; use a fixed UTC offset such as "
                                  "\"+01:00\" or \"-05:00\"");
    }
    if (!parsed)
      fail("budget.timezone", "expected a UTC offset such as \"+02:00\", got \"" + tz + "\"");
    offset = *parsed;
  }
  b.period = BudgetPeriod(kind, offset);
  return b;
}

limits::RateLimits limits_from(const json::object& o) {
  allow_keys(o, "limits", {"requests_per_minute", "tokens_per_minute"});
  limits::RateLimits r;
  if (const auto* v = o.if_contains("requests_per_minute")) {
    r.requests_per_minute = count(*v, "limits.requests_per_minute");
  }
  if (const auto* v = o.if_contains("tokens_per_minute")) {
    r.tokens_per_minute = count(*v, "limits.tokens_per_minute");
  }
  return r;
}

const json::object* object_or_null(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  if (!v->is_object()) fail(key, "expected an object or null");
  return &v->get_object();
}

}  // namespace

std::string team_settings_json(const TeamSettings& team) {
  json::object o;
  if (team.budget) {
    json::object b;
    b["tokens"] = team.budget->tokens;
    if (team.budget->usd) b["usd"] = *team.budget->usd;
    b["period"] = period_kind_name(team.budget->period.kind());
    const auto offset = team.budget->period.utc_offset();
    b["timezone"] = offset.count() == 0 ? std::string("+00:00") : format_utc_offset(offset);
    o["budget"] = std::move(b);
  } else {
    o["budget"] = nullptr;
  }
  if (team.limits) {
    o["limits"] = {{"requests_per_minute", team.limits->requests_per_minute},
                   {"tokens_per_minute", team.limits->tokens_per_minute}};
  } else {
    o["limits"] = nullptr;
  }
  if (!team.config.empty()) o["config"] = team.config;
  return json::serialize(o);
}

Result<TeamSettings> parse_team_settings_json(std::string_view name, std::string_view body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return bad_request("team settings must be a JSON object");
  try {
    const json::object& o = doc.get_object();
    allow_keys(o, "", {"budget", "limits", "config"});
    TeamSettings t;
    t.name = std::string(name);
    if (const auto* c = o.if_contains("config"); c && !c->is_null()) {
      // Checked against routing.configs on use: a team pinned to a name that is gone is told so.
      t.config = text(*c, "config");
    }
    if (const auto* b = object_or_null(o, "budget")) t.budget = budget_from(*b);
    if (const auto* l = object_or_null(o, "limits")) t.limits = limits_from(*l);
    return t;
  } catch (const FieldError& e) {
    return bad_request(e.message);
  }
}

}  // namespace aigw::budget
