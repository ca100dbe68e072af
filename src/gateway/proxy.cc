// The API endpoints: admission, provider choice, then the provider's answer relayed back.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "core/text.h"
#include "gateway/worker.h"
#include "router/caller_values.h"
#include "router/dialect_plan.h"
#include "router/gateway_errors.h"
#include "router/render_error.h"
#include "router/routes.h"
#include "router/upstream_target.h"
#include "translate/translate.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;
using Kind = upstream::UpstreamFailure::Kind;

ApiError failure_error(const config::ProviderConfig& provider, const upstream::UpstreamFailure& f,
                       std::chrono::milliseconds read_timeout) {
  switch (f.kind) {
    case Kind::kResolve:
    case Kind::kConnect:
    case Kind::kTls:
      return router::provider_unreachable(provider.name, f.detail);
    case Kind::kTimeout:
      return router::provider_timeout(provider.name, read_timeout);
    case Kind::kClosed:
      return router::provider_closed(provider.name, f.detail);
    case Kind::kTooLarge:
    case Kind::kProtocol:
      break;
  }
  return router::provider_stream_broken(provider.name, f.detail);
}

// The provider's host and port go to the access log only: callers must not learn internal
// addresses from an error.
void note_where(RequestContext& ctx, const upstream::UpstreamFailure& f) {
  if (!f.where.empty()) ctx.record.error += " (" + f.where + ")";
}

AnswerLimits answer_limits(const config::Config& c, std::shared_ptr<const Clock> clock) {
  return {c.upstream.max_stream_bytes, c.upstream.max_stream_duration, std::move(clock)};
}

std::chrono::milliseconds read_timeout_of(const config::ProviderConfig& p,
                                          const config::Config& c) {
  return p.read_timeout.count() > 0 ? p.read_timeout : c.upstream.read_timeout;
}

// The header names a caller listed in Connection: hop-by-hop by its own say (RFC 9110 7.6.1),
// so they stop here like Connection itself; every Connection line counts.
std::vector<std::string> connection_options(const RequestContext& ctx) {
  std::vector<std::string> names;
  for (const auto [name, value] : ctx.in.head) {
    if (!ascii_iequals(name, "connection")) continue;
    for_each_list_element(value, [&](std::string_view token) {
      names.push_back(lower_copy(token));
      return true;
    });
  }
  return names;
}

// Caller headers that reach the provider. Translated requests keep only the neutral ones: an
// `anthropic-beta` means nothing to OpenAI, and `openai-beta` nothing to Anthropic. Every value
// that crosses is checked (router/caller_values.h): a CR LF must not start a second request.
Result<HeaderBlock> upstream_headers(const RequestContext& ctx,
                                     const config::ProviderConfig& provider,
                                     const router::DialectPlan& plan) {
  HeaderBlock out;
  const auto hop_by_hop = connection_options(ctx);
  bool has_anthropic_version = false;
  std::string long_name;
  for (const auto [raw, value] : ctx.in.head) {
    // The name lower-cased on the stack: a field name is short (one too long for the buffer
    // is copied to the heap instead).
    char buffer[64];
    char* lowered = buffer;
    if (raw.size() > sizeof buffer) {
      long_name.assign(raw);
      lowered = long_name.data();
    }
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      lowered[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    }
    const std::string_view name(lowered, raw.size());
    if (!router::forward_request_header(name)) continue;
    if (plan.translated() && (name.starts_with("anthropic-") || name.starts_with("openai-")))
      continue;
    if (std::find(hop_by_hop.begin(), hop_by_hop.end(), name) != hop_by_hop.end()) continue;
    if (auto bad = router::check_header_value(name, value)) return std::move(*bad);
    if (name == "traceparent" && !router::trace_id_of(value)) continue;  // W3C: ignored
    has_anthropic_version = has_anthropic_version || name == "anthropic-version";
    out.set(name, value);
  }
  if (provider.api == ProviderApi::kAnthropic && !has_anthropic_version) {
    out.set(FieldName("anthropic-version"), "2023-06-01");
  }
  if (plan.translated()) out.set(FieldName("content-type"), "application/json");
  out.set(FieldName("accept-encoding"), "identity");
  for (const auto& [name, value] : router::provider_auth_headers(provider)) out.set(name, value);
  return out;
}

// A chat stream only reports usage when asked (stream_options.include_usage), and usage must
// be counted: ask for it, and mark the final usage chunk to be dropped again on the way back.
bool ask_for_stream_usage(json::object& body, Exchange& exchange) {
  const auto& r = exchange.request;
  if (exchange.plan.translated() || exchange.plan.caller != translate::Dialect::kOpenAiChat ||
      !r.stream || r.include_usage) {
    return false;
  }
  body["stream_options"] = json::object{{"include_usage", true}};
  exchange.strip_usage_chunk = true;
  return true;
}

// Removes the provider's Content-Type from `headers` and returns it (JSON when it sent none):
// send_body sets it once.
std::string take_content_type(std::vector<std::pair<std::string, std::string>>& headers) {
  std::string content_type = "application/json";
  std::erase_if(headers, [&](const auto& h) {
    if (h.first != "content-type") return false;
    content_type = h.second;
    return true;
  });
  return content_type;
}

// count_tokens answered by the gateway (built outside coroutines: GCC 12 rejects braced
// string-literal lists in them).
std::string token_estimate_body(const json::object& anthropic_request) {
  return json::serialize(
      json::object{{"input_tokens", translate::estimate_input_tokens(anthropic_request)}});
}
std::vector<std::pair<std::string, std::string>> estimate_headers() {
  return {{"x-aigw-token-count", "estimate"}};
}

// GET /v1/models: the configured models of one provider, or of all when `only` is empty.
std::string models_list(const config::Config& config, std::string_view only) {
  json::array data;
  for (const auto& entry : config.providers) {
    if (!only.empty() && entry.first != only) continue;
    for (const auto& model : entry.second.models) {
      data.push_back(json::object{
          {"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", entry.first}});
    }
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

// The gate's request step: the provider (x-portkey-provider), the JSON body, the model, the
// dialects, and the usage estimate admission reserves. No I/O.
std::optional<ApiError> ApiHandler::read_request(RequestContext& ctx, Endpoint endpoint) {
  const auto& config = *ctx.config;
  if (auto bad = read_routing(ctx)) return bad;
  // Routed: the first target stands for the request until one answers (the estimate's price).
  // Not routed, or a config that leaves the provider to the header: x-portkey-provider.
  const routing::RouteNode* first = ctx.route ? routing::first_leaf(*ctx.route) : nullptr;
  if (first != nullptr && !first->provider.empty()) {
    ctx.provider = &config.providers.at(first->provider);  // the config was checked against them
  } else {
    auto provider = router::select_provider(config, ctx.header("x-portkey-provider"), endpoint,
                                            ctx.record.path);
    if (!provider) return provider.take_error();
    ctx.provider = *provider;
  }
  ctx.record.provider = ctx.provider->name;

  boost::system::error_code ec;
  json::value body = json::parse(ctx.in.body, ec);
  if (ec || !body.is_object())
    return router::invalid_json(ec ? ec.message() : "expected a JSON object");
  ctx.body = std::move(body.as_object());
  if (auto bad = router::check_body_model(ctx.body)) return std::move(*bad);
  if (const auto* m = ctx.body.if_contains("model"); m && m->is_string())
    ctx.record.model = m->as_string();
  if (const auto* s = ctx.body.if_contains("stream"); s && s->is_bool())
    ctx.record.stream = s->as_bool();

  auto& exchange = ctx.exchange;
  // The dialects of each attempt are planned when it is made (targets may differ).
  if (const auto plan = router::plan_dialects(endpoint, *ctx.provider)) exchange.plan = *plan;
  if (const auto caller = router::caller_dialect(endpoint)) {
    exchange.request = translate::context_from_request(*caller, ctx.body);
  }
  exchange.request.created = parts_.shared->clock->unix_seconds();
  exchange.request.request_id = ctx.record.request_id;
  if (endpoint == Endpoint::kEmbeddings) {
    exchange.request.estimated_input_tokens = translate::estimate_prompt_tokens(ctx.body);
    exchange.request.max_output_tokens = 0;  // an embedding's output is not tokens
  }
  // What admission reserves while the request is in flight: its prompt plus its output limit.
  Usage expected;
  expected.input_tokens = exchange.request.estimated_input_tokens;
  expected.output_tokens =
      exchange.request.max_output_tokens.value_or(config.budget.default_reservation_tokens);
  ctx.estimate = {
      budget::budget_tokens_of(expected),
      config.budget.prices.cost(ctx.record.provider, ctx.record.model, expected).micros};
  return std::nullopt;
}

net::awaitable<void> ApiHandler::serve(RequestContext& ctx, Endpoint endpoint) {
  if (endpoint == Endpoint::kModels) co_return co_await serve_models(ctx);
  co_await route(ctx, endpoint);  // route.cc: the attempts, as the routing config says
}

net::awaitable<void> ApiHandler::serve_token_estimate(RequestContext& ctx) {
  std::string body = token_estimate_body(ctx.body);
  co_await send_body(ctx, 200, std::move(body), estimate_headers());
}

// One attempt at one provider: the request built for its dialect from `body` (the caller's,
// or a copy with the target's override_params and model alias applied), sent, and the
// answer's header awaited. The mock plays its answer in process.
net::awaitable<Attempt> ApiHandler::attempt(RequestContext& ctx, Endpoint endpoint,
                                            const AttemptSpec& spec) {
  const auto& config = *ctx.config;
  const auto& provider = *spec.provider;
  auto& exchange = *spec.exchange;
  auto& body = *spec.body;
  Attempt result;
  if (provider.api == ProviderApi::kMock) {
    const auto controls =
        providers::parse_mock_controls([&](std::string_view n) { return ctx.header(n); });
    if (controls.latency_ms > 0) {
      net::steady_timer timer(parts_.io, std::chrono::milliseconds(controls.latency_ms));
      boost::system::error_code ec;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    ask_for_stream_usage(body, exchange);
    ctx.record.upstream_latency_ms = 0.0;
    result.answer = limit_answer(
        play_mock(parts_.io, providers::mock_answer(endpoint, body, controls), controls),
        answer_limits(config, parts_.shared->clock));
    co_return result;
  }
  const auto& plan = exchange.plan;
  std::string_view query = router::split_target(ctx.in.head.target()).query;
  std::string path(endpoint_upstream_path(endpoint));
  upstream::UpstreamRequest request;
  if (plan.translated()) {
    auto converted = translate::convert_request(plan.caller, plan.provider, body);
    if (!converted) {
      result.refused = converted.error();
      co_return result;
    }
    path = translate::provider_path(plan.provider, exchange.request.model, exchange.request.stream);
    query = {};  // the caller's query belongs to its own API (e.g. Claude Code's ?beta=true)
    request.body = json::serialize(*converted);
  } else if (ask_for_stream_usage(body, exchange) || spec.body_changed) {
    request.body = json::serialize(body);
  } else if (spec.keep_caller_bytes) {
    request.body = ctx.in.body;  // another attempt may need them again
  } else {
    request.body = std::move(ctx.in.body);  // passthrough: the caller's bytes, unchanged
  }
  auto target = router::build_upstream_target(
      provider, path, query,
      spec.custom_host ? spec.custom_host : ctx.header("x-portkey-custom-host"),
      config.upstream.allowed_custom_hosts);
  if (!target) {
    result.refused = target.error();
    co_return result;
  }
  request.target = std::move(*target);
  request.method = http::string_to_verb(ctx.in.head.method());
  auto headers = upstream_headers(ctx, provider, plan);
  if (!headers) {
    result.refused = headers.error();
    co_return result;
  }
  request.headers = std::move(*headers);
  request.connect_timeout = provider.connect_timeout.count() > 0 ? provider.connect_timeout
                                                                 : config.upstream.connect_timeout;
  request.read_timeout = read_timeout_of(provider, config);
  request.header_timeout = spec.header_timeout;

  const auto started = parts_.shared->clock->steady();
  auto outcome = co_await parts_.upstream.send(std::move(request));
  ctx.record.upstream_latency_ms = parts_.shared->clock->millis_since(started);
  if (!outcome.response) {
    result.failure = std::move(outcome.failure);
    co_return result;
  }
  result.answer = limit_answer(wrap_upstream(std::move(outcome.response)),
                               answer_limits(config, parts_.shared->clock));
  co_return result;
}

// A 2xx answer: streamed chunk by chunk, or read whole, charged and sent.
net::awaitable<void> ApiHandler::relay(RequestContext& ctx, const config::ProviderConfig& provider,
                                       const Exchange& exchange, ProviderAnswer& answer) {
  const int status = answer.status();
  if (answer.is_event_stream()) co_return co_await relay_stream(ctx, provider, exchange, answer);

  std::string body;
  upstream::UpstreamFailure failure;
  if (!co_await read_whole(answer, body, ctx.config->upstream.max_response_bytes, failure)) {
    co_return co_await send_error(
        ctx, failure_error(provider, failure, read_timeout_of(provider, *ctx.config)));
  }
  auto headers = answer.headers();
  const std::string content_type = take_content_type(headers);
  const std::int64_t prompt_estimate = exchange.request.estimated_input_tokens;
  if (!exchange.plan.translated()) {
    const Usage reported = translate::usage_of_answer(exchange.plan.provider, body);
    settle_usage(*parts_.shared, parts_.journal, ctx,
                 translate::charge_for_answer(reported, prompt_estimate, body.size()));
    co_await usage_committed(parts_.journal, ctx);
    co_return co_await send_body(ctx, status, std::move(body), headers, content_type);
  }
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    const ApiError error =
        router::provider_stream_broken(provider.name, "its answer is not a JSON object");
    co_return co_await send_error(ctx, error);
  }
  Usage usage;
  auto converted = translate::convert_response(exchange.plan.provider, exchange.plan.caller,
                                               parsed.as_object(), usage, exchange.request);
  settle_usage(*parts_.shared, parts_.journal, ctx,
               translate::charge_for_answer(usage, prompt_estimate, body.size()));
  co_await usage_committed(parts_.journal, ctx);
  if (!converted) co_return co_await send_error(ctx, converted.error());
  co_await send_body(ctx, status, json::serialize(*converted), {}, "application/json");
}

// The request's last failure, once no other attempt follows: the provider's own error passed
// through (or rendered in the caller's dialect when the dialects differ, its Retry-After
// kept), its refusal of the gateway's key, or why no answer came.
net::awaitable<void> ApiHandler::relay_failure(RequestContext& ctx, const FailedAttempt& failed) {
  const auto& provider = failed.provider;
  if (failed.status == 0) {
    const bool cut_by_routing = failed.deadline && failed.failure.kind == Kind::kTimeout;
    const ApiError error = cut_by_routing ? router::routing_timeout(provider.name, *failed.deadline)
                                          : failure_error(provider, failed.failure,
                                                          read_timeout_of(provider, *ctx.config));
    co_await send_error(ctx, error);
    note_where(ctx, failed.failure);
    co_return;
  }
  const int status = failed.status;
  if (status == 401 || status == 403) {
    // The provider refused the gateway's own key: the caller cannot fix that, the admin can.
    // Named, not a temporary of ?: inside co_await: GCC 12 destroys that one twice.
    const ApiError error =
        provider.api_key.empty() && provider.api != ProviderApi::kMock
            ? router::provider_missing_key(provider.name, provider.api_key_source)
            : router::provider_key_rejected(provider.name, status);
    co_return co_await send_error(ctx, error);
  }
  ctx.record.error = "provider answered " + std::to_string(status);
  auto headers = failed.headers;
  const auto& plan = failed.exchange.plan;
  if (!plan.translated()) {
    const std::string content_type = take_content_type(headers);
    co_return co_await send_body(ctx, status, failed.body, headers, content_type);
  }
  ApiError error = translate::convert_error(plan.provider, plan.caller, status, failed.body);
  for (auto& h : headers) {
    if (h.first == "retry-after") error.headers.push_back(std::move(h));
  }
  co_await send_error(ctx, error);
  ctx.record.error = "provider answered " + std::to_string(status) + ": " + error.message;
}

net::awaitable<void> ApiHandler::relay_stream(RequestContext& ctx,
                                              const config::ProviderConfig& provider,
                                              const Exchange& exchange, ProviderAnswer& answer) {
  const auto& plan = exchange.plan;
  std::unique_ptr<translate::StreamConverter> converter =
      plan.translated()
          ? translate::make_stream_converter(plan.provider, plan.caller, exchange.request)
      : exchange.strip_usage_chunk ? translate::make_chat_usage_stripper(exchange.request)
                                   : translate::make_usage_observer(plan.caller, exchange.request);
  HeaderBlock fields;
  fields.set_all(ctx.charge.headers);  // (names distinct from the provider's kept headers)
  fields.set_all(answer.headers());
  fields.set_all(ctx.answer_headers);
  fields.set(FieldName("Content-Type"), "text/event-stream; charset=utf-8");
  fields.set(FieldName("Cache-Control"), "no-cache");
  fields.set(FieldName("x-accel-buffering"), "no");
  fields.set(FieldName("x-request-id"), ctx.record.request_id);
  // From here on the provider is at work: every way out charges what it consumed (consumed():
  // the provider's counts, or estimates where they did not come), exactly once (settle_usage).
  // The head waits for the first bytes and the end goes with the last ones: an answer that
  // arrives whole costs one write.
  ctx.out.begin_stream(200, fields);
  // Charged before its first bytes go out, and again each second while it runs (journal_part
  // when stream_charge_due, asked first: it costs no coroutine frame per chunk): what a kill -9
  // mid-stream leaves in the journal. An answer that arrives whole goes out with its settled
  // record alone.
  std::string chunk;
  std::string out;
  for (;;) {
    if (ctx.out.holding_head() && !answer.ready()) {
      if (stream_charge_due(*parts_.shared, ctx)) co_await journal_part(ctx, *converter);
      if (!co_await ctx.out.flush()) {
        ctx.record.error = "client went away before the stream began";
        settle_usage(*parts_.shared, parts_.journal, ctx, converter->consumed());
        co_return co_await usage_committed(parts_.journal, ctx);
      }
    }
    chunk.clear();
    out.clear();
    auto r = ProviderAnswer::Read::kEnd;
    if (const auto now = answer.read_buffered(chunk)) {
      r = *now;  // (no frame for what is in already: a stream's events often are)
    } else {
      r = co_await answer.read_some(chunk);
    }
    if (r == ProviderAnswer::Read::kData) {
      out.swap(chunk);  // what the provider sent becomes what goes out (in place: passthrough)
      converter->feed_in_place(out);
    }
    if (r == ProviderAnswer::Read::kData && !converter->broken()) {
      if (answer.at_end()) {
        converter->finish(out);
        break;
      }
      if (out.empty()) continue;  // an event split across reads: nothing complete yet
      if (stream_charge_due(*parts_.shared, ctx)) co_await journal_part(ctx, *converter);
      if (!co_await ctx.out.send_chunk(out)) {
        ctx.record.error = "client went away mid-stream";
        settle_usage(*parts_.shared, parts_.journal, ctx,
                     converter->consumed());  // the provider was paid for what it sent
        // Dropping `answer` on return closes the provider connection.
        co_return co_await usage_committed(parts_.journal, ctx);
      }
      continue;
    }
    if (r == ProviderAnswer::Read::kEnd) {
      converter->finish(out);
      break;
    }
    // A read failure, or an event too large to follow (the stream would go on without it).
    const auto failure = converter->broken()
                             ? upstream::UpstreamFailure{Kind::kProtocol,
                                                         "an event exceeded the SSE event limit",
                                                         {}}
                             : answer.failure();
    // Named first: a temporary of ?: inside co_await is destroyed twice by GCC 12.
    const ApiError error =
        failure.kind == Kind::kTimeout
            ? router::provider_timeout(provider.name, read_timeout_of(provider, *ctx.config))
            : router::provider_stream_broken(provider.name, failure.detail);
    ctx.record.error = error.message;
    if (plan.translated()) {
      converter->fail(error.message, out);  // the caller's error event, not a normal end
    } else {
      converter->finish(out);
      out += router::render_stream_error(ctx.error_style, error);
    }
    break;
  }
  settle_usage(*parts_.shared, parts_.journal, ctx, converter->consumed());
  co_await usage_committed(parts_.journal, ctx);
  co_await ctx.out.end_stream(out);
}

net::awaitable<void> ApiHandler::journal_part(RequestContext& ctx,
                                              const translate::StreamConverter& converter) {
  journal_stream_usage(*parts_.shared, parts_.journal, ctx, converter.consumed());
  co_await usage_committed(parts_.journal, ctx);
}

net::awaitable<void> ApiHandler::serve_models(RequestContext& ctx) {
  const auto& config = *ctx.config;
  const auto name = ctx.header("x-portkey-provider");
  if (!name) co_return co_await send_body(ctx, 200, models_list(config, {}));
  const auto it = config.providers.find(std::string(*name));
  if (it == config.providers.end()) {
    co_return co_await send_error(
        ctx, router::select_provider(config, name, Endpoint::kModels, ctx.record.path).error());
  }
  const config::ProviderConfig& provider = it->second;
  ctx.record.provider = provider.name;
  // An OpenAI-style provider with no models configured is asked for its own list.
  if (provider.models.empty() && provider.api == ProviderApi::kOpenAi) {
    ctx.provider = &provider;
    ctx.exchange = Exchange{};
    co_return co_await route(ctx, Endpoint::kModels);
  }
  co_await send_body(ctx, 200, models_list(config, provider.name));
}

}  // namespace aigw::gateway
