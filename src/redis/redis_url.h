// Where a Redis server is and how to reach it, from the URL an operator writes in
// `state: { backend: redis, url: … }`: redis://[[user]:password@]host[:port][/db], or
// rediss:// for TLS. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace aigw::redis {

struct RedisUrl {
  std::string host;
  std::string port = "6379";
  int db = 0;
  std::string username;  // empty: the default user (AUTH with the password alone)
  std::string password;  // empty: no AUTH
  bool tls = false;      // rediss://

  // The URL with the password masked, for logs and /readyz.
  std::string redacted() const;
};

// Errors name the part that is wrong, never echo the password.
Result<RedisUrl> parse_redis_url(std::string_view url);

}  // namespace aigw::redis
