// The upstream client's settings (`upstream:`): the upstream part's own type, assembled by
// config/ from YAML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/duration.h"

namespace aigw::upstream {

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

}  // namespace aigw::upstream
