// The API endpoints: admission, provider choice, then the provider's answer relayed back.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "gateway/worker.h"
#include "observability/stream_usage.h"
#include "router/gateway_errors.h"
#include "router/render_error.h"
#include "router/routes.h"
#include "router/upstream_target.h"
#include "core/text.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;
using Kind = upstream::UpstreamFailure::Kind;

// Counts a request in flight for as long as it is served.
class InFlight {
 public:
  explicit InFlight(std::atomic<std::uint64_t>& counter) : counter_(counter), value_(++counter) {}
  ~InFlight() { --counter_; }
  std::uint64_t value() const { return value_; }

 private:
  std::atomic<std::uint64_t>& counter_;
  std::uint64_t value_;
};

ApiError failure_error(const config::ProviderConfig& provider, const upstream::UpstreamFailure& f,
                       std::chrono::milliseconds read_timeout) {
  switch (f.kind) {
    case Kind::kResolve:
    case Kind::kConnect:
    case Kind::kTls: return router::provider_unreachable(provider.name, f.detail);
    case Kind::kTimeout: return router::provider_timeout(provider.name, read_timeout);
    case Kind::kClosed: return router::provider_closed(provider.name, f.detail);
    case Kind::kTooLarge:
    case Kind::kProtocol: break;
  }
  return router::provider_stream_broken(provider.name, f.detail);
}

std::chrono::milliseconds read_timeout_of(const config::ProviderConfig& p, const config::Config& c) {
  return p.read_timeout.count() > 0 ? p.read_timeout : c.upstream.read_timeout;
}

std::vector<std::pair<std::string, std::string>> upstream_headers(const RequestContext& ctx,
                                                                  const config::ProviderConfig& provider) {
  std::vector<std::pair<std::string, std::string>> out;
  bool has_anthropic_version = false;
  for (const auto& field : ctx.in.message) {
    std::string name = lower_copy(field.name_string());
    if (!router::forward_request_header(name)) continue;
    has_anthropic_version = has_anthropic_version || name == "anthropic-version";
    out.emplace_back(std::move(name), std::string(field.value()));
  }
  if (provider.api == ProviderApi::kAnthropic && !has_anthropic_version) {
    out.emplace_back("anthropic-version", "2023-06-01");
  }
  out.emplace_back("accept-encoding", "identity");
  for (auto& h : router::provider_auth_headers(provider)) out.push_back(std::move(h));
  return out;
}

// GET /v1/models: the configured models of one provider, or of all when `only` is empty.
std::string models_list(const config::Config& config, std::string_view only) {
  json::array data;
  for (const auto& entry : config.providers) {
    if (!only.empty() && entry.first != only) continue;
    for (const auto& model : entry.second.models) {
      data.push_back(json::object{{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", entry.first}});
    }
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

net::awaitable<void> Worker::serve_api(RequestContext& ctx, Endpoint endpoint) {
  const auto& config = *ctx.config;
  InFlight in_flight(shared_->in_flight);
  if (in_flight.value() > config.server.max_in_flight) {
    co_return co_await send_error(ctx, router::overloaded(config.server.overload_retry_after));
  }
  if (endpoint == Endpoint::kModels) co_return co_await serve_models(ctx);
  auto provider = router::select_provider(config, ctx.header("x-portkey-provider"), endpoint, ctx.record.path);
  if (!provider) co_return co_await send_error(ctx, provider.error());
  ctx.record.provider = (*provider)->name;

  boost::system::error_code ec;
  json::value body = json::parse(ctx.in.message.body(), ec);
  if (ec || !body.is_object()) {
    const ApiError error = router::invalid_json(ec ? ec.message() : "expected a JSON object");
    co_return co_await send_error(ctx, error);
  }
  ctx.body = std::move(body.as_object());
  if (const auto* m = ctx.body.if_contains("model"); m && m->is_string()) ctx.record.model = m->as_string();
  if (const auto* s = ctx.body.if_contains("stream"); s && s->is_bool()) ctx.record.stream = s->as_bool();

  if ((*provider)->api == ProviderApi::kMock) {
    const auto controls = providers::parse_mock_controls([&](std::string_view n) { return ctx.header(n); });
    if (controls.latency_ms > 0) {
      net::steady_timer timer(io_, std::chrono::milliseconds(controls.latency_ms));
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    auto answer = play_mock(io_, providers::mock_answer(endpoint, ctx.body, controls), controls);
    ctx.record.upstream_latency_ms = 0.0;
    co_return co_await relay(ctx, **provider, *answer);
  }
  co_await proxy(ctx, endpoint, **provider);
}

net::awaitable<void> Worker::proxy(RequestContext& ctx, Endpoint endpoint, const config::ProviderConfig& provider) {
  const auto& config = *ctx.config;
  const auto query = router::split_target(std::string_view(ctx.in.message.target().data(), ctx.in.message.target().size())).query;
  auto target = router::build_upstream_target(provider, endpoint_upstream_path(endpoint), query,
                                              ctx.header("x-portkey-custom-host"), config.upstream.allowed_custom_hosts);
  if (!target) co_return co_await send_error(ctx, target.error());

  upstream::UpstreamRequest request;
  request.target = std::move(*target);
  request.method = ctx.in.message.method();
  request.headers = upstream_headers(ctx, provider);
  request.body = std::move(ctx.in.message.body());  // passthrough: the caller's bytes, unchanged
  request.connect_timeout = provider.connect_timeout.count() > 0 ? provider.connect_timeout : config.upstream.connect_timeout;
  request.read_timeout = read_timeout_of(provider, config);

  const auto started = std::chrono::steady_clock::now();
  const auto read_timeout = request.read_timeout;
  auto outcome = co_await upstream_.send(std::move(request));
  ctx.record.upstream_latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!outcome.response) co_return co_await send_error(ctx, failure_error(provider, outcome.failure, read_timeout));
  auto answer = wrap_upstream(std::move(outcome.response));
  co_await relay(ctx, provider, *answer);
}

net::awaitable<void> Worker::relay(RequestContext& ctx, const config::ProviderConfig& provider, ProviderAnswer& answer) {
  const int status = answer.status();
  if (status == 401 || status == 403) {
    // The provider refused the gateway's own key: the caller cannot fix that, the admin can.
    // Named, not a temporary of ?: inside co_await: GCC 12 destroys that one twice.
    const ApiError error = provider.api_key.empty() && provider.api != ProviderApi::kMock
                               ? router::provider_missing_key(provider.name, provider.api_key_source)
                               : router::provider_key_rejected(provider.name, status);
    co_return co_await send_error(ctx, error);
  }
  if (status == 200 && answer.is_event_stream()) co_return co_await relay_stream(ctx, provider, answer);

  std::string body;
  upstream::UpstreamFailure failure;
  if (!co_await read_whole(answer, body, ctx.config->upstream.max_response_bytes, failure)) {
    co_return co_await send_error(ctx, failure_error(provider, failure, read_timeout_of(provider, *ctx.config)));
  }
  if (status < 400) ctx.record.usage = observability::usage_from_json(body);
  else ctx.record.error = "provider answered " + std::to_string(status);
  auto headers = answer.headers();
  std::string content_type = "application/json";
  std::erase_if(headers, [&](const auto& h) {
    if (h.first != "content-type") return false;
    content_type = h.second;
    return true;
  });
  co_await send_body(ctx, status, std::move(body), headers, content_type);
}

net::awaitable<void> Worker::relay_stream(RequestContext& ctx, const config::ProviderConfig& provider, ProviderAnswer& answer) {
  http::response<http::empty_body> header{http::status::ok, 11};
  for (const auto& [name, value] : answer.headers()) header.set(name, value);
  header.set(http::field::cache_control, "no-cache");
  header.set("x-accel-buffering", "no");
  header.set("x-request-id", ctx.record.request_id);
  if (!co_await ctx.out.begin_stream(std::move(header))) co_return;
  std::string chunk;
  observability::StreamUsage usage;
  for (;;) {
    chunk.clear();
    const auto r = co_await answer.read_some(chunk);
    usage.feed(chunk);
    ctx.record.usage = usage.usage();
    if (r == ProviderAnswer::Read::kData) {
      if (!co_await ctx.out.send_chunk(chunk)) {
        ctx.record.error = "client went away mid-stream";
        co_return;  // dropping `answer` closes the provider connection
      }
      continue;
    }
    if (r == ProviderAnswer::Read::kFailed) {
      const auto failure = answer.failure();
      const ApiError error = failure.kind == Kind::kTimeout
                                 ? router::provider_timeout(provider.name, read_timeout_of(provider, *ctx.config))
                                 : router::provider_stream_broken(provider.name, failure.detail);
      ctx.record.error = error.message;
      co_await ctx.out.send_chunk(router::render_stream_error(ctx.error_style, error));
    }
    co_await ctx.out.end_stream();
    co_return;
  }
}

net::awaitable<void> Worker::serve_models(RequestContext& ctx) {
  const auto& config = *ctx.config;
  const auto name = ctx.header("x-portkey-provider");
  if (!name) co_return co_await send_body(ctx, 200, models_list(config, {}));
  const auto it = config.providers.find(std::string(*name));
  if (it == config.providers.end()) {
    co_return co_await send_error(ctx, router::select_provider(config, name, Endpoint::kModels, ctx.record.path).error());
  }
  const config::ProviderConfig& provider = it->second;
  ctx.record.provider = provider.name;
  // An OpenAI-style provider with no models configured is asked for its own list.
  if (provider.models.empty() && provider.api == ProviderApi::kOpenAi) co_return co_await proxy(ctx, Endpoint::kModels, provider);
  co_await send_body(ctx, 200, models_list(config, provider.name));
}

}  // namespace aigw::gateway
