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

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ApiError auth_error(const auth::AuthFailure& f) {
  ApiError e{f.status, f.status == 403 ? "permission_error" : "authentication_error", f.message, {}, {}, {}};
  e.headers.emplace_back("WWW-Authenticate", f.www_authenticate());
  return e;
}

// (Built outside the coroutine: GCC 12 rejects braced string-literal lists in coroutines.)
std::vector<std::pair<std::string, std::string>> cacheable_headers() { return {{"Cache-Control", "max-age=300"}}; }

}  // namespace

net::awaitable<bool> Worker::authenticate(RequestContext& ctx, std::string_view scope) {
  auto& service = shared_->auth;
  if (!service || !service->enabled()) co_return true;
  auto& verifier = service->verifier();
  const auto token = auth::extract_token(ctx.header("authorization"), ctx.header("x-api-key"));
  if (const auto* missing = std::get_if<auth::AuthFailure>(&token)) {
    co_await send_error(ctx, auth_error(*missing));
    co_return false;
  }
  const std::string_view bearer = std::get<std::string_view>(token);
  auto result = verifier.verify_cached(bearer, unix_seconds());
  if (const auto* f = std::get_if<auth::AuthFailure>(&result); f && f->unknown_kid) {
    // The IdP may have rotated its keys: fetch its JWKS again (rate-limited) and retry once.
    const auth::TrustedIssuer* issuer = verifier.find_issuer(f->issuer);
    if (issuer && !issuer->jwks_url.empty() && issuer->keys->claim_refresh(unix_seconds() * 1000)) {
      co_await refresh_jwks(*issuer);
      result = verifier.verify_cached(bearer, unix_seconds());
    }
  }
  if (const auto* f = std::get_if<auth::AuthFailure>(&result)) {
    co_await send_error(ctx, auth_error(*f));
    co_return false;
  }
  const auto& principal = std::get<auth::Principal>(result);
  ctx.record.client_id = principal.client_id;
  ctx.record.team = principal.team;
  if (const auto denied = verifier.require_scope(principal, scope)) {
    co_await send_error(ctx, auth_error(*denied));
    co_return false;
  }
  co_return true;
}

net::awaitable<void> Worker::refresh_jwks(const auth::TrustedIssuer& issuer) {
  upstream::FetchRequest request;
  request.url = issuer.jwks_url;
  request.timeout = std::chrono::seconds(10);
  const auto fetched = co_await upstream::fetch(upstream_, request);
  std::string error;
  if (fetched.failure) error = fetched.failure->detail;
  else if (fetched.status != 200) error = "HTTP " + std::to_string(fetched.status);
  else issuer.keys->replace_from_jwks(fetched.body, error);
  const bool ok = error.empty();
  shared_->access_log->write_line(boost::json::serialize(boost::json::object{
      {"type", "auth"}, {"msg", ok ? "jwks refreshed" : "jwks refresh failed"}, {"issuer", issuer.issuer},
      {"keys", issuer.keys->size()}, {"error", error}}));
}

net::awaitable<void> Worker::serve_token(RequestContext& ctx) {
  auth::TokenIssuer* issuer = shared_->auth ? shared_->auth->issuer() : nullptr;
  if (!issuer) co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  const auto content_type = ctx.header("content-type").value_or("");
  const auto answer = issuer->token_request(content_type, ctx.in.message.body(), ctx.header("authorization"), unix_seconds());
  if (answer.status != 200) ctx.record.error = "token request refused";
  co_await send_body(ctx, answer.status, answer.body, answer.headers);
}

net::awaitable<void> Worker::serve_discovery(RequestContext& ctx, bool jwks) {
  auth::TokenIssuer* issuer = shared_->auth ? shared_->auth->issuer() : nullptr;
  if (!issuer) co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  if (jwks) co_return co_await send_body(ctx, 200, issuer->jwks_document(), cacheable_headers());
  const std::string scheme = ctx.header("x-forwarded-proto").value_or("http") == "https" ? "https" : "http";
  const std::string host(ctx.header("host").value_or("localhost:8787"));
  co_await send_body(ctx, 200, issuer->openid_configuration(scheme + "://" + host));
}

}  // namespace aigw::gateway
