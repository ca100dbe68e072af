// The metrics listener (metrics.listen): GET <metrics.path> in the Prometheus text format.
// The request counters come from metrics::RequestMetrics; what is a state rather than a count
// (budgets left, breakers, requests in flight, the state backend) is read at scrape time, so
// the request path pays nothing for it.
#include <boost/asio.hpp>

#include "gateway/gateway.h"
#include "metrics/exposition.h"
#include "router/routes.h"

namespace aigw::gateway {
namespace {

namespace net = boost::asio;

void render_budgets(GatewayShared& shared, metrics::Exposition& out) {
  const auto now = budget::to_seconds(shared.clock->wall());
  std::vector<std::pair<std::string, budget::BudgetDecision>> budgets;
  if (shared.teams && shared.budgets) {
    for (const auto& team : shared.teams->list()) {
      if (!team.budget) continue;
      const budget::BudgetDecision d = shared.budgets->check(team.name, now);
      if (d.has_budget) budgets.emplace_back(team.name, d);
    }
  }
  out.family("aigw_budget_remaining_tokens", "gauge",
             "Tokens left in each team's current budget period (teams with a token budget).");
  for (const auto& [team, d] : budgets) {
    if (d.budget_tokens > 0)
      out.sample("aigw_budget_remaining_tokens", {{"team", team}},
                 static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.remaining_tokens())));
  }
  out.family("aigw_budget_remaining_usd", "gauge",
             "US dollars left in each team's current budget period (teams with a USD budget).");
  for (const auto& [team, d] : budgets) {
    if (d.budget_micros) {
      const Micros left = std::max<Micros>(0, *d.budget_micros - d.used_micros);
      out.sample_micros("aigw_budget_remaining_usd", {{"team", team}}, left);
    }
  }
}

void render_providers(GatewayShared& shared, const config::Config& config,
                      metrics::Exposition& out) {
  out.family("aigw_breaker_state", "gauge",
             "1 for the state each provider's circuit breaker is in (closed, open, half_open).");
  const auto now = shared.clock->steady();
  for (const auto& [name, provider] : config.providers) {
    const auto view = shared.breakers.view(name, now, config.routing.breaker);
    for (const auto state : {routing::BreakerState::kClosed, routing::BreakerState::kOpen,
                             routing::BreakerState::kHalfOpen}) {
      out.sample("aigw_breaker_state",
                 {{"provider", name}, {"state", routing::breaker_state_name(state)}},
                 std::uint64_t{view.state == state ? 1u : 0u});
    }
  }
}

std::string render(GatewayShared& shared) {
  const auto config = shared.config.load();
  metrics::Exposition out;
  if (shared.metrics) shared.metrics->render(out);
  out.family("aigw_inflight_requests", "gauge", "Requests being served now.");
  out.sample("aigw_inflight_requests", {}, shared.in_flight.load());
  render_budgets(shared, out);
  render_providers(shared, *config, out);
  out.family("aigw_state_backend_up", "gauge",
             "1 while the usage ledger's backend takes writes (sqlite, or redis reachable).");
  const bool up = shared.store && !shared.store->unavailable();
  out.sample("aigw_state_backend_up", {{"backend", config->budget.state.backend}},
             std::uint64_t{up ? 1u : 0u});
  return out.text();
}

net::awaitable<void> serve_metrics(GatewayShared& shared, server::IncomingRequest& in,
                                   server::ResponseWriter& out) {
  HeaderBlock fields;
  fields.set("Content-Type", "text/plain; charset=utf-8");
  int status = 200;
  std::string body;
  const auto target = in.head.target();
  const auto method = in.head.method();
  if (in.problem != server::RequestProblem::kNone) {
    status = 400;
    body = "bad request\n";
  } else if (router::split_target(target).path != shared.config.load()->metrics.path) {
    status = 404;
    body = "not found: metrics are at the configured path\n";
  } else if (method != "GET" && method != "HEAD") {
    status = 405;
    body = "method not allowed\n";
    fields.set("Allow", "GET, HEAD");
  } else {
    fields.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    fields.set("Cache-Control", "no-store");
    body = render(shared);
  }
  co_await out.send(status, fields, std::move(body));
}

}  // namespace

server::HandlerFactory make_metrics_handler_factory(std::shared_ptr<GatewayShared> shared) {
  return [shared](net::io_context&) -> server::Handler {
    return [shared](server::IncomingRequest& in, server::ResponseWriter& out) {
      return serve_metrics(*shared, in, out);
    };
  };
}

}  // namespace aigw::gateway
