// Usage on the request path: the gate's budget and rate-limit steps (gate.h decides; here the
// request's charge is filled in), the settlement of what it consumed, and GET /v1/budget.
// Everything here reads and writes in-memory counters, plus one write(2) per settled answer
// to this thread's usage journal; the ledger is written by the store's own thread
// (state/usage_journal.h, state/sqlite_usage_store.h).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>
#include <cmath>

#include "core/json_text.h"
#include "gateway/handlers.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;

json::object limits_json(const limits::RateLimits& l) {
  return {{"requests_per_minute", l.requests_per_minute},
          {"tokens_per_minute", l.tokens_per_minute}};
}

std::string budget_status(const RequestContext& ctx, const budget::BudgetDecision& d) {
  json::object budget;
  if (d.has_budget) {
    budget = {{"tokens", d.budget_tokens},
              {"usd", d.budget_micros ? json::value(usd_from_micros(*d.budget_micros))
                                      : json::value(nullptr)},
              {"period", budget::period_kind_name(d.kind)},
              {"timezone", budget::format_utc_offset(d.utc_offset)}};
  }
  json::object remaining{
      {"tokens", d.budget_tokens > 0 ? json::value(d.remaining_tokens()) : json::value(nullptr)},
      {"usd", d.budget_micros ? json::value(usd_from_micros(
                                    std::max<Micros>(0, *d.budget_micros - d.used_micros)))
                              : json::value(nullptr)}};
  return serialize_money_json(json::object{
      {"team", ctx.charge.team},
      {"client_id", ctx.charge.client},
      {"budget", d.has_budget ? json::value(std::move(budget)) : json::value(nullptr)},
      {"period", d.period},
      // Dollars from whole micro-dollars: serialize_money_json writes them back exactly.
      {"used",
       {{"tokens", d.used_tokens},
        {"usd", usd_from_micros(d.used_micros)},
        {"requests", d.requests}}},
      {"reserved",
       {{"tokens", d.reserved_tokens},
        {"usd", usd_from_micros(d.reserved_micros)},
        {"requests", d.in_flight}}},
      {"remaining", std::move(remaining)},
      {"resets_at", budget::format_time(d.reset_at)},
      {"exhausted", !d.allowed},
      {"limits",
       {{"team", limits_json(ctx.charge.team_limits)},
        {"client", limits_json(ctx.charge.client_limits)}}}});
}

// Whom the request is charged to: the token's team and client, else the default team and
// the caller's network (as the IP window counts it: an IPv6 client is its /64).
void identify_caller(RequestContext& ctx, const budget::TeamDirectory& teams) {
  // Every route's checks begin with the IP window, which found the caller's network.
  gate::identify(ctx.charge, ctx.record.team, ctx.record.client_id, ctx.client_network,
                 ctx.config->limits, teams);
}

}  // namespace

std::optional<ApiError> reserve_usage(GatewayShared& shared, RequestContext& ctx,
                                      gate::Check check) {
  const auto& clock = *shared.clock;
  if (check == gate::Check::kBudget) {
    identify_caller(ctx, *shared.teams);
    return gate::check_budget(*shared.budgets, ctx.charge, budget::to_seconds(clock.wall()),
                              ctx.estimate);
  }
  return gate::check_rate_limits(shared.rate_limiter, ctx.charge, clock.unix_ms(),
                                 ctx.estimate.tokens);
}

namespace {

// The ledger record of `usage` charged to the request's team and client, now.
state::UsageRecord usage_record(const GatewayShared& shared, const RequestContext& ctx,
                                const Usage& usage) {
  state::UsageRecord record;
  // No request id: nothing re-appends a settled record and a batch commits whole or not at
  // all, so there is no replay to de-duplicate, and an id row would cost a B-tree insert and
  // ~90 bytes of disk per request.
  record.team = ctx.charge.team;
  record.client = ctx.charge.client;
  record.provider = ctx.record.provider;
  record.model = ctx.record.model;
  record.usage = usage;
  const budget::Cost cost = ctx.config->budget.prices.cost(record.provider, record.model, usage);
  record.cost_micros = cost.micros;
  record.priced = cost.priced;
  record.at = budget::to_seconds(shared.clock->wall());
  return record;
}

}  // namespace

bool stream_charge_due(const GatewayShared& shared, const RequestContext& ctx) {
  const auto& charge = ctx.charge;
  if (charge.settled || charge.team.empty() || !ctx.config->budget.state.wait_for_commit)
    return false;
  return !charge.journaled || shared.clock->steady() - charge.journaled_at >= kStreamChargeInterval;
}

void journal_stream_usage(GatewayShared& shared, JournalBatch& batch, RequestContext& ctx,
                          const Usage& consumed) {
  auto& charge = ctx.charge;
  if (!stream_charge_due(shared, ctx)) return;
  const auto now = shared.clock->steady();
  Usage usage = consumed;
  add_usage(usage, ctx.failed_usage);
  if (!usage.known) return;
  state::UsageJournal* journal = batch.journal();
  if (journal == nullptr) return;
  state::UsageRecord record = usage_record(shared, ctx, usage);
  const state::UsageRecord* before = charge.journaled ? &*charge.journaled : nullptr;
  if (before != nullptr) {
    record.at = before->at;  // every part in the first one's day and period
    record.period_key = before->period_key;
  } else {
    record.period_key = shared.budgets->period_key(record.team, record.at);
  }
  const state::UsageRecord part = state::usage_part(record, before);
  const bool unchanged = before != nullptr && part.usage.input_tokens == 0 &&
                         part.usage.output_tokens == 0 && part.usage.cached_tokens == 0 &&
                         part.usage.estimated_tokens == 0 && part.cost_micros == 0;
  // Written by the caller's usage_committed; should that write fail, the part goes to the
  // store's queue instead: counted all the same.
  if (!unchanged) journal->stage(part);
  charge.journaled = std::move(record);
  charge.journaled_at = now;
}

void settle_usage(GatewayShared& shared, JournalBatch& batch, RequestContext& ctx,
                  const Usage& answered) {
  Usage usage = answered;
  add_usage(usage, ctx.failed_usage);  // one request, charged once: failed attempts included
  ctx.record.usage = usage;
  auto& charge = ctx.charge;
  if (charge.settled || !usage.known || charge.team.empty()) return;
  charge.settled = true;
  state::UsageRecord record = usage_record(shared, ctx, usage);
  ctx.record.cost_micros = record.cost_micros;
  const auto& clock = *shared.clock;
  // The real tokens enter the window before the reservation leaves it: a check in between
  // sees too much, never too little.
  shared.rate_limiter.record_tokens(charge.rate_scopes(), budget::budget_tokens_of(usage),
                                    clock.unix_ms());
  charge.rate_reservation.release();
  // The counters change at once (the usage replaces the reservation); the record is staged in
  // this thread's journal, whose write the answer's end waits for (usage_committed), unless
  // state.wait_for_commit is off: then it goes to the store's queue, committed on the next tick.
  state::UsageJournal* to = ctx.config->budget.state.wait_for_commit ? batch.journal() : nullptr;
  const state::UsageRecord* journaled = charge.journaled ? &*charge.journaled : nullptr;
  if (const auto error =
          shared.budgets->settle(std::move(record), charge.budget_reservation, to, journaled)) {
    ctx.record.error = "usage kept in memory: " + error->message;
  }
}

net::awaitable<void> usage_committed(JournalBatch& journal, RequestContext& ctx) {
  state::StoreStatus error;
  if (!journal.committed_at_once(error)) error = co_await journal.committed();
  if (error) ctx.record.error = "usage not durable (queued in memory): " + error->message;
}

net::awaitable<void> BudgetHandler::serve(RequestContext& ctx) {
  identify_caller(ctx, *parts_.shared->teams);
  const budget::BudgetDecision d = parts_.shared->budgets->check(
      ctx.charge.team, budget::to_seconds(parts_.shared->clock->wall()));
  ctx.charge.headers.clear();
  budget::budget_headers(d, ctx.charge.headers);
  co_await send_body(ctx, 200, budget_status(ctx, d));
}

}  // namespace aigw::gateway
