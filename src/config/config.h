// The whole gateway configuration, validated at load into an immutable value.
// Schema and defaults: docs/configuration.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "auth/auth_settings.h"
#include "budget/budget_config.h"
#include "core/config_node.h"
#include "limits/limits_config.h"
#include "providers/provider_settings.h"
#include "core/duration.h"
#include "core/endpoint.h"

namespace aigw::config {

// Provider entries are the providers part's own type; config assembles them.
using providers::BaseUrl;
using providers::KeyStyle;
using providers::ProviderConfig;

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8787;
  int threads = 0;  // 0: one per core
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  Millis idle_timeout{60'000};     // keep-alive connection with no request
  Millis request_timeout{30'000};  // a whole request must arrive within this (slow clients)
  Millis drain_timeout{30'000};    // SIGTERM: how long in-flight work may finish
  std::uint64_t max_in_flight = 1024;  // requests being served at once, over it: 503
  long overload_retry_after = 1;       // seconds, on the 503
  std::uint64_t max_connections = 10'000;  // open client connections; over it new ones are closed
};

// An entry of upstream.allowed_custom_hosts: which x-portkey-custom-host may receive requests,
// matched on scheme, host as written and port (docs/configuration.md).
struct AllowedHost {
  bool tls = true;
  std::string host;                    // lower case; "*.corp.example" matches any subdomain
  std::string port;                    // explicit or the scheme's default
  std::vector<std::string> providers;  // whose keys may go there; empty: any provider
};

struct UpstreamConfig {
  Millis connect_timeout{10'000};
  Millis read_timeout{300'000};  // longest silence from a provider (first byte or between chunks)
  std::string ca_file;           // extra CA bundle (PEM) trusted besides the system's
  std::vector<AllowedHost> allowed_custom_hosts;
  std::uint64_t max_idle_per_host = 64;
  std::uint64_t max_response_bytes = 64 * 1024 * 1024;  // a whole (non-stream) answer
  std::uint64_t max_stream_bytes = 256 * 1024 * 1024;   // one streamed answer
  Millis max_stream_duration{3'600'000};                // one answer, first byte to last
};

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
