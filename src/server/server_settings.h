// The listener's settings (`listen`, `server:`): the server part's own type, assembled by
// config/ from YAML.
#pragma once

#include <cstdint>
#include <string>

#include "core/duration.h"

namespace aigw::server {

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8787;
  int threads = 0;  // 0: one per core
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  Millis idle_timeout{60'000};             // keep-alive connection with no request
  Millis request_timeout{30'000};          // a whole request must arrive within this (slow clients)
  Millis drain_timeout{30'000};            // SIGTERM: how long in-flight work may finish
  std::uint64_t max_in_flight = 1024;      // requests being served at once, over it: 503
  long overload_retry_after = 1;           // seconds, on the 503
  std::uint64_t max_connections = 10'000;  // open client connections; over it new ones are closed
};

}  // namespace aigw::server
