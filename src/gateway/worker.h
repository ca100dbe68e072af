// One I/O thread's request path: route, gate, handler (gateway.cc), with the route groups'
// handlers (handlers.h) and this thread's upstream client.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "gateway/handlers.h"

namespace aigw::gateway {

class Worker {
 public:
  Worker(net::io_context& io, std::shared_ptr<GatewayShared> shared);
  net::awaitable<void> handle(server::IncomingRequest& in, server::ResponseWriter& out);

 private:
  // The whole request path: route, the route's gate, then its handler.
  net::awaitable<void> dispatch(RequestContext& ctx);
  // Runs the route's checks in order (gate/gate.h); the first refusal is sent in the caller's
  // dialect and false returned.
  net::awaitable<bool> pass_gate(RequestContext& ctx, const router::Route& route);
  // The gate's steps that need more than a decision: the caller's address, the token (with a
  // JWKS refresh when it names an unknown kid), and the body.
  std::optional<ApiError> ip_window(RequestContext& ctx);
  // The token checked without I/O (no coroutine frame on the path every request takes): the
  // refusal, or `refresh` when it names a key its issuer may have rotated in since the keys
  // were fetched; then authenticate_after_refresh fetches them and decides.
  struct Authentication {
    std::optional<ApiError> refusal;
    const auth::TrustedIssuer* refresh = nullptr;
  };
  Authentication authenticate(RequestContext& ctx, std::string_view scope, bool admin_route,
                              bool may_refresh = true);
  net::awaitable<std::optional<ApiError>> authenticate_after_refresh(
      RequestContext& ctx, std::string_view scope, bool admin_route,
      const auth::TrustedIssuer& issuer);
  net::awaitable<void> refresh_jwks(const auth::TrustedIssuer& issuer);
  // GET /readyz: 200 when this replica can serve, else 503 naming what it lacks.
  net::awaitable<void> serve_readiness(RequestContext& ctx);
  // The answer to a body that could not be read (the gate reads it after the IP window and
  // authentication: a refused caller cannot make the gateway buffer or wait for a large body);
  // nullopt when the client left (nobody to answer: ctx.record.error says so).
  std::optional<ApiError> refuse_body(RequestContext& ctx, server::BodyStatus status,
                                      std::uint64_t limit);
  std::string new_request_id();

  net::io_context& io_;
  std::shared_ptr<GatewayShared> shared_;
  upstream::UpstreamClient upstream_;
  std::mt19937_64 random_;
  // This thread's usage journal (state/usage_journal.h), opened on the first settle.
  JournalBatch journal_;
  ApiHandler api_;
  BudgetHandler budget_;
  AdminHandler admin_;
  IssuerHandler issuer_;
};

}  // namespace aigw::gateway
