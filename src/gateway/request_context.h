// What the pipeline knows about one request as it goes: who, where to, and what happened
// (the access log record), plus helpers to answer it.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "budget/budget_tracker.h"
#include "config/config.h"
#include "core/api_error.h"
#include "core/endpoint.h"
#include "limits/rate_limiter.h"
#include "observability/access_log.h"
#include "server/http_server.h"

namespace aigw::gateway {

namespace net = boost::asio;
namespace http = boost::beast::http;

struct RequestContext {
  RequestContext(std::shared_ptr<const config::Config> snapshot, server::IncomingRequest& request,
                 server::ResponseWriter& writer)
      : config(std::move(snapshot)), in(request), out(writer) {}

  std::shared_ptr<const config::Config> config;  // the snapshot this request is served with
  server::IncomingRequest& in;
  server::ResponseWriter& out;
  observability::AccessRecord record;
  ErrorStyle error_style = ErrorStyle::kOpenAi;
  boost::json::object body;  // the parsed JSON body of POST requests

  // Usage accounting (gateway/usage_gate.cc): whom the request is charged to, the limits in
  // force for it, and the budget and rate-limit headers every answer carries.
  std::string team;    // the token's team, else kDefaultTeam
  std::string client;  // the token's client id, else the client IP
  limits::RateLimits team_limits;
  limits::RateLimits client_limits;
  std::vector<std::pair<std::string, std::string>> usage_headers;
  bool settled = false;  // usage was charged (at most once)
  // What admission reserved while the request is in flight: replaced by the usage when it
  // settles, released when the request ends without usage (RAII: on every path).
  budget::BudgetReservation budget_reservation;
  limits::TokenReservation rate_reservation;

  std::optional<std::string_view> header(std::string_view name) const;
};

// Sends a whole JSON (or other) response with the request id.
net::awaitable<void> send_body(RequestContext& ctx, int status, std::string body,
                               const std::vector<std::pair<std::string, std::string>>& headers = {},
                               std::string_view content_type = "application/json");
// Renders an error in the caller's format and sends it.
net::awaitable<void> send_error(RequestContext& ctx, const ApiError& error);

}  // namespace aigw::gateway
