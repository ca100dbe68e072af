// The whole gateway configuration, validated at load into an immutable value.
// Schema and defaults: docs/configuration.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_settings.h"
#include "budget/budget_config.h"
#include "core/config_node.h"
#include "core/duration.h"
#include "core/endpoint.h"
#include "limits/limits_config.h"
#include "metrics/metrics_settings.h"
#include "providers/provider_settings.h"
#include "routing/routing_settings.h"
#include "server/server_settings.h"
#include "upstream/upstream_settings.h"

namespace aigw::config {

// Provider entries are the providers part's own type; config assembles them.
using providers::BaseUrl;
using providers::KeyStyle;
using providers::ProviderConfig;

// The listener's and the upstream client's settings are their parts' own types.
using server::ServerConfig;
using upstream::AllowedHost;
using upstream::UpstreamConfig;

struct LogConfig {
  bool access_log = true;
};

struct Config {
  ServerConfig server;
  auth::AuthSettings auth;
  limits::LimitsSettings limits;
  budget::BudgetSettings budget;  // teams:, state:, prices:
  UpstreamConfig upstream;
  LogConfig log;
  std::map<std::string, ProviderConfig> providers;
  metrics::MetricsSettings metrics;         // metrics: (off unless metrics.listen is set)
  routing::RoutingSettings routing;         // routing: (after providers: its configs name them)
  std::string source = "embedded default";  // file path, for messages
  std::vector<std::string> warnings;        // non-fatal findings, printed at start
};

// Splits an http(s) URL; nullopt when it is not one.
std::optional<BaseUrl> split_base_url(std::string_view url);

// Loads and validates a YAML config; throws ConfigError naming the key and line.
Config load_config_file(const std::string& path, const EnvLookup& env = process_env());
Config load_config_text(const std::string& yaml, const std::string& source_name,
                        const EnvLookup& env = process_env());
// The config used when no file is given: the mock provider plus every built-in provider
// whose key is in the environment.
Config embedded_default_config(const EnvLookup& env = process_env());

}  // namespace aigw::config
