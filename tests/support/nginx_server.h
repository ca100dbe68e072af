// A real nginx as the load balancer in front of aigw replicas (Debian's nginx-light, installed
// by scripts/install-deps.sh --test): its own prefix directory and port, round robin with
// keep-alive to the given upstreams, streams unbuffered, X-Forwarded-For set — the same proxy
// settings as deploy/nginx.conf. Started with posix_spawn, killed at the end.
#pragma once

#include <cstdint>
#include <vector>

#include "support/aigw_process.h"

namespace aigw::testing {

class NginxServer {
 public:
  // Throws when nginx rejects the config or does not listen within a few seconds.
  explicit NginxServer(const std::vector<std::uint16_t>& upstream_ports);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

}  // namespace aigw::testing
