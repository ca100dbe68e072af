#include "redis/redis_url.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace aigw::redis {
namespace {

ApiError url_error(std::string what) {
  return {500, "configuration_error", "state.url: " + std::move(what), {}, {}, {}};
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string out = tls ? "rediss://" : "redis://";
  if (!username.empty() || !password.empty()) out += username + (password.empty() ? "@" : ":***@");
  const bool v6 = host.find(':') != std::string::npos;
  out += (v6 ? "[" + host + "]" : host) + ":" + port + "/" + std::to_string(db);
  return out;
}

Result<RedisUrl> parse_redis_url(std::string_view text) {
  const auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return url_error("not a URL (expected redis://host:port/db or rediss://…)");
  RedisUrl out;
  if (url->scheme() == "rediss") {
    out.tls = true;
  } else if (url->scheme() != "redis") {
    return url_error("the scheme must be redis:// or rediss://, not " + std::string(url->scheme()) +
                     "://");
  }
  out.host = url->host_address();  // an IPv6 literal without its brackets
  if (out.host.empty()) return url_error("no host");
  if (url->has_port()) {
    out.port = std::string(url->port());
    int port = 0;
    const auto [end, ec] =
        std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
    if (ec != std::errc{} || end != out.port.data() + out.port.size() || port < 1 || port > 65535)
      return url_error("the port must be a number from 1 to 65535");
  }
  if (url->has_userinfo()) {
    out.username = url->user();
    out.password = url->password();
  }
  std::string_view path = url->encoded_path();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty()) {
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), out.db);
    if (ec != std::errc{} || end != path.data() + path.size() || out.db < 0)
      return url_error("the database (the path) must be a number, 0 or more");
  }
  if (url->has_query() || url->has_fragment())
    return url_error("no query or fragment is understood; write redis://host:port/db");
  return out;
}

}  // namespace aigw::redis
