#include "gateway/gateway.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "core/text.h"
#include "gateway/worker.h"
#include "router/caller_values.h"
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
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// The answer to a request the server could not read (server/request_framer.h).
ApiError request_problem(const server::IncomingRequest& in,
                         const config::ServerConfig& server_config) {
  switch (in.problem) {
    case server::RequestProblem::kHeadersTooLarge:
      return router::headers_too_large(server_config.max_header_bytes);
    case server::RequestProblem::kUnsupportedCoding:
      return router::unsupported_transfer_coding();
    case server::RequestProblem::kTimeout:
      return router::request_timeout(server_config.request_timeout);
    case server::RequestProblem::kMalformed:
    case server::RequestProblem::kNone:
      break;
  }
  return router::malformed_request(in.problem_detail);
}

// The refusal for a body that did not arrive whole; nullopt when the client left.
std::optional<ApiError> body_refusal(server::BodyStatus status, std::uint64_t limit,
                                     const config::ServerConfig& server_config) {
  switch (status) {
    case server::BodyStatus::kTooLarge:
      return router::body_too_large(limit);
    case server::BodyStatus::kTimeout:
      return router::request_timeout(server_config.request_timeout);
    case server::BodyStatus::kMalformed:
      return router::malformed_request("unreadable chunked body");
    case server::BodyStatus::kClosed:
    case server::BodyStatus::kOk:
      break;
  }
  return std::nullopt;
}

// Which limit a 429 from `check` was: for metrics (aigw_rate_limited_total{scope}).
std::string_view limit_that_refused(gate::Check check, const gate::Charge& charge) {
  switch (check) {
    case gate::Check::kIpWindow:
      return "ip";
    case gate::Check::kBudget:
      return "budget";
    case gate::Check::kRateLimits:
      return charge.refused_scope;
    default:
      return "";
  }
}

// `team`: the team charged (the token's, else the default team).
metrics::RequestSample metrics_sample(const observability::AccessRecord& r, std::string_view team) {
  metrics::RequestSample s;
  s.route = r.route;
  s.provider = r.provider;
  s.model = r.model;
  s.team = team;
  s.status = r.status;
  s.seconds = r.latency_ms / 1000.0;
  if (r.upstream_latency_ms) s.upstream_first_byte_seconds = *r.upstream_latency_ms / 1000.0;
  if (r.usage.known) {
    s.input_tokens = r.usage.input_tokens;
    s.output_tokens = r.usage.output_tokens;
    s.cached_tokens = r.usage.cached_tokens;
  }
  s.cost_micros = r.cost_micros;
  s.limited_by = r.limited_by;
  s.attempts = r.attempts;
  return s;
}

}  // namespace

// GET /v1/providers: what check-health.sh --providers probes, with each provider's circuit
// breaker (docs/routing.md). Never includes keys or URLs.
std::string providers_list(const config::Config& config, const routing::Breakers& breakers,
                           std::chrono::steady_clock::time_point now) {
  json::array data;
  for (const auto& entry : config.providers) {
    const auto& p = entry.second;
    json::array models;
    for (const auto& m : p.models) models.push_back(json::string(m));
    const auto b = breakers.view(p.name, now, config.routing.breaker);
    json::object breaker{{"state", routing::breaker_state_name(b.state)},
                         {"consecutive_failures", b.consecutive_failures},
                         {"window_requests", b.window_requests},
                         {"window_failures", b.window_failures}};
    if (b.state == routing::BreakerState::kOpen) breaker["retry_in_ms"] = b.retry_in.count();
    data.push_back(json::object{{"name", p.name},
                                {"dialect", provider_api_name(p.api)},
                                {"models", std::move(models)},
                                {"probe_model", p.probe_model},
                                {"breaker", std::move(breaker)}});
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

std::optional<std::string_view> RequestContext::header(std::string_view name) const {
  return in.head.field(name);
}

net::awaitable<void> send_body(RequestContext& ctx, int status, std::string body,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view content_type) {
  HeaderBlock fields;
  fields.set_all(ctx.charge.headers);
  fields.set_all(ctx.answer_headers);
  fields.set_all(headers);
  fields.set(FieldName("Content-Type"), content_type);
  fields.set(FieldName("x-request-id"), ctx.record.request_id);
  // A whole answer ends the request: what it reserved and did not settle goes back before the
  // caller can see the answer, so the caller's next request never meets it still reserved.
  ctx.charge.release();
  co_await ctx.out.send(status, fields, std::move(body));
}

net::awaitable<void> send_error(RequestContext& ctx, const ApiError& error) {
  const auto rendered = router::render_error(ctx.error_style, error);
  ctx.record.error = error.message;
  co_await send_body(ctx, rendered.status, rendered.body, rendered.headers);
}

Worker::Worker(net::io_context& io, std::shared_ptr<GatewayShared> shared)
    : io_(io),
      shared_(std::move(shared)),
      upstream_(io, shared_->tls, shared_->config.load()->upstream),
      random_(std::random_device{}()),
      journal_(io, shared_->store.get()),
      api_({io, shared_, upstream_, journal_}),
      budget_({io, shared_, upstream_, journal_}),
      admin_({io, shared_, upstream_, journal_}),
      issuer_({io, shared_, upstream_, journal_}) {}

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
  const JournalBatch::InFlight in_flight(journal_);
  const auto client_id = ctx.header("x-request-id");
  ctx.record.request_id =
      client_id && acceptable_request_id(*client_id) ? std::string(*client_id) : new_request_id();
  const auto target = router::split_target(in.head.target());
  ctx.record.method = std::string(in.head.method());
  ctx.record.path = std::string(target.path);
  ctx.record.client_ip = in.client_ip;
  if (const auto traceparent = ctx.header("traceparent")) {
    if (const auto trace_id = router::trace_id_of(*traceparent)) ctx.record.trace_id = *trace_id;
  }
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
      const ApiError internal{
          500, "api_error", "internal error (request id " + ctx.record.request_id + ")",
          {},  {},          {}};
      co_await send_error(ctx, internal);
    } else {
      out.abort();
    }
    ctx.record.error = "internal error: " + failure;
  }
  ctx.record.bytes_in = in.bytes_in;
  ctx.record.status = out.status();
  ctx.record.bytes_out = out.bytes_out();
  ctx.record.latency_ms = shared_->clock->millis_since(in.started);
  if (ctx.config->log.access_log) shared_->access_log->write(ctx.record);
  if (shared_->metrics) shared_->metrics->observe(metrics_sample(ctx.record, ctx.charge.team));
  // API traffic (not probes, the admin API or the dashboard) is kept for /admin/requests; the
  // record is done with here, so it is moved, not copied.
  if (ctx.record.path.starts_with("/v1/"))
    shared_->recent_requests.add(std::move(ctx.record), shared_->clock->unix_ms());
}

// The request path. Every request is routed, passes its route's gate (gate.h: the checks in
// order, each a decision without I/O) and reaches its handler; every refusal on the way is an
// ApiError rendered in the caller's dialect by send_error.
net::awaitable<void> Worker::dispatch(RequestContext& ctx) {
  const auto route = router::match_route(ctx.record.method, ctx.record.path);
  ctx.record.route = router::route_label(route);
  if (route.kind == router::RouteKind::kApi) ctx.error_style = endpoint_error_style(route.endpoint);
  if (ctx.in.problem != server::RequestProblem::kNone) {
    // Not even a request line: no route to take the format from.
    if (ctx.in.head.method().empty()) ctx.error_style = ErrorStyle::kPlain;
    const ApiError problem = request_problem(ctx.in, ctx.config->server);
    co_return co_await send_error(ctx, problem);
  }
  if (!co_await pass_gate(ctx, route)) co_return;
  switch (route.kind) {
    case router::RouteKind::kHealth:
      co_return co_await send_body(ctx, 200, std::string(kHealthBody));
    case router::RouteKind::kReady:
      co_return co_await serve_readiness(ctx);
    case router::RouteKind::kApi:
      co_return co_await api_.serve(ctx, route.endpoint);
    case router::RouteKind::kBudget:
      co_return co_await budget_.serve(ctx);
    case router::RouteKind::kProviders:
      co_return co_await send_body(
          ctx, 200, providers_list(*ctx.config, shared_->breakers, shared_->clock->steady()));
    case router::RouteKind::kAdmin:
      co_return co_await admin_.serve(ctx);
    case router::RouteKind::kUi:
      co_return co_await admin_.serve_ui(ctx);
    case router::RouteKind::kOAuthToken:
      co_return co_await issuer_.serve_token(ctx);
    case router::RouteKind::kJwks:
      co_return co_await issuer_.serve_discovery(ctx, true);
    case router::RouteKind::kOpenIdConfig:
      co_return co_await issuer_.serve_discovery(ctx, false);
    case router::RouteKind::kMethodNotAllowed: {
      const ApiError error =
          router::method_not_allowed(ctx.record.method, ctx.record.path, route.allowed_methods);
      co_return co_await send_error(ctx, error);
    }
    case router::RouteKind::kNotFound:
      break;
  }
  co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
}

// Readiness, for a load balancer or Kubernetes to route by (liveness stays GET /): the config
// is loaded (or aigw would not serve), every trusted issuer has signing keys (an IdP's JWKS
// is fetched here when none has been yet, since tokens never arrive at a replica that is not
// ready), the usage ledger takes writes, and the replica is not draining.
net::awaitable<void> Worker::serve_readiness(RequestContext& ctx) {
  json::object checks{{"config", "ok"}};
  bool ready = true;
  const auto fail = [&](std::string_view check, std::string problem) {
    checks[check] = std::move(problem);
    ready = false;
  };
  auth::AuthService* service = shared_->auth.get();
  if (service == nullptr || !service->enabled()) {
    checks["auth"] = "off";
  } else {
    checks["auth"] = "ok";
    for (const auto& issuer : service->verifier().issuers()) {
      if (issuer.keys->size() == 0 && !issuer.jwks_url.empty() &&
          issuer.keys->claim_refresh(shared_->clock->unix_seconds() * 1000)) {
        co_await refresh_jwks(issuer);
      }
      if (issuer.keys->size() == 0) {
        fail("auth", "no signing keys for issuer " + issuer.issuer +
                         (issuer.jwks_url.empty() ? "" : " (JWKS " + issuer.jwks_url + ")"));
        break;
      }
    }
  }
  checks["state"] = "ok";
  if (shared_->store) {
    if (auto problem = shared_->store->unavailable()) fail("state", std::move(*problem));
  }
  checks["lifecycle"] = "serving";
  if (ctx.in.draining) fail("lifecycle", "draining: finishing in-flight requests before exit");
  const json::object body{{"status", ready ? "ready" : "not_ready"}, {"checks", std::move(checks)}};
  co_await send_body(ctx, ready ? 200 : 503, json::serialize(body));
}

net::awaitable<bool> Worker::pass_gate(RequestContext& ctx, const router::Route& route) {
  const auto& config = *ctx.config;
  for (const gate::Check check : gate::checks_for(route)) {
    std::optional<ApiError> refusal;
    switch (check) {
      case gate::Check::kIpWindow:
        refusal = ip_window(ctx);
        break;
      case gate::Check::kAuthentication:
      case gate::Check::kAdminAuthentication: {
        const bool admin = check == gate::Check::kAdminAuthentication;
        const std::string_view scope = admin ? config.auth.admin_scope : config.auth.scope;
        auto outcome = authenticate(ctx, scope, admin);
        if (outcome.refresh != nullptr) {
          refusal = co_await authenticate_after_refresh(ctx, scope, admin, *outcome.refresh);
        } else {
          refusal = std::move(outcome.refusal);
        }
        break;
      }
      case gate::Check::kBody:
      case gate::Check::kTokenBody: {
        const std::uint64_t limit = check == gate::Check::kBody ? 0 : gate::kTokenBodyLimit;
        // Usually the body came with the head: taken then without a coroutine's frame.
        auto status = ctx.in.read_buffered_body(limit);
        if (!status) status = co_await ctx.in.read_body(limit);
        if (*status == server::BodyStatus::kOk) break;
        refusal = refuse_body(ctx, *status, limit);
        if (!refusal) co_return false;  // the client left: nobody to answer
        break;
      }
      case gate::Check::kAdmission:
        refusal = gate::check_admission(shared_->in_flight, config.server.max_in_flight,
                                        config.server.overload_retry_after, ctx.in_flight);
        break;
      case gate::Check::kRequest:
        refusal = api_.read_request(ctx, route.endpoint);
        break;
      case gate::Check::kBudget:
      case gate::Check::kRateLimits:
        refusal = reserve_usage(*shared_, ctx, check);
        break;
    }
    if (refusal) {
      if (refusal->status == 429) ctx.record.limited_by = limit_that_refused(check, ctx.charge);
      co_await send_error(ctx, *refusal);
      co_return false;
    }
  }
  co_return true;
}

std::optional<ApiError> Worker::ip_window(RequestContext& ctx) {
  const auto& ip = ctx.config->limits.ip;
  // Every X-Forwarded-For line, in order: a proxy may append its own line after the client's.
  std::vector<std::string_view> forwarded_for;
  for (const auto [name, value] : ctx.in.head)
    if (ascii_iequals(name, "x-forwarded-for")) forwarded_for.push_back(value);
  // The access log keeps the real address; the window counts its network (IPv6: the /64).
  ctx.record.client_ip = limits::client_ip(ctx.in.client_ip, forwarded_for, ip.trusted_proxies);
  ctx.client_network = limits::rate_limit_key(ctx.record.client_ip, ip.ipv4_prefix, ip.ipv6_prefix);
  return gate::check_ip_window(shared_->ip_limiter.get(), ctx.client_network,
                               shared_->clock->unix_ms());
}

std::optional<ApiError> Worker::refuse_body(RequestContext& ctx, server::BodyStatus status,
                                            std::uint64_t limit) {
  const std::uint64_t effective =
      limit == 0 ? ctx.in.max_body_bytes : std::min(limit, ctx.in.max_body_bytes);
  auto refusal = gateway::body_refusal(status, effective, ctx.config->server);
  if (!refusal) ctx.record.error = "the client closed the connection before the body arrived";
  return refusal;
}

server::HandlerFactory make_handler_factory(std::shared_ptr<GatewayShared> shared) {
  return [shared](net::io_context& io) -> server::Handler {
    auto worker = std::make_shared<Worker>(io, shared);
    return [worker](server::IncomingRequest& in, server::ResponseWriter& out) {
      return worker->handle(in, out);
    };
  };
}

}  // namespace aigw::gateway
