#include "gateway/gateway.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "gateway/worker.h"
#include "router/gateway_errors.h"
#include "router/render_error.h"
#include "router/routes.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;

constexpr std::string_view kHealthBody = R"({"status":"ok","service":"aigw","version":"0.1.0"})";

// A caller-chosen request id is kept when it is short and printable; it goes into logs.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

double millis_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// GET /v1/providers: what check-health.sh --providers probes. Never includes keys or URLs.
std::string providers_list(const config::Config& config) {
  json::array data;
  for (const auto& entry : config.providers) {
    const auto& p = entry.second;
    json::array models;
    for (const auto& m : p.models) models.push_back(json::string(m));
    data.push_back(json::object{{"name", p.name}, {"dialect", provider_api_name(p.api)},
                                {"models", std::move(models)}, {"probe_model", p.probe_model}});
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

// The token endpoint reads its form before any authentication: a small cap.
constexpr std::uint64_t kTokenBodyLimit = 64 * 1024;

// The answer to a request the server could not read (server/request_framer.h).
ApiError request_problem(const server::IncomingRequest& in, const config::ServerConfig& server_config) {
  switch (in.problem) {
    case server::RequestProblem::kHeadersTooLarge: return router::headers_too_large(server_config.max_header_bytes);
    case server::RequestProblem::kUnsupportedCoding: return router::unsupported_transfer_coding();
    case server::RequestProblem::kTimeout: return router::request_timeout(server_config.request_timeout);
    case server::RequestProblem::kMalformed:
    case server::RequestProblem::kNone: break;
  }
  return router::malformed_request(in.problem_detail);
}

// Reads the request body (header first: called after the IP limit and authentication); on
// failure answers the request and returns false.
net::awaitable<bool> body_arrived(RequestContext& ctx, std::uint64_t limit = 0) {
  const server::BodyStatus status = co_await ctx.in.read_body(limit);
  if (status == server::BodyStatus::kOk) co_return true;
  const std::uint64_t effective = limit == 0 ? ctx.in.max_body_bytes : std::min(limit, ctx.in.max_body_bytes);
  ApiError error;
  switch (status) {
    case server::BodyStatus::kTooLarge: error = router::body_too_large(effective); break;
    case server::BodyStatus::kTimeout: error = router::request_timeout(ctx.config->server.request_timeout); break;
    case server::BodyStatus::kMalformed: error = router::malformed_request("unreadable chunked body"); break;
    case server::BodyStatus::kClosed:
    case server::BodyStatus::kOk:
      ctx.record.error = "the client closed the connection before the body arrived";
      co_return false;
  }
  co_await send_error(ctx, error);
  co_return false;
}

}  // namespace

std::optional<std::string_view> RequestContext::header(std::string_view name) const {
  const auto it = in.message.find(name);
  if (it == in.message.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

net::awaitable<void> send_body(RequestContext& ctx, int status, std::string body,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view content_type) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  for (const auto& [name, value] : ctx.usage_headers) res.set(name, value);
  for (const auto& [name, value] : headers) res.set(name, value);
  res.set(http::field::content_type, content_type);
  res.set("x-request-id", ctx.record.request_id);
  res.body() = std::move(body);
  // A whole answer ends the request: what it reserved and did not settle goes back before the
  // caller can see the answer, so the caller's next request never meets it still reserved.
  ctx.budget_reservation.release();
  ctx.rate_reservation.release();
  co_await ctx.out.send(std::move(res));
}

net::awaitable<void> send_error(RequestContext& ctx, const ApiError& error) {
  const auto rendered = router::render_error(ctx.error_style, error);
  ctx.record.error = error.message;
  co_await send_body(ctx, rendered.status, rendered.body, rendered.headers);
}

Worker::Worker(net::io_context& io, std::shared_ptr<GatewayShared> shared)
    : io_(io), shared_(std::move(shared)), upstream_(io, shared_->tls, shared_->config.load()->upstream),
      random_(std::random_device{}()) {}

std::string Worker::new_request_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t r = random_();
    for (int i = 0; i < 16; ++i, r >>= 4) id[half * 16 + i] = kHex[r & 15];
  }
  return id;
}

net::awaitable<void> Worker::handle(server::IncomingRequest& in, server::ResponseWriter& out) {
  RequestContext ctx(shared_->config.load(), in, out);
  const auto client_id = ctx.header("x-request-id");
  ctx.record.request_id = client_id && acceptable_request_id(*client_id) ? std::string(*client_id) : new_request_id();
  const auto target = router::split_target(std::string_view(in.message.target().data(), in.message.target().size()));
  ctx.record.method = std::string(in.message.method_string());
  ctx.record.path = std::string(target.path);
  ctx.record.client_ip = in.client_ip;
  std::string failure;
  try {
    co_await dispatch(ctx);
  } catch (const std::exception& e) {
    failure = e.what();
    if (failure.empty()) failure = "exception without a message";
  }
  if (!failure.empty()) {
    // A bug must cost one request, not the process; the caller still gets an answer, but
    // the exception text (which may name internals) goes to the access log only.
    if (!out.started()) {
      const ApiError internal{500, "api_error", "internal error (request id " + ctx.record.request_id + ")", {}, {}, {}};
      co_await send_error(ctx, internal);
    } else {
      out.abort();
    }
    ctx.record.error = "internal error: " + failure;
  }
  ctx.record.bytes_in = in.bytes_in;
  ctx.record.status = out.status();
  ctx.record.bytes_out = out.bytes_out();
  ctx.record.latency_ms = millis_since(in.started);
  if (ctx.config->log.access_log) shared_->access_log->write(ctx.record);
}

net::awaitable<void> Worker::dispatch(RequestContext& ctx) {
  auto& in = ctx.in;
  const auto route = router::match_route(ctx.record.method, ctx.record.path);
  if (route.kind == router::RouteKind::kApi) ctx.error_style = endpoint_error_style(route.endpoint);
  if (in.problem != server::RequestProblem::kNone) {
    // Not even a request line: no route to take the format from.
    if (in.message.method_string().empty()) ctx.error_style = ErrorStyle::kPlain;
    const ApiError problem = request_problem(in, ctx.config->server);
    co_return co_await send_error(ctx, problem);
  }
  // Header first: the IP limit and authentication run before the body is read, so a refused
  // caller cannot make the gateway buffer (or wait for) a large body.
  if (route.kind != router::RouteKind::kHealth && !co_await within_ip_limit(ctx)) co_return;
  switch (route.kind) {
    case router::RouteKind::kHealth:
      co_return co_await send_body(ctx, 200, std::string(kHealthBody));
    case router::RouteKind::kApi:
      if (!co_await authenticate(ctx, ctx.config->auth.scope)) co_return;
      if (!co_await body_arrived(ctx)) co_return;
      co_return co_await serve_api(ctx, route.endpoint);
    case router::RouteKind::kBudget:
      if (!co_await authenticate(ctx, ctx.config->auth.scope)) co_return;
      co_return co_await serve_budget(ctx);
    case router::RouteKind::kProviders:
      if (!co_await authenticate(ctx, ctx.config->auth.scope)) co_return;
      co_return co_await send_body(ctx, 200, providers_list(*ctx.config));
    case router::RouteKind::kAdmin:
      if (!co_await authenticate(ctx, ctx.config->auth.admin_scope)) co_return;
      if (!co_await body_arrived(ctx)) co_return;
      co_return co_await serve_admin(ctx);
    case router::RouteKind::kOAuthToken:
      if (!co_await body_arrived(ctx, kTokenBodyLimit)) co_return;
      co_return co_await serve_token(ctx);
    case router::RouteKind::kJwks:
      co_return co_await serve_discovery(ctx, true);
    case router::RouteKind::kOpenIdConfig:
      co_return co_await serve_discovery(ctx, false);
    case router::RouteKind::kMethodNotAllowed:
      co_return co_await send_error(ctx, router::method_not_allowed(ctx.record.method, ctx.record.path, route.allowed_methods));
    default:
      co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  }
}

net::awaitable<bool> Worker::within_ip_limit(RequestContext& ctx) {
  const auto& ip = ctx.config->limits.ip;
  // Every X-Forwarded-For line, in order: a proxy may append its own line after the client's.
  std::vector<std::string_view> forwarded_for;
  const auto lines = ctx.in.message.equal_range("x-forwarded-for");
  for (auto it = lines.first; it != lines.second; ++it) forwarded_for.emplace_back(it->value().data(), it->value().size());
  // The access log keeps the real address; the limiter counts its network (IPv6: the /64).
  ctx.record.client_ip = limits::client_ip(ctx.in.client_ip, forwarded_for, ip.trusted_proxies);
  if (!shared_->ip_limiter) co_return true;
  const std::string key = limits::rate_limit_key(ctx.record.client_ip, ip.ipv4_prefix, ip.ipv6_prefix);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  const auto decision = shared_->ip_limiter->check_and_count(key, now_ms);
  if (decision.allowed) co_return true;
  const ApiError error =
      router::ip_rate_limited(key, decision.limit, shared_->ip_limiter->window(), decision.retry_after_seconds);
  co_await send_error(ctx, error);
  co_return false;
}

server::HandlerFactory make_handler_factory(std::shared_ptr<GatewayShared> shared) {
  return [shared](net::io_context& io) -> server::Handler {
    auto worker = std::make_shared<Worker>(io, shared);
    return [worker](server::IncomingRequest& in, server::ResponseWriter& out) { return worker->handle(in, out); };
  };
}

}  // namespace aigw::gateway
