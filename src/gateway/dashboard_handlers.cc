// What the dashboard (/ui/) needs beyond the admin API's teams, usage and clients: its own
// embedded files, and two read-only admin routes (admin scope, checked by the gate):
//   GET /admin/requests?limit=N   this replica's latest API requests, newest first (no bodies)
//   GET /admin/providers          every provider with its models and circuit breaker
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <charconv>

#include "gateway/handlers.h"
#include "router/gateway_errors.h"
#include "ui/ui_assets.h"

namespace aigw::gateway {
namespace {

constexpr std::size_t kDefaultRecentLimit = 50;

// The `limit` of /admin/requests: 1 to the ring's size, default kDefaultRecentLimit.
Result<std::size_t> recent_limit(const boost::urls::params_view& params, std::size_t capacity) {
  std::size_t limit = kDefaultRecentLimit;
  for (const auto& p : params) {
    if (p.key != "limit") return bad_request("unknown parameter " + p.key + " (known: limit)");
    const auto* end = p.value.data() + p.value.size();
    const auto [ptr, ec] = std::from_chars(p.value.data(), end, limit);
    if (ec != std::errc() || ptr != end || limit == 0 || limit > capacity)
      return bad_request("limit: expected a whole number from 1 to " + std::to_string(capacity));
  }
  return limit;
}

// What the page must know before it signs in: whether tokens are needed and which scope the
// admin API asks for. Nothing secret.
std::string page_settings(const config::Config& config, bool built_in_issuer) {
  return boost::json::serialize(boost::json::object{
      {"auth", config.auth.enabled},
      {"invoke_scope", config.auth.scope},
      {"admin_scope", config.auth.admin_scope},
      {"token_endpoint", built_in_issuer ? boost::json::value("/oauth2/token") : nullptr}});
}

}  // namespace

net::awaitable<void> AdminHandler::serve_ui(RequestContext& ctx) {
  const std::string_view path = ctx.record.path;
  auto headers = ui::security_headers();
  if (path == "/ui") {
    // Relative links in the page resolve below /ui/ only with the slash.
    headers.emplace_back("Location", "/ui/");
    co_return co_await send_body(ctx, 308, "", headers, "text/plain; charset=utf-8");
  }
  const std::string_view name = path.substr(4);  // after "/ui/"
  if (name == "settings.json") {
    const bool issuer = parts_.shared->auth && parts_.shared->auth->issuer();
    co_return co_await send_body(ctx, 200, page_settings(*ctx.config, issuer), headers);
  }
  const ui::Asset* asset = ui::find_asset(name);
  if (!asset)
    co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  co_await send_body(ctx, 200, std::string(asset->body), headers, asset->content_type);
}

net::awaitable<void> AdminHandler::serve_activity(RequestContext& ctx) {
  const std::string_view path = ctx.record.path;
  if (ctx.record.method != "GET") {
    const ApiError error = router::method_not_allowed(ctx.record.method, path, "GET");
    co_return co_await send_error(ctx, error);
  }
  const auto& shared = *parts_.shared;
  if (path == "/admin/providers") {
    co_return co_await send_body(
        ctx, 200, providers_list(*ctx.config, shared.breakers, shared.clock->steady()));
  }
  const boost::urls::url_view url(ctx.in.head.target());
  auto limit = recent_limit(url.params(), shared.recent_requests.capacity());
  if (!limit) co_return co_await send_error(ctx, limit.error());
  std::string body = R"({"object":"list","data":)";
  body += shared.recent_requests.newest_json(*limit);
  body += '}';
  co_await send_body(ctx, 200, std::move(body));
}

}  // namespace aigw::gateway
