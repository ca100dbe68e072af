// A real redis-server for one test (Debian's package, installed by scripts/install-deps.sh
// --test): its own port and directory, started with posix_spawn and killed at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "support/aigw_process.h"

namespace aigw::testing {

class RedisServer {
 public:
  // `extra_args` go to redis-server as they are (e.g. {"--requirepass", "pw"}). Throws when it
  // does not answer PING within the timeout.
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Stops it (SIGKILL: a crash, not a shutdown) and starts it again on the same port and
  // directory (what it saved, with --appendonly yes, comes back).
  void kill();
  void start();

 private:
  TempDir dir_;
  std::vector<std::string> extra_args_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

}  // namespace aigw::testing
