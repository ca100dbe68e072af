// What the CLI commands share: getting a token (cached like scripts/with-gateway-token.sh,
// in the same files) and calling a running gateway.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "upstream/fetch.h"

namespace aigw::cli {

struct TokenSource {
  std::string endpoint;       // GATEWAY_TOKEN_ENDPOINT
  std::string client_id;      // GATEWAY_CLIENT_ID
  std::string client_secret;  // GATEWAY_CLIENT_SECRET
  std::string scope;          // GATEWAY_SCOPE (optional)
  bool use_cache = true;
  std::int64_t margin_seconds = 300;  // GATEWAY_TOKEN_MARGIN
  static TokenSource from_env();
};

struct TokenOutcome {
  std::string token;  // empty on failure
  std::string error;  // what went wrong, with likely causes
};

TokenOutcome get_token(const TokenSource& source);
// The payload of a JWT, without checking it (to show what a token says).
std::optional<boost::json::object> token_claims(const std::string& token);
std::int64_t unix_now();

upstream::FetchResult call(const std::string& url, const std::string& method,
                           const std::string& token, const std::string& body = "",
                           std::vector<std::pair<std::string, std::string>> headers = {});
// The "message" of an error body in either API format, or the body itself.
std::string error_message(const std::string& body);

}  // namespace aigw::cli
