// The endpoint table: method + path → what serves it. Pure; no I/O.
#pragma once

#include <string_view>

#include "core/endpoint.h"

namespace aigw::router {

enum class RouteKind {
  kHealth,        // GET|HEAD /: alive (the load balancer's liveness check)
  kReady,         // GET|HEAD /readyz: able to serve (config, keys, state backend; not draining)
  kApi,           // one of the provider endpoints (see Endpoint)
  kOAuthToken,    // POST /oauth2/token
  kJwks,          // GET /.well-known/jwks.json
  kOpenIdConfig,  // GET /.well-known/openid-configuration
  kProviders,     // GET /v1/providers: the configured providers (for health checks)
  kBudget,        // GET /v1/budget: the caller's team budget, usage and limits
  kAdmin,         // /admin/...: the admin API (admin scope)
  kUi,            // GET|HEAD /ui/...: the dashboard's static files (its data: the admin API)
  kNotFound,
  kMethodNotAllowed,
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  Endpoint endpoint = Endpoint::kChatCompletions;  // meaningful for kApi
  std::string_view allowed_methods;                // for kMethodNotAllowed
};

// `path` is the target without its query string.
Route match_route(std::string_view method, std::string_view path);

// A bounded name for metrics: the endpoint's name for API routes ("chat_completions"), else
// the kind ("health", "admin", "not_found", …).
std::string_view route_label(const Route& route);

// Splits "/v1/messages?beta=true" into path and query (without the '?').
struct Target {
  std::string_view path;
  std::string_view query;
};
Target split_target(std::string_view target);

}  // namespace aigw::router
