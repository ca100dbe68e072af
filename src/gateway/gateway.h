// The request pipeline (DESIGN.md "one request, end to end"): route, admission, provider
// choice, then the provider's answer relayed back — whole, or chunk by chunk for streams.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <random>

#include "auth/auth_service.h"
#include "budget/budget_tracker.h"
#include "budget/team_directory.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/snapshot.h"
#include "limits/rate_limiter.h"
#include "limits/sliding_window.h"
#include "metrics/request_metrics.h"
#include "observability/access_log.h"
#include "observability/recent_requests.h"
#include "server/http_server.h"
#include "state/usage_store.h"
#include "upstream/upstream_client.h"

namespace aigw::gateway {

namespace net = boost::asio;

// State shared by every worker thread: the config (an immutable snapshot, swapped whole on
// SIGHUP), the access log, counters.
struct GatewayShared {
  // A shared store's thread calls into the budgets and the team directory: it is stopped from
  // doing so before they go.
  ~GatewayShared() {
    if (!store) return;
    store->share_totals_with(nullptr);
    store->on_admin_change({});
    store->share_windows_with({});
  }

  Snapshot<config::Config> config;
  std::shared_ptr<const Clock> clock = std::make_shared<Clock>();  // every part's time
  observability::AccessLog* access_log = nullptr;
  std::shared_ptr<net::ssl::context> tls;
  std::shared_ptr<auth::AuthService> auth;  // built at start; null when auth is off
  std::unique_ptr<limits::SlidingWindowLimiter> ip_limiter;  // built at start from limits.ip
  std::atomic<std::uint64_t> in_flight{0};
  // Usage: the ledger (declared first: the tracker and the directory point into it), team
  // budgets, the teams in force, and the team/client rate limits.
  std::unique_ptr<state::UsageStore> store;  // null: nothing persisted
  std::unique_ptr<budget::BudgetTracker> budgets;
  std::unique_ptr<budget::TeamDirectory> teams;
  limits::RateLimiter rate_limiter;
  routing::Breakers breakers;                        // one per provider, kept across config reloads
  std::unique_ptr<metrics::RequestMetrics> metrics;  // null: metrics off (nothing counted)
  observability::RecentRequests recent_requests;     // the dashboard's recent API requests
  // Runs what may wait on disk (admin reports) off the worker threads.
  net::thread_pool blocking_pool{1};
};

// Builds the server's per-thread handlers.
server::HandlerFactory make_handler_factory(std::shared_ptr<GatewayShared> shared);
// The metrics listener's handler: GET <metrics.path> in the Prometheus text format, the
// request counters plus what is read at scrape time (budgets, breakers, in flight, state).
server::HandlerFactory make_metrics_handler_factory(std::shared_ptr<GatewayShared> shared);

}  // namespace aigw::gateway
