// One worker thread's pipeline: the shared state plus this thread's upstream client.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "gateway/gateway.h"
#include "gateway/provider_answer.h"
#include "gateway/request_context.h"
#include "router/dialect_plan.h"

namespace aigw::gateway {

// One request on its way to a provider: the dialects, and what the answer's converters need.
struct Exchange {
  router::DialectPlan plan;
  translate::RequestContext request;  // model, stream, include_usage, … of the caller's body
  bool strip_usage_chunk = false;     // the gateway asked a chat stream for usage itself
};

class Worker {
 public:
  Worker(net::io_context& io, std::shared_ptr<GatewayShared> shared);
  net::awaitable<void> handle(server::IncomingRequest& in, server::ResponseWriter& out);

 private:
  net::awaitable<void> dispatch(RequestContext& ctx);
  // The per-IP limit (limits.ip); on refusal answers 429 and returns false.
  net::awaitable<bool> within_ip_limit(RequestContext& ctx);
  net::awaitable<void> serve_api(RequestContext& ctx, Endpoint endpoint);
  net::awaitable<void> serve_models(RequestContext& ctx);
  // Checks the bearer token and the scope; on failure answers the request and returns false.
  net::awaitable<bool> authenticate(RequestContext& ctx, std::string_view scope);
  net::awaitable<void> refresh_jwks(const auth::TrustedIssuer& issuer);
  net::awaitable<void> serve_token(RequestContext& ctx);
  net::awaitable<void> serve_discovery(RequestContext& ctx, bool jwks);
  net::awaitable<void> serve_admin(RequestContext& ctx);
  net::awaitable<void> proxy(RequestContext& ctx, Endpoint endpoint, const config::ProviderConfig& provider,
                             Exchange exchange);
  net::awaitable<void> relay(RequestContext& ctx, const config::ProviderConfig& provider,
                             const Exchange& exchange, ProviderAnswer& answer);
  net::awaitable<void> relay_error(RequestContext& ctx, const Exchange& exchange, ProviderAnswer& answer,
                                   std::string body);
  net::awaitable<void> relay_stream(RequestContext& ctx, const config::ProviderConfig& provider,
                                    const Exchange& exchange, ProviderAnswer& answer);
  // count_tokens on a provider that cannot count: an estimate, answered here.
  net::awaitable<void> serve_token_estimate(RequestContext& ctx);

  // Usage (usage_gate.cc). Budget, then team and client rate limits, each reserving the
  // request's estimate (prompt + output limit) in ctx until it settles or ends; on refusal
  // answers 429 and returns false.
  net::awaitable<bool> admit_usage(RequestContext& ctx, const translate::RequestContext& request);
  // Charges what the request consumed to the team and client, once, in place of its
  // reservation, and writes it to this thread's usage journal (state.wait_for_commit), so the
  // answer ends only after its usage is durable.
  net::awaitable<void> settle_usage(RequestContext& ctx, const Usage& usage);
  net::awaitable<void> serve_budget(RequestContext& ctx);
  net::awaitable<void> serve_usage_admin(RequestContext& ctx);
  std::string new_request_id();

  net::io_context& io_;
  std::shared_ptr<GatewayShared> shared_;
  upstream::UpstreamClient upstream_;
  std::mt19937_64 random_;
  // This thread's usage journal (state/usage_journal.h); null without a store.
  std::unique_ptr<state::UsageJournal> journal_;
};

}  // namespace aigw::gateway
