#include "gate/gate.h"

#include "router/gateway_errors.h"

namespace aigw::gate {
namespace {

using enum Check;

// The lists, one per kind of route. Health (the load balancer's probe) passes no check.
constexpr Check kApiChecks[] = {kIpWindow, kAuthentication, kBody,      kAdmission,
                                kRequest,  kBudget,         kRateLimits};
// count_tokens costs nothing and Claude Code calls it often: no budget or rate check.
constexpr Check kCountTokensChecks[] = {kIpWindow, kAuthentication, kBody, kAdmission, kRequest};
constexpr Check kModelsChecks[] = {kIpWindow, kAuthentication, kBody, kAdmission};
constexpr Check kCallerChecks[] = {kIpWindow, kAuthentication};  // /v1/budget, /v1/providers
constexpr Check kAdminChecks[] = {kIpWindow, kAdminAuthentication, kBody};
constexpr Check kTokenChecks[] = {kIpWindow, kTokenBody};
constexpr Check kAnonymousChecks[] = {kIpWindow};  // discovery, JWKS, and every refusal of a route

ApiError auth_error(const auth::AuthFailure& f) {
  ApiError e{f.status,  f.status == 403 ? "permission_error" : "authentication_error",
             f.message, {},
             {},        {}};
  e.headers.emplace_back("WWW-Authenticate", f.www_authenticate());
  return e;
}

bool is_loopback_peer(std::string_view ip) {
  if (ip.starts_with("::ffff:")) ip.remove_prefix(7);  // an IPv4 peer on a dual-stack socket
  return ip == "::1" || (ip.starts_with("127.") && auth::is_loopback_host(ip));
}

}  // namespace

std::string_view check_name(Check check) {
  switch (check) {
    case kIpWindow:
      return "ip_window";
    case kAuthentication:
      return "authentication";
    case kAdminAuthentication:
      return "admin_authentication";
    case kBody:
      return "body";
    case kTokenBody:
      return "token_body";
    case kAdmission:
      return "admission";
    case kRequest:
      return "request";
    case kBudget:
      return "budget";
    case kRateLimits:
      return "rate_limits";
  }
  return "unknown";
}

std::span<const Check> checks_for(const router::Route& route) {
  using router::RouteKind;
  switch (route.kind) {
    case RouteKind::kHealth:
    case RouteKind::kReady:
      return {};
    case RouteKind::kApi:
      if (route.endpoint == Endpoint::kModels) return kModelsChecks;
      if (route.endpoint == Endpoint::kCountTokens) return kCountTokensChecks;
      return kApiChecks;
    case RouteKind::kBudget:
    case RouteKind::kProviders:
      return kCallerChecks;
    case RouteKind::kAdmin:
      return kAdminChecks;
    case RouteKind::kOAuthToken:
      return kTokenChecks;
    case RouteKind::kJwks:
    case RouteKind::kOpenIdConfig:
    case RouteKind::kUi:
    case RouteKind::kNotFound:
    case RouteKind::kMethodNotAllowed:
      break;
  }
  return kAnonymousChecks;
}

std::optional<ApiError> check_ip_window(limits::SlidingWindowLimiter* limiter,
                                        std::string_view network, std::int64_t now_ms) {
  if (limiter == nullptr) return std::nullopt;
  const auto decision = limiter->check_and_count(network, now_ms);
  if (decision.allowed) return std::nullopt;
  if (decision.unavailable) return router::ip_window_unavailable(network);
  return router::ip_rate_limited(network, decision.limit, limiter->window(),
                                 decision.retry_after_seconds);
}

AuthDecision check_authentication(auth::AuthService* service, const Credentials& credentials,
                                  std::string_view scope, std::int64_t now_seconds,
                                  bool may_refresh) {
  if (service == nullptr || !service->enabled()) return auth::Principal{};
  const auto token = auth::extract_token(credentials.authorization, credentials.api_key);
  if (const auto* missing = std::get_if<auth::AuthFailure>(&token)) return auth_error(*missing);
  auto& verifier = service->verifier();
  auto result = verifier.verify_cached(std::get<std::string_view>(token), now_seconds);
  if (const auto* f = std::get_if<auth::AuthFailure>(&result)) {
    if (f->unknown_kid && may_refresh) {
      // Refreshes are rate-limited per issuer (claim_refresh), so forged kids cannot hammer it.
      const auth::TrustedIssuer* issuer = verifier.find_issuer(f->issuer);
      if (issuer != nullptr && !issuer->jwks_url.empty() &&
          issuer->keys->claim_refresh(now_seconds * 1000)) {
        return RefreshKeys{issuer};
      }
    }
    return auth_error(*f);
  }
  auto& principal = std::get<auth::Principal>(result);
  if (const auto denied = verifier.require_scope(principal, scope)) return auth_error(*denied);
  return std::move(principal);
}

std::optional<ApiError> check_admin_without_auth(const auth::AuthSettings& settings,
                                                 bool auth_in_force, std::string_view peer_ip,
                                                 bool proxied) {
  if (auth_in_force) return std::nullopt;
  if (settings.admin_without_auth == auth::AdminWithoutAuth::kLoopback &&
      is_loopback_peer(peer_ip) && !proxied) {
    return std::nullopt;
  }
  std::string message =
      "the admin API needs authentication: enable auth (auth.enabled: true) and call it with a "
      "token carrying " +
      settings.admin_scope;
  if (settings.admin_without_auth == auth::AdminWithoutAuth::kLoopback) {
    message += " (auth.admin_without_auth: loopback admits only direct connections from this host)";
  }
  return ApiError{403, "permission_error", std::move(message), {}, {}, {}};
}

std::optional<ApiError> check_admission(std::atomic<std::uint64_t>& counter,
                                        std::uint64_t max_in_flight, long retry_after_seconds,
                                        InFlightSlot& slot) {
  slot.take(counter);
  if (slot.value() <= max_in_flight) return std::nullopt;
  slot.release();
  return router::overloaded(retry_after_seconds);
}

std::array<limits::RateScope, 2> Charge::rate_scopes() const {
  return {limits::RateScope{limits::RateScopeKind::kTeam, team, team_limits},
          limits::RateScope{limits::RateScopeKind::kClient, client, client_limits}};
}

void identify(Charge& charge, std::string_view token_team, std::string_view token_client,
              std::string_view client_network, const limits::LimitsSettings& limits,
              const budget::TeamDirectory& teams) {
  charge.team = token_team.empty() ? std::string(kDefaultTeam) : std::string(token_team);
  charge.client = token_client.empty() ? std::string(client_network) : std::string(token_client);
  charge.team_limits = teams.limits_of(charge.team, limits.team);
  charge.client_limits = limits.client;
}

std::optional<ApiError> check_budget(budget::BudgetTracker& budgets, Charge& charge,
                                     budget::TimePoint now,
                                     const budget::ReservationEstimate& estimate) {
  auto admission = budgets.admit(charge.team, now, estimate);
  if (!admission) return admission.take_error();
  charge.headers.clear();
  budget::budget_headers(admission->decision, charge.headers);
  charge.budget_reservation = std::move(admission->reservation);
  return std::nullopt;
}

std::optional<ApiError> check_rate_limits(limits::RateLimiter& limiter, Charge& charge,
                                          std::int64_t now_ms, std::int64_t estimate_tokens) {
  const auto scopes = charge.rate_scopes();
  const limits::RateDecision rate =
      limiter.check(scopes, now_ms, estimate_tokens, &charge.rate_reservation);
  limits::rate_limit_headers(rate, charge.headers);
  if (rate.allowed) return std::nullopt;
  charge.refused_scope = rate.denied_kind == limits::RateScopeKind::kTeam ? "team" : "client";
  charge.budget_reservation.release();
  return limits::rate_limited_error(rate);
}

}  // namespace aigw::gate
