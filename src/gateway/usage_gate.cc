// Usage on the request path: the budget and rate-limit checks before a request is forwarded
// (each reserving the request's estimate while it is in flight), the settlement of what it
// consumed after it, and GET /v1/budget.
// Everything here reads and writes in-memory counters, plus one write(2) per settled answer
// to this thread's usage journal; the ledger is written by the store's own thread
// (state/usage_journal.h, state/sqlite_usage_store.h).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "gateway/worker.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;

// Requests whose token names no team are charged to this one.
constexpr std::string_view kDefaultTeam = "default";

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

budget::TimePoint wall_now() { return budget::to_seconds(std::chrono::system_clock::now()); }

std::array<limits::RateScope, 2> rate_scopes(const RequestContext& ctx) {
  return {limits::RateScope{limits::RateScopeKind::kTeam, ctx.team, ctx.team_limits},
          limits::RateScope{limits::RateScopeKind::kClient, ctx.client, ctx.client_limits}};
}

json::object limits_json(const limits::RateLimits& l) {
  return {{"requests_per_minute", l.requests_per_minute}, {"tokens_per_minute", l.tokens_per_minute}};
}

std::string budget_status(const RequestContext& ctx, const budget::BudgetDecision& d) {
  json::object budget;
  if (d.has_budget) {
    budget = {{"tokens", d.budget_tokens},
              {"usd", d.budget_usd ? json::value(*d.budget_usd) : json::value(nullptr)},
              {"period", budget::period_kind_name(d.kind)},
              {"timezone", budget::format_utc_offset(d.utc_offset)}};
  }
  json::object remaining{{"tokens", d.budget_tokens > 0 ? json::value(d.remaining_tokens()) : json::value(nullptr)},
                         {"usd", d.budget_usd ? json::value(std::max(0.0, *d.budget_usd - d.used_usd))
                                              : json::value(nullptr)}};
  return json::serialize(json::object{
      {"team", ctx.team},
      {"client_id", ctx.client},
      {"budget", d.has_budget ? json::value(std::move(budget)) : json::value(nullptr)},
      {"period", d.period},
      {"used", {{"tokens", d.used_tokens}, {"usd", d.used_usd}, {"requests", d.requests}}},
      {"reserved", {{"tokens", d.reserved_tokens}, {"usd", d.reserved_usd}, {"requests", d.in_flight}}},
      {"remaining", std::move(remaining)},
      {"resets_at", budget::format_time(d.reset_at)},
      {"exhausted", !d.allowed},
      {"limits", {{"team", limits_json(ctx.team_limits)}, {"client", limits_json(ctx.client_limits)}}}});
}

// Fills in whom the request is charged to and the limits in force for them.
void identify(RequestContext& ctx, const budget::TeamDirectory& teams) {
  ctx.team = ctx.record.team.empty() ? std::string(kDefaultTeam) : ctx.record.team;
  ctx.client = ctx.record.client_id.empty() ? ctx.record.client_ip : ctx.record.client_id;
  const auto& limits = ctx.config->limits;
  ctx.team_limits = teams.limits_of(ctx.team, limits.team);
  ctx.client_limits = limits.client;
}

}  // namespace

net::awaitable<bool> Worker::admit_usage(RequestContext& ctx, const translate::RequestContext& request) {
  identify(ctx, *shared_->teams);
  // The estimate held while the request is in flight: its prompt plus its output limit.
  const auto& settings = ctx.config->budget;
  Usage expected;
  expected.input_tokens = request.estimated_input_tokens;
  expected.output_tokens = request.max_output_tokens.value_or(settings.default_reservation_tokens);
  const budget::ReservationEstimate estimate{
      budget::budget_tokens_of(expected), settings.prices.cost(ctx.record.provider, ctx.record.model, expected).usd};
  auto admission = shared_->budgets->admit(ctx.team, wall_now(), estimate);
  if (!admission) {
    const ApiError error = admission.take_error();
    co_await send_error(ctx, error);
    co_return false;
  }
  ctx.usage_headers = budget::budget_headers(admission->decision);
  ctx.budget_reservation = std::move(admission->reservation);
  const auto scopes = rate_scopes(ctx);
  const limits::RateDecision rate =
      shared_->rate_limiter.check(scopes, steady_ms(), estimate.tokens, &ctx.rate_reservation);
  for (auto& h : limits::rate_limit_headers(rate)) ctx.usage_headers.push_back(std::move(h));
  if (!rate.allowed) {
    ctx.budget_reservation.release();
    const ApiError error = limits::rate_limited_error(rate);
    co_await send_error(ctx, error);
    co_return false;
  }
  co_return true;
}

net::awaitable<void> Worker::settle_usage(RequestContext& ctx, const Usage& usage) {
  ctx.record.usage = usage;
  if (ctx.settled || !usage.known || ctx.team.empty()) co_return;
  ctx.settled = true;
  state::UsageRecord record;
  // No request id: nothing re-appends a settled record and a batch commits whole or not at
  // all, so there is no replay to de-duplicate, and an id row would cost a B-tree insert and
  // ~90 bytes of disk per request.
  record.team = ctx.team;
  record.client = ctx.client;
  record.provider = ctx.record.provider;
  record.model = ctx.record.model;
  record.usage = usage;
  const budget::Cost cost = ctx.config->budget.prices.cost(record.provider, record.model, usage);
  record.cost_usd = cost.usd;
  record.priced = cost.priced;
  record.at = wall_now();
  // The real tokens enter the window before the reservation leaves it: a check in between
  // sees too much, never too little.
  shared_->rate_limiter.record_tokens(rate_scopes(ctx), budget::budget_tokens_of(usage), steady_ms());
  ctx.rate_reservation.release();
  // The counters change at once (the usage replaces the reservation); the record goes to this
  // thread's journal before the answer's end is sent (unless state.wait_for_commit is off:
  // then to the store's queue, committed on the next tick).
  if (!journal_ && shared_->store) journal_ = shared_->store->open_journal();
  state::UsageJournal* journal = ctx.config->budget.state.wait_for_commit ? journal_.get() : nullptr;
  if (const auto error = shared_->budgets->settle(std::move(record), ctx.budget_reservation, journal)) {
    ctx.record.error = "usage kept in memory: " + error->message;
  }
  co_return;
}

net::awaitable<void> Worker::serve_budget(RequestContext& ctx) {
  identify(ctx, *shared_->teams);
  const budget::BudgetDecision d = shared_->budgets->check(ctx.team, wall_now());
  ctx.usage_headers = budget::budget_headers(d);
  co_await send_body(ctx, 200, budget_status(ctx, d));
}

}  // namespace aigw::gateway
