// One whole HTTP exchange by URL, on top of the pooled client: for JWKS documents, the CLI's
// token and health commands, and anything else that is not a relayed provider call.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "upstream/upstream_client.h"

namespace aigw::upstream {

struct FetchResult {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::optional<UpstreamFailure> failure;                    // set when there was no answer
  std::chrono::milliseconds elapsed{0};
};

struct FetchRequest {
  http::verb method = http::verb::get;
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};
  std::uint64_t max_body_bytes = 8 * 1024 * 1024;
};

net::awaitable<FetchResult> fetch(UpstreamClient& client, const FetchRequest& request);
// Runs one fetch on its own io_context (for the CLI; never on the request path).
FetchResult fetch_blocking(const UpstreamConfig& config, const FetchRequest& request);

}  // namespace aigw::upstream
