// Where one upstream request goes, as the router built it (router/upstream_target.h) and the
// upstream client connects to it. Plain data: the router depends on upstream/, not back.
#pragma once

#include <string>

namespace aigw::upstream {

struct UpstreamTarget {
  bool tls = false;
  std::string host;         // for DNS, SNI and certificate checks
  std::string port;         // "443", "80" or explicit
  std::string target;       // path + query sent on the request line
  std::string host_header;  // Host: value (host[:port])
  std::string pool_key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

}  // namespace aigw::upstream
