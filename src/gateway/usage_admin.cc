// The admin API for teams and usage (admin scope; gateway/admin_handlers.cc routes here):
//   GET  /admin/teams                    every team: settings and current period's usage
//   GET  /admin/teams/{name}             one team
//   PUT  /admin/teams/{name}             create or replace (body: the `teams:` entry as JSON)
//   POST /admin/teams/{name}/budget      set or raise the budget, keep the limits
//   POST /admin/teams/{name}/limits      set the limits, keep the budget
//   GET  /admin/usage?group_by=team,model&from=YYYY-MM-DD&to=…&team=…&client=…&format=csv
// Changes persist in the store and win over the config file until its entry changes
// (budget/team_directory.h). Reports wait for the ledger on a pool thread, not a worker.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include "budget/team_settings_json.h"
#include "budget/usage_report.h"
#include "core/json_text.h"
#include "gateway/handlers.h"
#include "router/gateway_errors.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;

ApiError not_found(std::string message) {
  return {404, "not_found_error", std::move(message), {}, {}, {}};
}

json::object team_json(const std::string& name, const std::optional<budget::TeamSettings>& settings,
                       const budget::BudgetDecision& d) {
  json::value stored =
      settings ? json::parse(budget::team_settings_json(*settings)) : json::value(json::object{});
  json::object o{{"name", name}};
  const auto& s = stored.as_object();
  o["budget"] = s.contains("budget") ? s.at("budget") : json::value(nullptr);
  o["limits"] = s.contains("limits") ? s.at("limits") : json::value(nullptr);
  o["usage"] = {{"period", d.period},
                {"tokens", d.used_tokens},
                {"usd", usd_from_micros(d.used_micros)},
                {"requests", d.requests},
                {"reserved_tokens", d.reserved_tokens},
                {"in_flight", d.in_flight},
                {"remaining_tokens",
                 d.budget_tokens > 0 ? json::value(d.remaining_tokens()) : json::value(nullptr)},
                {"resets_at", budget::format_time(d.reset_at)},
                {"exhausted", !d.allowed}};
  return o;
}

// The body of a /budget or /limits change merged into the team's current settings.
Result<budget::TeamSettings> merged_settings(const std::string& name,
                                             const std::optional<budget::TeamSettings>& current,
                                             std::string_view part, std::string_view body) {
  boost::system::error_code ec;
  json::value change = json::parse(body, ec);
  if (ec) return bad_request("expected a JSON body: " + ec.message());
  json::object whole =
      current ? json::parse(budget::team_settings_json(*current)).as_object() : json::object{};
  // Fields not given keep their value ("raise the tokens" keeps the period); null clears.
  json::value& slot = whole[part];
  if (slot.is_object() && change.is_object()) {
    for (auto& kv : change.as_object()) slot.as_object()[kv.key()] = std::move(kv.value());
  } else {
    slot = std::move(change);
  }
  return budget::parse_team_settings_json(name, json::serialize(whole));
}

Result<budget::ReportQuery> report_query(const boost::urls::params_view& params, bool& csv) {
  budget::ReportQuery q;
  for (const auto& p : params) {
    if (p.key == "group_by") {
      auto fields = budget::parse_group_by(p.value);
      if (!fields)
        return bad_request("group_by: expected a list of team, client, provider, model, day");
      q.group_by = std::move(*fields);
    } else if (p.key == "from" || p.key == "to") {
      if (!budget::valid_day(p.value)) return bad_request(p.key + ": expected a day as YYYY-MM-DD");
      (p.key == "from" ? q.from_day : q.to_day) = p.value;
    } else if (p.key == "team") {
      q.team = p.value;
    } else if (p.key == "client") {
      q.client = p.value;
    } else if (p.key == "format") {
      if (p.value != "csv" && p.value != "json") return bad_request("format: expected json or csv");
      csv = p.value == "csv";
    } else {
      return bad_request("unknown parameter " + p.key +
                         " (known: group_by, from, to, team, client, format)");
    }
  }
  return q;
}

struct TeamReply {
  int status = 200;
  std::string body;
};

// The /admin/teams routes: plain (not a coroutine) and without I/O beyond the store's small
// admin write.
Result<TeamReply> team_admin(budget::TeamDirectory& teams, budget::BudgetTracker& budgets,
                             const std::string& method, const std::string& path,
                             std::string_view body, budget::TimePoint now) {
  constexpr std::string_view kTeams = "/admin/teams";
  if (path == kTeams && method == "GET") {
    json::array data;
    for (const auto& t : teams.list())
      data.push_back(team_json(t.name, t, budgets.check(t.name, now)));
    return TeamReply{200, serialize_money_json(json::object{{"data", std::move(data)}})};
  }
  std::string name = path.size() > kTeams.size() + 1 ? path.substr(kTeams.size() + 1) : "";
  std::string part;
  if (const auto slash = name.find('/'); slash != std::string::npos) {
    part = name.substr(slash + 1);
    name.resize(slash);
  }
  if (name.empty() || (!part.empty() && part != "budget" && part != "limits")) {
    return not_found("no admin route for " + method + " " + path);
  }
  const auto current = teams.find(name);
  if (part.empty() && method == "GET") {
    return TeamReply{200, serialize_money_json(team_json(name, current, budgets.check(name, now)))};
  }
  if (method != "PUT" && method != "POST") {
    return router::method_not_allowed(method, path, part.empty() ? "GET, PUT, POST" : "PUT, POST");
  }
  auto settings = part.empty() ? budget::parse_team_settings_json(name, body)
                               : merged_settings(name, current, part, body);
  if (!settings) return settings.take_error();
  if (auto error = teams.put(*settings, now)) return *error;
  return TeamReply{current ? 200 : 201,
                   serialize_money_json(team_json(name, *settings, budgets.check(name, now)))};
}

// The team routes on the blocking pool: a PUT waits for the store's disk write. A function,
// not a capturing lambda (see run_report).
net::awaitable<std::optional<Result<TeamReply>>> run_team_admin(budget::TeamDirectory* teams,
                                                                budget::BudgetTracker* budgets,
                                                                std::string method,
                                                                std::string path, std::string body,
                                                                budget::TimePoint now) {
  co_return team_admin(*teams, *budgets, method, path, body, now);
}

using ReportRows = Result<std::vector<budget::ReportRow>>;

std::string_view csv_type() { return "text/csv; charset=utf-8"; }

// Runs on the blocking pool. A function, not a capturing lambda: a lambda coroutine's
// captures die with the lambda, before the coroutine is done with them.
net::awaitable<std::optional<ReportRows>> run_report(state::UsageStore* store,
                                                     budget::ReportQuery query) {
  if (auto error = store->flush()) co_return ReportRows(*error);
  co_return store->report(query);
}

}  // namespace

net::awaitable<void> AdminHandler::serve_usage(RequestContext& ctx) {
  const boost::urls::url_view url(ctx.in.head.target());
  const std::string path = url.path();
  if (path != "/admin/usage") {
    const budget::TimePoint now = budget::to_seconds(parts_.shared->clock->wall());
    std::optional<Result<TeamReply>> reply = co_await net::co_spawn(
        parts_.shared->blocking_pool,
        run_team_admin(parts_.shared->teams.get(), parts_.shared->budgets.get(), ctx.record.method,
                       path, std::string(ctx.in.body), now),
        net::use_awaitable);
    if (!*reply) co_return co_await send_error(ctx, reply->error());
    co_return co_await send_body(ctx, (*reply)->status, std::move((*reply)->body));
  }
  if (ctx.record.method != "GET") {
    const ApiError error = router::method_not_allowed(ctx.record.method, path, "GET");
    co_return co_await send_error(ctx, error);
  }
  bool csv = false;
  auto query = report_query(url.params(), csv);
  if (!query) co_return co_await send_error(ctx, query.error());
  state::UsageStore* store = parts_.shared->store.get();
  // The report waits for the ledger's queue to commit: on the pool, never on this worker.
  std::optional<ReportRows> rows = co_await net::co_spawn(
      parts_.shared->blocking_pool, run_report(store, *query), net::use_awaitable);
  if (!(*rows)) co_return co_await send_error(ctx, rows->error());
  if (csv)
    co_return co_await send_body(ctx, 200, budget::render_report_csv(**rows, query->group_by), {},
                                 csv_type());
  co_await send_body(ctx, 200, budget::render_report_json(**rows, query->group_by));
}

}  // namespace aigw::gateway
