// Parsing of teams (budgets, limits), state and prices; errors through ConfigNode::fail.
#include "budget/budget_config.h"

#include <cmath>
#include <cstdlib>

#include "core/config_node.h"
#include "limits/limits_config.h"

namespace aigw::budget {
namespace {

// A non-negative decimal such as 2.5 or 200; fails naming the key otherwise.
double money(const config::ConfigNode& parent, std::string_view key) {
  const config::ConfigNode node = parent.child(key);
  const std::string text = node.scalar();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) {
    node.fail("expected a number of US dollars, 0 or more, got \"" + text + "\"");
  }
  return v;
}

std::chrono::minutes timezone_of(const config::ConfigNode& budget) {
  if (!budget.has("timezone")) return std::chrono::minutes(0);
  const config::ConfigNode node = budget.child("timezone");
  const std::string text = node.scalar();
  if (const auto offset = parse_utc_offset(text)) return *offset;
  if (text.find('/') != std::string::npos) {
    node.fail("time zone names such as \"" + text +
              "\" are not supported yet; use a fixed UTC offset such as \"+01:00\" or \"-05:00\"");
  }
  node.fail("expected a UTC offset such as \"+00:00\", \"+02:00\" or \"-05:30\", got \"" + text +
            "\"");
}

}  // namespace

TeamBudget parse_team_budget(const config::ConfigNode& node) {
  node.allow_keys({"tokens", "usd", "period", "timezone"});
  if (!node.has("tokens") && !node.has("usd")) node.fail("a budget needs tokens, usd or both");
  TeamBudget b;
  b.tokens = node.integer("tokens", 0);
  if (b.tokens < 0) node.child("tokens").fail("must be 0 (no token budget) or more");
  if (node.has("usd")) b.usd = money(node, "usd");
  PeriodKind kind = PeriodKind::kMonthly;
  if (node.has("period")) {
    const std::string text = node.str("period");
    const auto parsed = parse_period_kind(text);
    if (!parsed)
      node.child("period").fail("expected daily, weekly or monthly, got \"" + text + "\"");
    kind = *parsed;
  }
  b.period = BudgetPeriod(kind, timezone_of(node));
  return b;
}

TeamSettings parse_team(const std::string& name, const config::ConfigNode& node) {
  TeamSettings t;
  t.name = name;
  if (!node.defined()) return t;
  node.allow_keys({"budget", "limits", "config"});
  t.config = node.str("config");
  if (node.has("budget")) t.budget = parse_team_budget(node.child("budget"));
  if (node.has("limits")) t.limits = limits::parse_rate_limits(node.child("limits"));
  return t;
}

void parse_prices(const config::ConfigNode& node, PriceTable& table) {
  node.for_each_entry([&](const std::string& key, const config::ConfigNode& entry) {
    if (key.empty() || key.front() == '/' || key.back() == '/') {
      entry.fail("expected \"provider/model\" or \"model\" as the key");
    }
    entry.allow_keys({"input", "output", "cached_input"});
    if (!entry.has("input") || !entry.has("output")) {
      entry.fail("a price needs input and output (USD per million tokens)");
    }
    ModelPrice p;
    p.input = money(entry, "input");
    p.output = money(entry, "output");
    p.cached_input = entry.has("cached_input") ? money(entry, "cached_input") : p.input;
    table.set(key, p);
  });
}

BudgetSettings parse_budget_settings(const config::ConfigNode& root) {
  BudgetSettings s;
  root.child("teams").for_each_entry([&](const std::string& name, const config::ConfigNode& node) {
    s.teams.emplace(name, parse_team(name, node));
  });
  s.state = state::parse_state_settings(root.child("state"));
  parse_prices(root.child("prices"), s.prices);
  const config::ConfigNode budget = root.child("budget");
  if (budget.defined()) {
    budget.allow_keys({"default_reservation_tokens"});
    s.default_reservation_tokens =
        budget.integer("default_reservation_tokens", s.default_reservation_tokens);
    if (s.default_reservation_tokens < 0 || s.default_reservation_tokens > 10'000'000) {
      budget.child("default_reservation_tokens").fail("must be between 0 and 10000000");
    }
  }
  return s;
}

}  // namespace aigw::budget
