// The gate: the checks a request passes before the gateway works for it, in the order they
// run. Each check decides from what it is given and the in-memory counters: no I/O, no
// sending. It returns a pass (with what it learnt) or the refusal as an ApiError.
// Worker::pass_gate (gateway/gateway.cc) runs a route's list, does the two steps that need I/O
// (reading the body; fetching an IdP's keys again when a token names an unknown kid) and
// sends the first refusal in the caller's dialect.
//
// Why this order: the cheapest and most anonymous checks first, so a flood costs least;
// the body is read only after the caller is known, so a refused caller cannot make the
// gateway buffer or wait for it; usage is reserved last, when the request is known to be
// well formed, so a malformed request never holds budget.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "auth/auth_service.h"
#include "budget/budget_tracker.h"
#include "budget/team_directory.h"
#include "core/api_error.h"
#include "limits/limits_config.h"
#include "limits/rate_limiter.h"
#include "limits/sliding_window.h"
#include "router/routes.h"

namespace aigw::gate {

enum class Check {
  kIpWindow,             // limits.ip: requests per client network per window
  kAuthentication,       // a valid token with the invoke scope
  kAdminAuthentication,  // a valid token with the admin scope
  kBody,                 // the body is read (I/O, by the runner; capped by server.max_body_bytes)
  kTokenBody,            // the same, capped at kTokenBodyLimit (the token endpoint's form)
  kAdmission,            // server.max_in_flight requests at once, then 503
  kRequest,              // provider chosen, JSON body read, usage estimated (no I/O)
  kBudget,               // the team's budget, reserving the estimate
  kRateLimits,           // the team's and the client's per-minute limits, reserving the estimate
};

std::string_view check_name(Check check);

// The token endpoint reads its form before any authentication: a small cap.
inline constexpr std::uint64_t kTokenBodyLimit = 64 * 1024;

// The checks of a route, in the order they run.
std::span<const Check> checks_for(const router::Route& route);

// limits.ip. `network` is the caller's network as limits::rate_limit_key writes it (its
// address resolved through trusted proxies, cut to ipv4_prefix / ipv6_prefix). Returns the
// refusal, or nullopt when the request fits (and was counted).
std::optional<ApiError> check_ip_window(limits::SlidingWindowLimiter* limiter,
                                        std::string_view network, std::int64_t now_ms);

// The token's issuer may have rotated its keys: fetch its JWKS again, then check once more.
struct RefreshKeys {
  const auth::TrustedIssuer* issuer = nullptr;
};
using AuthDecision = std::variant<auth::Principal, ApiError, RefreshKeys>;

struct Credentials {
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> api_key;  // x-api-key (Anthropic clients)
};

// A valid token with `scope`. With auth off (or no service) every caller passes as an empty
// principal. `may_refresh`: false on the second look after a refresh.
AuthDecision check_authentication(auth::AuthService* service, const Credentials& credentials,
                                  std::string_view scope, std::int64_t now_seconds,
                                  bool may_refresh);

// The admin API while auth is off (`auth_in_force`: as built at start; a reload cannot turn
// auth on): refused, unless auth.admin_without_auth is loopback and the request came straight
// from this host (no X-Forwarded-For or Forwarded: a local proxy relays others). nullopt: on.
std::optional<ApiError> check_admin_without_auth(const auth::AuthSettings& settings,
                                                 bool auth_in_force, std::string_view peer_ip,
                                                 bool proxied);

// Counts a request in flight from admission to its end (RAII).
class InFlightSlot {
 public:
  InFlightSlot() = default;
  InFlightSlot(const InFlightSlot&) = delete;
  InFlightSlot& operator=(const InFlightSlot&) = delete;
  ~InFlightSlot() { release(); }
  void take(std::atomic<std::uint64_t>& counter) {
    release();
    counter_ = &counter;
    value_ = ++counter;
  }
  void release() {
    if (counter_ != nullptr) --*counter_;
    counter_ = nullptr;
  }
  std::uint64_t value() const { return value_; }

 private:
  std::atomic<std::uint64_t>* counter_ = nullptr;
  std::uint64_t value_ = 0;
};

// server.max_in_flight: takes a slot in `counter`; over the cap, the refusal (503 with
// Retry-After) and the slot is given back.
std::optional<ApiError> check_admission(std::atomic<std::uint64_t>& counter,
                                        std::uint64_t max_in_flight, long retry_after_seconds,
                                        InFlightSlot& slot);

// Whom a request is charged to, the limits in force for it, and what it holds in flight.
struct Charge {
  std::string team;  // the token's team, else kDefaultTeam
  std::string
      client;  // the token's client id, else the client's network (as the IP window keys it)
  limits::RateLimits team_limits;
  limits::RateLimits client_limits;
  // Budget and rate-limit headers every answer carries.
  HeaderBlock headers;
  // Replaced by the usage when the request settles, released when it ends without (RAII).
  budget::BudgetReservation budget_reservation;
  limits::TokenReservation rate_reservation;
  bool settled = false;  // usage was charged (at most once)
  // What of a stream's usage is in the usage journal already (its parts so far, as one whole
  // record) and when that was written: settling journals only the rest.
  std::optional<state::UsageRecord> journaled;
  std::chrono::steady_clock::time_point journaled_at{};
  std::string_view refused_scope;  // a rate limit refused it: "team" or "client"

  std::array<limits::RateScope, 2> rate_scopes() const;
  void release() {
    budget_reservation.release();
    rate_reservation.release();
  }
};

// Requests whose token names no team are charged to this one.
inline constexpr std::string_view kDefaultTeam = "default";

// Fills in whom to charge: the token's team and client id; without a token, the default team
// and the client's network.
void identify(Charge& charge, std::string_view token_team, std::string_view token_client,
              std::string_view client_network, const limits::LimitsSettings& limits,
              const budget::TeamDirectory& teams);

// The team's budget: reserves `estimate` while the request is in flight; refuses (429) when
// used + reserved is at the budget.
std::optional<ApiError> check_budget(budget::BudgetTracker& budgets, Charge& charge,
                                     budget::TimePoint now,
                                     const budget::ReservationEstimate& estimate);

// The team's and the client's requests and tokens per minute: counts the request and
// reserves the estimate's tokens; on refusal (429) the budget reservation is given back too.
std::optional<ApiError> check_rate_limits(limits::RateLimiter& limiter, Charge& charge,
                                          std::int64_t now_ms, std::int64_t estimate_tokens);

}  // namespace aigw::gate
