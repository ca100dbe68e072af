// One worker thread's pipeline: the shared state plus this thread's upstream client.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "gateway/gateway.h"
#include "gateway/provider_answer.h"
#include "gateway/request_context.h"

namespace aigw::gateway {

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
  net::awaitable<void> proxy(RequestContext& ctx, Endpoint endpoint, const config::ProviderConfig& provider);
  net::awaitable<void> relay(RequestContext& ctx, const config::ProviderConfig& provider,
                             ProviderAnswer& answer);
  net::awaitable<void> relay_stream(RequestContext& ctx, const config::ProviderConfig& provider,
                                    ProviderAnswer& answer);
  std::string new_request_id();

  net::io_context& io_;
  std::shared_ptr<GatewayShared> shared_;
  upstream::UpstreamClient upstream_;
  std::mt19937_64 random_;
};

}  // namespace aigw::gateway
