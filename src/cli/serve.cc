#include "cli/serve.h"

#include <malloc.h>
#include <pthread.h>

#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "auth/auth_service.h"
#include "cli/shared_issuer.h"
#include "config/config.h"
#include "gateway/gateway.h"
#include "observability/access_log.h"
#include "redis/redis_usage_store.h"
#include "server/http_server.h"
#include "state/sqlite_usage_store.h"
#include "upstream/upstream_client.h"

namespace aigw::cli {
namespace {

namespace json = boost::json;

std::shared_ptr<config::Config> load(const ServeOptions& options) {
  auto cfg = std::make_shared<config::Config>(options.config_path.empty()
                                                  ? config::embedded_default_config()
                                                  : config::load_config_file(options.config_path));
  if (options.port) cfg->server.port = static_cast<std::uint16_t>(*options.port);
  if (options.threads) cfg->server.threads = *options.threads;
  return cfg;
}

std::string start_line(const config::Config& cfg, const server::HttpServer& server,
                       const server::HttpServer* metrics) {
  json::array providers;
  for (const auto& [name, _] : cfg.providers) providers.push_back(json::string(name));
  json::object line{{"type", "start"},
                    {"msg", "listening"},
                    {"address", cfg.server.host},
                    {"port", server.port()},
                    {"threads", server.thread_count()},
                    {"config", cfg.source},
                    {"providers", std::move(providers)}};
  if (metrics != nullptr) {
    line["metrics"] = {
        {"address", cfg.metrics.host}, {"port", metrics->port()}, {"path", cfg.metrics.path}};
  }
  return json::serialize(line);
}

// metrics.listen: the Prometheus listener, one thread of its own (null when metrics are off).
// Throws when it cannot bind.
std::unique_ptr<server::HttpServer> start_metrics(
    const config::Config& cfg, const std::shared_ptr<gateway::GatewayShared>& shared) {
  if (!cfg.metrics.enabled) return nullptr;
  shared->metrics = std::make_unique<metrics::RequestMetrics>(cfg.metrics.max_label_values);
  server::ServerConfig listener = cfg.server;
  listener.host = cfg.metrics.host;
  listener.port = cfg.metrics.port;
  listener.threads = 1;
  listener.max_connections = 64;
  listener.drain_timeout = Millis(1000);
  auto server =
      std::make_unique<server::HttpServer>(listener, gateway::make_metrics_handler_factory(shared));
  server->bind();
  return server;
}

// glibc gives memory back to the kernel (madvise) whenever the free space at the top of an I/O
// thread's heap passes a threshold that it also moves on its own. A stream's buffers (tens of
// KiB each, freed when the answer ends) then cross it on every request: each answer paid for
// page faults and TLB shootdowns, and throughput fell fourfold at random (seen in bench/ with
// perf). Fixed thresholds stop the churn; a few MiB stay mapped per thread at most.
void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);  // one answer's body may be larger: its own mapping
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
}

// Signals are taken by one thread with sigwait, so no handler runs inside a worker.
sigset_t blocked_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// SIGHUP: a new config snapshot for new requests; in-flight ones finish on the old one. The
// listener (address, threads, server limits) stays as started.
void reload(const ServeOptions& options, gateway::GatewayShared& shared,
            observability::AccessLog& log) {
  if (options.config_path.empty()) {
    log.write_line(R"({"type":"reload","msg":"nothing to reload: running the embedded default"})");
    return;
  }
  try {
    auto fresh = load(options);
    const auto old = shared.config.load();
    fresh->server = old->server;
    fresh->budget.state = old->budget.state;  // the store stays the one opened at start
    const auto notices =
        shared.teams->load(fresh->budget.teams, budget::to_seconds(shared.clock->wall()));
    shared.config.store(std::move(fresh));
    for (const auto& n : notices)
      log.write_line(json::serialize(json::object{{"type", "teams"}, {"msg", n}}));
    log.write_line(R"({"type":"reload","msg":"config reloaded"})");
  } catch (const std::exception& e) {
    log.write_line(json::serialize(json::object{
        {"type", "reload"}, {"msg", "config rejected, keeping the old one"}, {"error", e.what()}}));
  }
}

// The ledger, the team budgets restored from it, and the teams in force (file + admin).
// SQLite on this machine, or Redis shared by the replicas (its journals under state.path).
Result<std::unique_ptr<state::UsageStore>> open_store(const state::StateSettings& settings,
                                                      const Clock& clock) {
  if (settings.backend == "redis") {
    redis::RedisStoreOptions options;
    options.settings = settings;
    options.clock = &clock;
    return redis::open_redis_usage_store(std::move(options));
  }
  auto store = state::SqliteUsageStore::open(state::sqlite_options(settings));
  if (!store) return store.error();
  return std::unique_ptr<state::UsageStore>(std::move(*store));
}

bool open_usage_state(const config::Config& cfg, gateway::GatewayShared& shared) {
  auto store = open_store(cfg.budget.state, *shared.clock);
  if (!store) {
    std::fprintf(stderr, "aigw: cannot open the %s state store: %s\n",
                 cfg.budget.state.backend.c_str(), store.error().message.c_str());
    return false;
  }
  shared.store = std::move(*store);
  shared.budgets = std::make_unique<budget::BudgetTracker>(shared.store.get());
  shared.budgets->set_fail_mode(cfg.budget.state.budgets_on_failure);
  shared.teams = std::make_unique<budget::TeamDirectory>(*shared.budgets, shared.store.get());
  for (const auto& n :
       shared.teams->load(cfg.budget.teams, budget::to_seconds(shared.clock->wall())))
    std::fprintf(stderr, "aigw: %s\n", n.c_str());
  // Redis: the other replicas' usage, read once before serving (when Redis answers).
  shared.store->share_totals_with(shared.budgets.get());
  auto totals = shared.store->period_totals();
  if (!totals) {
    std::fprintf(stderr, "aigw: cannot read the usage totals: %s\n",
                 totals.error().message.c_str());
    return false;
  }
  shared.budgets->restore(*totals, budget::to_seconds(shared.clock->wall()));
  return true;
}

void say(const std::string& notice) {
  if (!notice.empty()) std::fprintf(stderr, "aigw: %s\n", notice.c_str());
}

// Replicas sharing a store (redis): the built-in issuer's keys and clients are the same on
// every replica, and an admin change made on any replica — teams, keys, clients — is applied
// on this one too, on the blocking pool (never on the store's thread, which it calls).
void share_with_replicas(const config::Config& cfg, gateway::GatewayShared& shared) {
  if (cfg.budget.state.backend != "redis") return;
  const state::FailMode limits_mode = cfg.budget.state.limits_on_failure;
  shared.rate_limiter.set_fail_mode(limits_mode);
  auto windows = shared.rate_limiter.shared_windows();
  if (shared.ip_limiter) {
    shared.ip_limiter->counter().set_fail_mode(limits_mode);
    windows.emplace_back("ip", &shared.ip_limiter->counter());
  }
  shared.store->share_windows_with(std::move(windows));
  const auto files = auth::AuthService::shared_files(cfg.auth);
  const bool issuer = shared.auth && shared.auth->issuer();
  if (issuer) {
    say(share_issuer_files(*shared.store, *shared.auth, files));
    shared.auth->on_files_changed([&shared, files] {
      boost::asio::post(shared.blocking_pool,
                        [&shared, files] { say(publish_issuer_files(*shared.store, files)); });
    });
  }
  shared.store->on_admin_change([&shared, files, issuer] {
    boost::asio::post(shared.blocking_pool, [&shared, files, issuer] {
      for (const auto& n : shared.teams->load(shared.config.load()->budget.teams,
                                              budget::to_seconds(shared.clock->wall())))
        say(n);
      if (issuer) say(share_issuer_files(*shared.store, *shared.auth, files));
    });
  });
}

}  // namespace

int run_serve(const ServeOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  tune_allocator();
  const sigset_t signals = blocked_signals();
  std::shared_ptr<config::Config> cfg;
  try {
    cfg = load(options);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "aigw: config error: %s\n", e.what());
    return 2;
  }
  for (const auto& w : cfg->warnings) std::fprintf(stderr, "aigw: warning: %s\n", w.c_str());

  observability::AccessLog access_log(true, stdout);
  auto shared = std::make_shared<gateway::GatewayShared>();
  shared->config = cfg;
  shared->access_log = &access_log;
  shared->tls = upstream::make_tls_context(cfg->upstream);
  if (cfg->limits.ip.requests > 0) {
    shared->ip_limiter = std::make_unique<limits::SlidingWindowLimiter>(
        cfg->limits.ip.requests, cfg->limits.ip.window, cfg->limits.ip.max_tracked);
  }
  if (!open_usage_state(*cfg, *shared)) return 2;
  if (const auto files = auth::AuthService::shared_files(cfg->auth);
      cfg->budget.state.backend == "redis" && !files.empty()) {
    // The replicas' shared keys and clients, when there are any, before they are loaded.
    say(adopt_issuer_files(*shared->store, files));
  }
  try {
    std::vector<std::string> notices;
    if (cfg->auth.enabled) shared->auth = auth::AuthService::create(cfg->auth, notices);
    for (const auto& n : notices) std::fprintf(stderr, "aigw: %s\n", n.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aigw: auth setup failed: %s\n", e.what());
    return 2;
  }
  share_with_replicas(*cfg, *shared);

  std::unique_ptr<server::HttpServer> metrics_server;
  try {
    metrics_server = start_metrics(*cfg, shared);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aigw: cannot listen on %s:%u for metrics: %s\n",
                 cfg->metrics.host.c_str(), cfg->metrics.port, e.what());
    return 1;
  }
  server::HttpServer server(cfg->server, gateway::make_handler_factory(shared));
  try {
    server.bind();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aigw: cannot listen on %s:%u: %s\n", cfg->server.host.c_str(),
                 cfg->server.port, e.what());
    return 1;
  }
  std::thread metrics_thread;
  if (metrics_server) metrics_thread = std::thread([&] { metrics_server->run(); });
  access_log.write_line(start_line(*cfg, server, metrics_server.get()));

  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reload(options, *shared, access_log);
        continue;
      }
      access_log.write_line(R"({"type":"stop","msg":"draining"})");
      server.begin_drain();
      return;
    }
  });
  const bool clean = server.run();
  if (metrics_server) {
    metrics_server->begin_drain();
    metrics_thread.join();
  }
  // The workers have stopped: secret checks still queued are dropped here, while their I/O
  // contexts exist, instead of finishing later into contexts that are gone.
  if (shared->auth) shared->auth->stop();
  access_log.write_line(
      clean ? R"({"type":"stop","msg":"drained"})"
            : R"({"type":"stop","msg":"drain timeout: open connections were cut"})");
  access_log.flush();
  signal_thread.join();
  return 0;
}

}  // namespace aigw::cli
