// The routing walk on the request path: which config the request follows, then each attempt
// the walk asks for (routing/route_walk.h decides; this file makes the attempts), until one
// answer is relayed. docs/routing.md.
#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "gate/gate.h"
#include "gateway/worker.h"
#include "router/caller_values.h"
#include "router/gateway_errors.h"
#include "routing/route_walk.h"
#include "translate/translate.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;
using routing::AttemptOutcome;

// The smallest request_timeout on the way to the first leaf (for the message when the walk
// ran out of time before any attempt).
Millis root_deadline(const routing::RouteNode& root) {
  Millis smallest = root.request_timeout.value_or(Millis::max());
  for (const auto* n = &root; !n->is_leaf(); n = &n->targets.front()) {
    if (n->targets.front().request_timeout)
      smallest = std::min(smallest, *n->targets.front().request_timeout);
  }
  return smallest;
}

bool is_success(int status) { return status >= 200 && status < 300; }

// What a breaker counts as the provider's trouble: no answer, rate limited, or a 5xx.
bool provider_trouble(const Attempt& a) {
  if (!a.answer) return true;
  const int status = a.answer->status();
  return status == 429 || status >= 500;
}

AttemptOutcome outcome_of(const FailedAttempt& failed, std::int64_t now_unix) {
  if (failed.status == 0) {
    return {failed.failure.kind == upstream::UpstreamFailure::Kind::kTimeout
                ? AttemptOutcome::Kind::kTimedOut
                : AttemptOutcome::Kind::kFailed,
            0, std::nullopt};
  }
  AttemptOutcome o{AttemptOutcome::Kind::kAnswered, failed.status, std::nullopt};
  for (const auto& [name, value] : failed.headers) {
    if (name == "retry-after") o.retry_after = routing::parse_retry_after(value, now_unix);
  }
  return o;
}

// The kind of a failed attempt for aigw_upstream_errors_total.
std::string_view upstream_error_kind(const FailedAttempt& failed) {
  if (failed.status == 429) return "status_429";
  if (failed.status >= 500) return "status_5xx";
  if (failed.status != 0) return "status_4xx";
  switch (failed.failure.kind) {
    case upstream::UpstreamFailure::Kind::kResolve:
      return "resolve";
    case upstream::UpstreamFailure::Kind::kConnect:
      return "connect";
    case upstream::UpstreamFailure::Kind::kTls:
      return "tls";
    case upstream::UpstreamFailure::Kind::kTimeout:
      return "timeout";
    case upstream::UpstreamFailure::Kind::kClosed:
      return "closed";
    case upstream::UpstreamFailure::Kind::kProtocol:
      return "protocol";
    case upstream::UpstreamFailure::Kind::kTooLarge:
      return "too_large";
  }
  return "other";
}

// The body a target sends: the caller's, with the target's override_params and the
// provider's model alias applied. nullopt when nothing changes (then the caller's bytes go).
std::optional<json::object> body_for(const json::object& caller_body,
                                     const routing::RouteNode& leaf,
                                     const config::ProviderConfig& provider) {
  std::optional<json::object> body;
  if (!leaf.override_params.empty()) {
    body = caller_body;
    for (const auto& [key, value] : leaf.override_params) (*body)[key] = value;
  }
  const json::object& current = body ? *body : caller_body;
  if (const auto* model = current.if_contains("model"); model && model->is_string()) {
    const auto alias = provider.model_ids.find(std::string_view(model->as_string()));
    if (alias != provider.model_ids.end()) {
      if (!body) body = caller_body;
      (*body)["model"] = alias->second;
    }
  }
  return body;
}

}  // namespace

std::optional<ApiError> ApiHandler::read_routing(RequestContext& ctx) {
  const auto& config = *ctx.config;
  const auto header = ctx.header("x-portkey-config");
  std::string_view team_config;
  std::string pinned;
  if (!header || header->empty()) {
    const std::string_view team =
        ctx.record.team.empty() ? gate::kDefaultTeam : std::string_view(ctx.record.team);
    pinned = parts_.shared->teams ? parts_.shared->teams->config_of(team) : std::string();
    if (pinned.empty()) return std::nullopt;  // x-portkey-provider alone
    team_config = pinned;
  }
  const std::string_view text = header && !header->empty() ? *header : team_config;
  if (text.front() == '{') {
    auto parsed = inline_configs_.parse(ctx.config, text);
    if (!parsed) return parsed.take_error();
    ctx.route = std::move(*parsed);
  } else {
    const auto it = config.routing.configs.find(text);
    if (it == config.routing.configs.end()) {
      return routing::invalid_config(
          "config",
          "no config named " + std::string(text.substr(0, 64)) + " under routing.configs");
    }
    ctx.route = it->second;
  }
  if (const auto meta = ctx.header("x-portkey-metadata"); meta && !meta->empty()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(*meta, ec);
    if (ec || !parsed.is_object()) return bad_request("x-portkey-metadata must be a JSON object");
    ctx.metadata = std::move(parsed.as_object());
  }
  return std::nullopt;
}

Result<std::shared_ptr<const routing::RouteNode>> InlineConfigCache::parse(
    const std::shared_ptr<const config::Config>& config, std::string_view text) {
  if (config_ != config) {  // a reload: the same text may now mean other providers
    entries_.clear();
    config_ = config;
  }
  if (const auto it = entries_.find(text); it != entries_.end()) return it->second;
  const auto check = routing::config_check(config->routing, [&](std::string_view name) {
    return config->providers.contains(std::string(name));
  });
  auto parsed = routing::parse_route_config_text(text, check);
  if (!parsed) return parsed.take_error();
  auto node = std::make_shared<const routing::RouteNode>(std::move(*parsed));
  if (text.size() <= kMaxKeyBytes) {
    if (entries_.size() >= kMaxEntries) entries_.clear();  // callers minting configs: start over
    entries_.emplace(std::string(text), node);
  }
  return node;
}

net::awaitable<void> ApiHandler::route(RequestContext& ctx, Endpoint endpoint) {
  const auto& config = *ctx.config;
  auto& shared = *parts_.shared;
  const auto& clock = *shared.clock;
  const auto& breaker = config.routing.breaker;
  // Without a config, the one provider of x-portkey-provider: one attempt, no retries.
  routing::RouteNode header_leaf;
  header_leaf.provider = ctx.provider->name;
  const routing::RouteNode& root = ctx.route ? *ctx.route : header_leaf;
  const bool routed = ctx.route != nullptr;

  std::uniform_real_distribution<double> unit(0.0, 1.0);
  routing::RouteWalk walk(root, {{&ctx.body, &ctx.metadata},
                                 config.routing.walk,
                                 [&] { return clock.steady(); },
                                 [&] { return unit(random_); },
                                 [&](const routing::RouteNode& leaf) {
                                   // x-portkey-provider alone has nothing to route to
                                   // instead: an open breaker never refuses it.
                                   return !routed || shared.breakers.allow(leaf.provider,
                                                                           clock.steady(), breaker);
                                 }});
  std::optional<FailedAttempt> failed;
  int attempts = 0;
  while (const auto step = walk.next()) {
    if (step->wait.count() > 0) {
      net::steady_timer timer(parts_.io, step->wait);
      boost::system::error_code ec;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    const routing::RouteNode& leaf = *step->leaf;
    // A root config without a provider leaves it to x-portkey-provider (read_request chose it).
    const config::ProviderConfig& named =
        leaf.provider.empty() ? *ctx.provider : config.providers.at(leaf.provider);
    std::optional<config::ProviderConfig> own_key;  // bring-your-own-key: this attempt's copy
    if (!leaf.api_key.empty()) {
      own_key = named;
      own_key->api_key = leaf.api_key;
      own_key->api_key_source = leaf.path + ".api_key";
    }
    const config::ProviderConfig& provider = own_key ? *own_key : named;
    const auto plan = router::plan_dialects(endpoint, provider);
    if (!plan) {
      walk.report({AttemptOutcome::Kind::kSkipped, 0, std::nullopt});
      continue;
    }
    Exchange exchange = ctx.exchange;
    exchange.plan = *plan;
    exchange.strip_usage_chunk = false;
    auto changed = body_for(ctx.body, leaf, provider);
    if (changed) {
      if (auto bad = router::check_body_model(*changed)) co_return co_await send_error(ctx, *bad);
      if (const auto caller = router::caller_dialect(endpoint)) {
        const auto kept = exchange.request;
        exchange.request = translate::context_from_request(*caller, *changed);
        exchange.request.created = kept.created;
        exchange.request.request_id = kept.request_id;
        exchange.request.estimated_input_tokens = kept.estimated_input_tokens;
      }
    }
    json::object& body = changed ? *changed : ctx.body;
    if (const auto* m = body.if_contains("model"); m && m->is_string())
      ctx.record.model = m->as_string();
    ctx.record.provider = provider.name;
    ctx.record.attempts = ++attempts;
    if (routed) {
      ctx.record.target = leaf.path;
      ctx.answer_headers = {{"x-portkey-provider", provider.name},
                            {"x-portkey-last-used-option-index", leaf.path},
                            {"x-portkey-retry-attempt-count", std::to_string(step->retry)}};
    }
    if (endpoint == Endpoint::kCountTokens && exchange.plan.translated())
      co_return co_await serve_token_estimate(ctx);

    AttemptSpec spec{
        &provider,
        &exchange,
        &body,
        changed.has_value(),
        routed,
        leaf.custom_host.empty() ? std::nullopt : std::optional<std::string_view>(leaf.custom_host),
        step->time_left};
    Attempt a = co_await attempt(ctx, endpoint, spec);
    if (a.refused) co_return co_await send_error(ctx, *a.refused);
    shared.breakers.record(provider.name, provider_trouble(a), clock.steady(), breaker);
    if (a.answer && is_success(a.answer->status())) {
      co_return co_await relay(ctx, provider, exchange, *a.answer);
    }
    // A failure: kept (its body read whole, bounded) until the walk says whether to go on.
    failed.emplace(FailedAttempt{provider, exchange, 0, {}, {}, a.failure, std::nullopt});
    // A timeout the routing deadline imposed (tighter than the provider's own) is the config's.
    if (step->time_left &&
        *step->time_left < (provider.read_timeout.count() > 0 ? provider.read_timeout
                                                              : config.upstream.read_timeout))
      failed->deadline = step->time_left;
    if (a.answer) {
      failed->status = a.answer->status();
      failed->headers = a.answer->headers();
      upstream::UpstreamFailure read_failure;
      if (!co_await read_whole(*a.answer, failed->body, config.upstream.max_response_bytes,
                               read_failure)) {
        failed->status = 0;
        failed->failure = std::move(read_failure);
      }
      add_usage(ctx.failed_usage, translate::usage_of_answer(exchange.plan.provider, failed->body));
    }
    if (shared.metrics)
      shared.metrics->count_upstream_error(provider.name, upstream_error_kind(*failed));
    walk.report(outcome_of(*failed, clock.unix_seconds()));
  }
  if (failed && walk.tried_any()) {
    if (ctx.failed_usage.known) {
      settle_usage(shared, parts_.journal, ctx, Usage{});
      co_await usage_committed(parts_.journal, ctx);
    }
    co_return co_await relay_failure(ctx, *failed);
  }
  if (walk.tried_any())
    co_return co_await send_error(ctx, router::routing_timeout({}, root_deadline(root)));
  if (walk.no_condition_matched())
    co_return co_await send_error(ctx, router::routing_no_condition_matched());
  if (walk.outcome().kind == AttemptOutcome::Kind::kSkipped)
    co_return co_await send_error(ctx, router::routing_no_target_serves(ctx.record.path));
  // Nothing tried: every target's breaker is open.
  std::optional<Millis> retry_in;
  routing::for_each_leaf(root, [&](const routing::RouteNode& leaf) {
    const auto view = shared.breakers.view(leaf.provider, clock.steady(), breaker);
    if (!retry_in || view.retry_in < *retry_in) retry_in = view.retry_in;
  });
  co_await send_error(ctx, router::routing_all_targets_open(retry_in));
}

}  // namespace aigw::gateway
