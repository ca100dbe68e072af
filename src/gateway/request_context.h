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
#include "gate/gate.h"
#include "limits/rate_limiter.h"
#include "observability/access_log.h"
#include "router/dialect_plan.h"
#include "routing/route_config.h"
#include "server/http_server.h"
#include "translate/translate.h"

namespace aigw::gateway {

namespace net = boost::asio;
namespace http = boost::beast::http;

// One request on its way to a provider: the dialects, and what the answer's converters need.
struct Exchange {
  router::DialectPlan plan;
  translate::RequestContext request;  // model, stream, include_usage, … of the caller's body
  bool strip_usage_chunk = false;     // the gateway asked a chat stream for usage itself
};

struct RequestContext {
  RequestContext(std::shared_ptr<const config::Config> snapshot, server::IncomingRequest& request,
                 server::ResponseWriter& writer)
      : config(std::move(snapshot)), in(request), out(writer) {}

  std::shared_ptr<const config::Config> config;  // the snapshot this request is served with
  server::IncomingRequest& in;
  server::ResponseWriter& out;
  observability::AccessRecord record;
  // The caller's network as the IP window counts it (limits::rate_limit_key of
  // record.client_ip): the key of its window and of an anonymous caller's charge.
  std::string client_network;
  ErrorStyle error_style = ErrorStyle::kOpenAi;
  boost::json::object body;  // the parsed JSON body of POST requests

  // What the gate (gate.h) learnt and holds: the in-flight slot, whom the request is charged
  // to with its reservations, and (API requests) the provider, the exchange and the estimate.
  gate::InFlightSlot in_flight;
  gate::Charge charge;
  const config::ProviderConfig* provider = nullptr;
  Exchange exchange;
  budget::ReservationEstimate estimate;
  // Routing: the config this request walks (null: x-portkey-provider alone), the request's
  // x-portkey-metadata, and the headers every answer carries (which target served it).
  std::shared_ptr<const routing::RouteNode> route;
  boost::json::object metadata;
  std::vector<std::pair<std::string, std::string>> answer_headers;
  Usage failed_usage;  // tokens failed attempts' providers reported: charged with the answer

  std::optional<std::string_view> header(std::string_view name) const;
};

// Sends a whole JSON (or other) response with the request id.
net::awaitable<void> send_body(RequestContext& ctx, int status, std::string body,
                               const std::vector<std::pair<std::string, std::string>>& headers = {},
                               std::string_view content_type = "application/json");
// Renders an error in the caller's format and sends it.
net::awaitable<void> send_error(RequestContext& ctx, const ApiError& error);

}  // namespace aigw::gateway
