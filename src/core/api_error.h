// Errors on the request path are values: an ApiError is rendered by the caller's dialect
// (router/render_error.h), never thrown.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aigw {

struct ApiError {
  int status = 500;
  // A machine-readable kind, e.g. "invalid_request_error", "authentication_error".
  std::string type;
  // Shown to the user as is; exact strings from the troubleshooting page are kept verbatim.
  std::string message;
  // Seconds, sent as Retry-After when set.
  std::optional<long> retry_after;
  // Extra response headers (e.g. WWW-Authenticate).
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, this exact body is sent instead of the dialect's error shape (for the few
  // strings users grep for, like {"error": "provider is not set"}).
  std::optional<std::string> literal_body;
};

inline ApiError bad_request(std::string message) {
  return {400, "invalid_request_error", std::move(message), {}, {}, {}};
}

}  // namespace aigw
