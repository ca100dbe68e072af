// What each group of routes does once its gate has passed (gate/gate.h): one handler per
// group, each built per I/O thread with the shared state and that thread's upstream client.
// Worker (worker.h) routes a request, runs its gate and calls one of these.
#pragma once

#include <memory>
#include <optional>

#include "gateway/gateway.h"
#include "gateway/provider_answer.h"
#include "gateway/request_context.h"
#include "state/usage_journal.h"

namespace aigw::gateway {

// What every handler works with on its thread.
struct HandlerParts {
  net::io_context& io;
  std::shared_ptr<GatewayShared> shared;
  upstream::UpstreamClient& upstream;
  std::unique_ptr<state::UsageJournal>& journal;  // this thread's, opened on the first settle
};

// The provider endpoints: the request read (the gate's `request` step), then the mock or the
// provider, and the answer relayed back whole or chunk by chunk (proxy.cc).
class ApiHandler {
 public:
  explicit ApiHandler(HandlerParts parts) : parts_(parts) {}
  // The gate's request step: provider, JSON body, model, dialects, usage estimate. No I/O.
  std::optional<ApiError> read_request(RequestContext& ctx, Endpoint endpoint);
  net::awaitable<void> serve(RequestContext& ctx, Endpoint endpoint);

 private:
  net::awaitable<void> serve_models(RequestContext& ctx);
  net::awaitable<void> serve_token_estimate(RequestContext& ctx);
  net::awaitable<void> proxy(RequestContext& ctx, Endpoint endpoint);
  net::awaitable<void> relay(RequestContext& ctx, const config::ProviderConfig& provider,
                             const Exchange& exchange, ProviderAnswer& answer);
  net::awaitable<void> relay_error(RequestContext& ctx, const Exchange& exchange,
                                   ProviderAnswer& answer, std::string body);
  net::awaitable<void> relay_stream(RequestContext& ctx, const config::ProviderConfig& provider,
                                    const Exchange& exchange, ProviderAnswer& answer);

  HandlerParts parts_;
};

// GET /v1/budget: the caller's team budget, use, reservations and limits (usage_gate.cc).
class BudgetHandler {
 public:
  explicit BudgetHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve(RequestContext& ctx);

 private:
  HandlerParts parts_;
};

// /admin/*: clients and signing keys (admin_handlers.cc), teams and usage reports
// (usage_admin.cc); what waits on disk runs on the blocking pool.
class AdminHandler {
 public:
  explicit AdminHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve(RequestContext& ctx);

 private:
  net::awaitable<void> serve_usage(RequestContext& ctx);

  HandlerParts parts_;
};

// The built-in issuer: POST /oauth2/token and the discovery documents (auth_handlers.cc).
class IssuerHandler {
 public:
  explicit IssuerHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve_token(RequestContext& ctx);
  net::awaitable<void> serve_discovery(RequestContext& ctx, bool jwks);

 private:
  HandlerParts parts_;
};

// Usage on the request path (usage_gate.cc). The gate's budget and rate-limit steps: whom to
// charge, then the check that reserves the request's estimate.
std::optional<ApiError> reserve_usage(GatewayShared& shared, RequestContext& ctx,
                                      gate::Check check);
// Charges what the request consumed to the team and client, once, in place of its
// reservation, and appends the record to this thread's usage journal (one write(2)), so the
// answer's end goes out only once its usage is durable against a kill -9.
void settle_usage(GatewayShared& shared, std::unique_ptr<state::UsageJournal>& journal,
                  RequestContext& ctx, const Usage& usage);

}  // namespace aigw::gateway
