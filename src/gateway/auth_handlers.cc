// Authentication on the request path: the bearer check (with a JWKS refresh when an IdP has
// rotated its keys), and the built-in issuer's endpoints.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>

#include "gateway/worker.h"
#include "router/gateway_errors.h"
#include "upstream/fetch.h"

namespace aigw::gateway {
namespace {

// RFC 6749 §5.2-style, with the code RFC 6749 §4.1.2.1 has for an overloaded server.
auth::IssuerResponse token_endpoint_busy() {
  auth::IssuerResponse r;
  r.status = 503;
  r.body = boost::json::serialize(boost::json::object{
      {"error", "temporarily_unavailable"},
      {"error_description",
       "the token endpoint is busy checking other client secrets; retry in 1 second"}});
  r.headers = {{"Cache-Control", "no-store"}, {"Retry-After", "1"}};
  return r;
}

// Runs the grant (secret check and signing) on the bounded secret-check pool and resumes the
// calling coroutine on its own executor with the answer; nullopt when the pool is full.
net::awaitable<std::optional<auth::IssuerResponse>> check_on_pool(
    auth::AuthService& service, std::shared_ptr<const Clock> clock, auth::TokenGrant grant) {
  using Result = std::optional<auth::IssuerResponse>;
  auto initiate = [&service, clock = std::move(clock),
                   grant = std::move(grant)](auto handler) mutable {
    auto executor = net::get_associated_executor(handler);
    // The pool's jobs are std::function (copyable); the handler is move-only.
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    auth::TokenIssuer* issuer = service.issuer();
    const bool queued =
        service.secret_checks()->try_post([issuer, clock, grant, executor, shared_handler] {
          Result answer = issuer->grant(grant, clock->unix_seconds());
          net::post(executor, [shared_handler, answer = std::move(answer)]() mutable {
            (*shared_handler)(std::move(answer));
          });
        });
    if (!queued) net::post(executor, [shared_handler]() mutable { (*shared_handler)(Result()); });
  };
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(Result)>(
      std::move(initiate), net::use_awaitable);
}

// (Built outside the coroutine: GCC 12 rejects braced string-literal lists in coroutines.)
std::vector<std::pair<std::string, std::string>> cacheable_headers() {
  return {{"Cache-Control", "max-age=300"}};
}

std::string kid_list(const auth::KeySet& keys) {
  std::string out;
  for (const auto& kid : keys.kids()) out += (out.empty() ? "" : " ") + kid;
  return out;
}

// Fetches an issuer's JWKS and replaces its keys (kept as they were when the fetch fails).
// Logs the outcome; with `quiet_when_unchanged`, only a change or a failure.
net::awaitable<void> fetch_issuer_keys(upstream::UpstreamClient& client,
                                       const auth::TrustedIssuer& issuer,
                                       observability::AccessLog& log, bool quiet_when_unchanged) {
  upstream::FetchRequest request;
  request.url = issuer.jwks_url;
  request.timeout = std::chrono::seconds(10);
  const auto fetched = co_await upstream::fetch(client, request);
  const std::string before = kid_list(*issuer.keys);
  std::string error;
  if (fetched.failure)
    error = fetched.failure->detail;
  else if (fetched.status != 200)
    error = "HTTP " + std::to_string(fetched.status);
  else
    issuer.keys->replace_from_jwks(fetched.body, error);
  const bool ok = error.empty();
  const std::string after = kid_list(*issuer.keys);
  if (ok && quiet_when_unchanged && before == after) co_return;
  log.write_line(boost::json::serialize(
      boost::json::object{{"type", "auth"},
                          {"msg", ok ? "jwks refreshed" : "jwks refresh failed"},
                          {"issuer", issuer.issuer},
                          {"keys", issuer.keys->size()},
                          {"kids", after},
                          {"error", error}}));
}

// Every auth.jwks_refresh_interval, each jwks_url issuer's keys are fetched again, so a key
// the IdP has withdrawn stops being trusted even when no token names an unknown kid. One
// loop per process, on the worker that first authenticated a request (before that no
// fetched key is trusted anyway), with its own upstream client.
net::awaitable<void> refresh_keys_periodically(std::shared_ptr<GatewayShared> shared,
                                               std::shared_ptr<upstream::UpstreamClient> client) {
  net::steady_timer timer(co_await net::this_coro::executor);
  const auto interval =
      std::chrono::milliseconds(shared->auth->settings().jwks_refresh_interval_ms);
  for (;;) {
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    for (const auto& issuer : shared->auth->verifier().issuers()) {
      if (!issuer.jwks_url.empty())
        co_await fetch_issuer_keys(*client, issuer, *shared->access_log, true);
    }
  }
}

bool has_jwks_url(const auth::Verifier& verifier) {
  for (const auto& issuer : verifier.issuers()) {
    if (!issuer.jwks_url.empty()) return true;
  }
  return false;
}

}  // namespace

Worker::Authentication Worker::authenticate(RequestContext& ctx, std::string_view scope,
                                            bool admin_route, bool may_refresh) {
  auth::AuthService* service = shared_->auth.get();
  const bool auth_in_force = service != nullptr && service->enabled();
  if (!auth_in_force && admin_route) {
    const bool proxied =
        ctx.header("x-forwarded-for").has_value() || ctx.header("forwarded").has_value();
    return {gate::check_admin_without_auth(ctx.config->auth, false, ctx.in.client_ip, proxied)};
  }
  if (!auth_in_force) return {};
  if (service->claim_jwks_refresher() && has_jwks_url(service->verifier())) {
    auto client =
        std::make_shared<upstream::UpstreamClient>(io_, shared_->tls, ctx.config->upstream);
    net::co_spawn(io_, refresh_keys_periodically(shared_, std::move(client)), net::detached);
  }
  const gate::Credentials credentials{ctx.header("authorization"), ctx.header("x-api-key")};
  gate::AuthDecision decision = gate::check_authentication(
      service, credentials, scope, shared_->clock->unix_seconds(), may_refresh);
  if (const auto* refresh = std::get_if<gate::RefreshKeys>(&decision)) return {{}, refresh->issuer};
  if (auto* refused = std::get_if<ApiError>(&decision)) return {std::move(*refused)};
  const auto& principal = std::get<auth::Principal>(decision);
  ctx.record.client_id = principal.client_id;
  ctx.record.team = principal.team;
  return {};
}

net::awaitable<std::optional<ApiError>> Worker::authenticate_after_refresh(
    RequestContext& ctx, std::string_view scope, bool admin_route,
    const auth::TrustedIssuer& issuer) {
  // The IdP may have rotated its keys: fetch its JWKS again and look once more.
  co_await refresh_jwks(issuer);
  co_return authenticate(ctx, scope, admin_route, false).refusal;
}

net::awaitable<void> Worker::refresh_jwks(const auth::TrustedIssuer& issuer) {
  co_await fetch_issuer_keys(upstream_, issuer, *shared_->access_log, false);
}

net::awaitable<void> IssuerHandler::serve_token(RequestContext& ctx) {
  auth::TokenIssuer* issuer = parts_.shared->auth ? parts_.shared->auth->issuer() : nullptr;
  if (!issuer)
    co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  const auto content_type = ctx.header("content-type").value_or("");
  auto step = issuer->read_request(content_type, ctx.in.body, ctx.header("authorization"));
  std::optional<auth::IssuerResponse> answer;
  if (auto* refused = std::get_if<auth::IssuerResponse>(&step)) {
    answer = std::move(*refused);
  } else if (issuer->secret_known_good(std::get<auth::TokenGrant>(step))) {
    answer = issuer->grant(std::get<auth::TokenGrant>(step),
                           parts_.shared->clock->unix_seconds());  // no PBKDF2: cheap
  } else {
    // PBKDF2 costs tens of milliseconds by design: on the secret-check pool, never on this
    // thread, where it would stall every connection the thread serves.
    answer = co_await check_on_pool(*parts_.shared->auth, parts_.shared->clock,
                                    std::move(std::get<auth::TokenGrant>(step)));
  }
  if (!answer) answer = token_endpoint_busy();
  if (answer->status != 200)
    ctx.record.error = answer->status == 503 ? "token endpoint busy" : "token request refused";
  co_await send_body(ctx, answer->status, answer->body, answer->headers);
}

net::awaitable<void> IssuerHandler::serve_discovery(RequestContext& ctx, bool jwks) {
  auth::TokenIssuer* issuer = parts_.shared->auth ? parts_.shared->auth->issuer() : nullptr;
  if (!issuer)
    co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  if (jwks) co_return co_await send_body(ctx, 200, issuer->jwks_document(), cacheable_headers());
  // From the configuration, never from Host or X-Forwarded-Proto: a caller must not be able to
  // point the endpoints another client discovers at a server of its choosing.
  co_await send_body(
      ctx, 200, issuer->openid_configuration(parts_.shared->auth->settings().discovery_base()));
}

}  // namespace aigw::gateway
