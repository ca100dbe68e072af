#include "router/routes.h"

#include <array>

namespace aigw::router {
namespace {

struct ApiRoute {
  std::string_view method;
  std::string_view path;
  Endpoint endpoint;
};

constexpr std::array kApiRoutes = {
    ApiRoute{"POST", "/v1/chat/completions", Endpoint::kChatCompletions},
    ApiRoute{"POST", "/v1/responses", Endpoint::kResponses},
    ApiRoute{"POST", "/v1/embeddings", Endpoint::kEmbeddings},
    ApiRoute{"GET", "/v1/models", Endpoint::kModels},
    ApiRoute{"POST", "/v1/messages", Endpoint::kMessages},
    ApiRoute{"POST", "/v1/messages/count_tokens", Endpoint::kCountTokens},
};

struct FixedRoute {
  std::string_view method;
  std::string_view path;
  RouteKind kind;
};

constexpr std::array kFixedRoutes = {
    FixedRoute{"GET", "/", RouteKind::kHealth},
    FixedRoute{"HEAD", "/", RouteKind::kHealth},
    FixedRoute{"GET", "/health", RouteKind::kHealth},
    FixedRoute{"HEAD", "/health", RouteKind::kHealth},
    FixedRoute{"GET", "/readyz", RouteKind::kReady},
    FixedRoute{"HEAD", "/readyz", RouteKind::kReady},
    FixedRoute{"POST", "/oauth2/token", RouteKind::kOAuthToken},
    FixedRoute{"GET", "/.well-known/jwks.json", RouteKind::kJwks},
    FixedRoute{"GET", "/.well-known/openid-configuration", RouteKind::kOpenIdConfig},
    FixedRoute{"GET", "/v1/providers", RouteKind::kProviders},
    FixedRoute{"GET", "/v1/budget", RouteKind::kBudget},
};

// Agents are not consistent about a trailing slash; "/v1/messages/" means "/v1/messages".
std::string_view trim_trailing_slash(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

Route match_route(std::string_view method, std::string_view path) {
  path = trim_trailing_slash(path);
  if (path.rfind("/admin/", 0) == 0) return {RouteKind::kAdmin, Endpoint::kChatCompletions, {}};
  if (path == "/ui" || path.rfind("/ui/", 0) == 0) {
    if (method == "GET" || method == "HEAD")
      return {RouteKind::kUi, Endpoint::kChatCompletions, {}};
    return {RouteKind::kMethodNotAllowed, Endpoint::kChatCompletions, "GET, HEAD"};
  }
  bool path_known = false;
  std::string_view allowed;
  for (const auto& r : kApiRoutes) {
    if (r.path != path) continue;
    if (r.method == method) return {RouteKind::kApi, r.endpoint, {}};
    path_known = true;
    allowed = r.method;
  }
  for (const auto& r : kFixedRoutes) {
    if (r.path != path) continue;
    if (r.method == method) return {r.kind, Endpoint::kChatCompletions, {}};
    path_known = true;
    const bool probe = r.kind == RouteKind::kHealth || r.kind == RouteKind::kReady;
    allowed = probe ? std::string_view("GET, HEAD") : r.method;
  }
  if (path_known) return {RouteKind::kMethodNotAllowed, Endpoint::kChatCompletions, allowed};
  return {};
}

Target split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string_view route_label(const Route& route) {
  switch (route.kind) {
    case RouteKind::kHealth:
      return "health";
    case RouteKind::kReady:
      return "ready";
    case RouteKind::kApi:
      return endpoint_name(route.endpoint);
    case RouteKind::kOAuthToken:
      return "oauth2_token";
    case RouteKind::kJwks:
      return "jwks";
    case RouteKind::kOpenIdConfig:
      return "openid_configuration";
    case RouteKind::kProviders:
      return "providers";
    case RouteKind::kBudget:
      return "budget";
    case RouteKind::kAdmin:
      return "admin";
    case RouteKind::kUi:
      return "ui";
    case RouteKind::kNotFound:
      return "not_found";
    case RouteKind::kMethodNotAllowed:
      return "method_not_allowed";
  }
  return "other";
}

}  // namespace aigw::router
