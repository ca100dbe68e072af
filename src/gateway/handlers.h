// What each group of routes does once its gate has passed (gate/gate.h): one handler per
// group, each built per I/O thread with the shared state and that thread's upstream client.
// Worker (worker.h) routes a request, runs its gate and calls one of these.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <random>

#include "gateway/gateway.h"
#include "gateway/journal_batch.h"
#include "gateway/provider_answer.h"
#include "gateway/request_context.h"

namespace aigw::gateway {

// What every handler works with on its thread.
struct HandlerParts {
  net::io_context& io;
  std::shared_ptr<GatewayShared> shared;
  upstream::UpstreamClient& upstream;
  JournalBatch& journal;  // this thread's usage journal
};

// What one attempt at a provider got: an answer (any status), no answer (`failure`), or a
// request that could not be built for that provider (`refused`: an error for the caller).
struct Attempt {
  std::unique_ptr<ProviderAnswer> answer;
  upstream::UpstreamFailure failure;
  std::optional<ApiError> refused;
};

// How to make one attempt.
struct AttemptSpec {
  const config::ProviderConfig* provider = nullptr;
  Exchange* exchange = nullptr;         // the dialects and the caller's request, for this provider
  boost::json::object* body = nullptr;  // the body for this provider
  bool body_changed = false;            // overrides applied: serialize `body`, not the caller's
  bool keep_caller_bytes = false;       // another attempt may follow: copy the caller's bytes
  std::optional<std::string_view> custom_host;  // a target's own (bring-your-own-key)
  std::optional<Millis> header_timeout;         // the routing deadline left for this attempt
};

// An attempt that did not succeed, kept until the walk knows whether another follows.
struct FailedAttempt {
  config::ProviderConfig provider;
  Exchange exchange;
  int status = 0;  // 0: no answer (see `failure`)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  upstream::UpstreamFailure failure;
  std::optional<Millis> deadline;  // set: the routing config's request_timeout cut it short
};

// Inline x-portkey-config values already parsed, per I/O thread (no lock): an agent sends the
// same header on every request, so it is parsed and checked once per config snapshot. Bounded:
// at most kMaxEntries configs of at most kMaxKeyBytes each; errors are not kept.
class InlineConfigCache {
 public:
  Result<std::shared_ptr<const routing::RouteNode>> parse(
      const std::shared_ptr<const config::Config>& config, std::string_view text);

 private:
  static constexpr std::size_t kMaxEntries = 64;
  static constexpr std::size_t kMaxKeyBytes = 8 * 1024;
  std::shared_ptr<const config::Config> config_;  // held: the entries were checked against it
  std::map<std::string, std::shared_ptr<const routing::RouteNode>, std::less<>> entries_;
};

// The provider endpoints: the request read (the gate's `request` step), then the mock or the
// provider, and the answer relayed back whole or chunk by chunk (proxy.cc).
class ApiHandler {
 public:
  explicit ApiHandler(HandlerParts parts) : parts_(parts) {}
  // The gate's request step: provider, JSON body, model, dialects, usage estimate. No I/O.
  std::optional<ApiError> read_request(RequestContext& ctx, Endpoint endpoint);
  net::awaitable<void> serve(RequestContext& ctx, Endpoint endpoint);

 private:
  // x-portkey-config (inline or named), else the team's pinned config; x-portkey-metadata.
  std::optional<ApiError> read_routing(RequestContext& ctx);
  net::awaitable<void> serve_models(RequestContext& ctx);
  net::awaitable<void> serve_token_estimate(RequestContext& ctx);
  // Walks the routing config (or the one provider of x-portkey-provider): attempts, retries,
  // fallbacks, until an answer is relayed (route.cc).
  net::awaitable<void> route(RequestContext& ctx, Endpoint endpoint);
  net::awaitable<Attempt> attempt(RequestContext& ctx, Endpoint endpoint, const AttemptSpec& spec);
  net::awaitable<void> relay(RequestContext& ctx, const config::ProviderConfig& provider,
                             const Exchange& exchange, ProviderAnswer& answer);
  net::awaitable<void> relay_failure(RequestContext& ctx, const FailedAttempt& failed);
  net::awaitable<void> relay_stream(RequestContext& ctx, const config::ProviderConfig& provider,
                                    const Exchange& exchange, ProviderAnswer& answer);
  // Before a stream's bytes go out, when stream_charge_due: journals what it consumed so far,
  // and waits for the write.
  net::awaitable<void> journal_part(RequestContext& ctx,
                                    const translate::StreamConverter& converter);

  HandlerParts parts_;
  std::minstd_rand random_{std::random_device{}()};  // load balancing and backoff jitter
  InlineConfigCache inline_configs_;
};

// GET /v1/budget: the caller's team budget, use, reservations and limits (usage_gate.cc).
class BudgetHandler {
 public:
  explicit BudgetHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve(RequestContext& ctx);

 private:
  HandlerParts parts_;
};

// /admin/*: clients and signing keys (admin_handlers.cc), teams and usage reports
// (usage_admin.cc); what waits on disk runs on the blocking pool.
class AdminHandler {
 public:
  explicit AdminHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve(RequestContext& ctx);
  // GET /ui/...: the dashboard's embedded files (ui_handler.cc); no token needed, no data in them.
  net::awaitable<void> serve_ui(RequestContext& ctx);

 private:
  net::awaitable<void> serve_usage(RequestContext& ctx);
  // GET /admin/requests?limit=N (this replica's recent API requests), GET /admin/providers.
  net::awaitable<void> serve_activity(RequestContext& ctx);

  HandlerParts parts_;
};

// The built-in issuer: POST /oauth2/token and the discovery documents (auth_handlers.cc).
class IssuerHandler {
 public:
  explicit IssuerHandler(HandlerParts parts) : parts_(parts) {}
  net::awaitable<void> serve_token(RequestContext& ctx);
  net::awaitable<void> serve_discovery(RequestContext& ctx, bool jwks);

 private:
  HandlerParts parts_;
};

// GET /v1/providers and /admin/providers: every configured provider with its models and
// circuit breaker (gateway.cc). Never includes keys or URLs.
std::string providers_list(const config::Config& config, const routing::Breakers& breakers,
                           std::chrono::steady_clock::time_point now);

// Usage on the request path (usage_gate.cc). The gate's budget and rate-limit steps: whom to
// charge, then the check that reserves the request's estimate.
std::optional<ApiError> reserve_usage(GatewayShared& shared, RequestContext& ctx,
                                      gate::Check check);
// Charges what the request consumed to the team and client, once, in place of its
// reservation, and stages the record in this thread's usage journal: the caller then waits
// for usage_committed before the answer's end goes out, so it goes only once its usage is
// durable against a kill -9.
void settle_usage(GatewayShared& shared, JournalBatch& journal, RequestContext& ctx,
                  const Usage& usage);
// Waits for the journal's write of what settle_usage staged (group commit: one write for
// the answers of one turn of the event loop); its error goes to the access record.
net::awaitable<void> usage_committed(JournalBatch& journal, RequestContext& ctx);
// While a stream runs: stages what it consumed so far (a part: what changed since the last
// one) in this thread's journal, so that a gateway killed mid-stream still charges it when it
// starts again; the caller waits for usage_committed before more bytes go out (the streams
// of one turn share a write). Called before the stream's first bytes go out, then before each
// chunk when stream_charge_due (asked first: what a stream consumed is measured only when
// asked): at most once per kStreamChargeInterval after the first. A stream whose answer
// arrives whole goes out with its settled record alone. Counters and the reservation are
// left to settle_usage.
inline constexpr std::chrono::seconds kStreamChargeInterval{1};
bool stream_charge_due(const GatewayShared& shared, const RequestContext& ctx);
void journal_stream_usage(GatewayShared& shared, JournalBatch& journal, RequestContext& ctx,
                          const Usage& consumed);

}  // namespace aigw::gateway
