// Requests-per-minute and tokens-per-minute limits per team and per client, over one-minute
// sliding windows (sliding_window.h), and the x-ratelimit-* headers that report them.
//
// Requests are counted when admitted. Tokens are known only after the response, so admitting
// a request reserves an estimate of them (its prompt estimate plus its output limit; see
// budget/budget_tracker.h) for each key with a token limit, and a request is admitted while
//
//     tokens recorded in the window + tokens reserved by the requests in flight < limit
//
// (its own reservation not included: a lone large request is not refused). Settling records
// the real tokens in the window (record_tokens) and releases the reservation
// (TokenReservation, RAII: released on every path). One answer larger than its reservation can
// still carry a key over the limit; the next requests then wait until it slides out, and the
// overshoot does not grow with the number of requests in flight.
//
// A check locks the in-flight stripes of every limited scope (in address order: no deadlock),
// looks at every scope, and counts and reserves only when all allow it, so a request refused by
// its client limit does not use up its team's, and concurrent checks of one key are serialised:
// no two of them pass on the same room.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/api_error.h"
#include "core/header_block.h"
#include "limits/hashed_key.h"
#include "limits/limits_config.h"
#include "limits/sliding_window.h"

namespace aigw::limits {

enum class RateScopeKind { kTeam, kClient };

// Who a limit applies to, with the limits in force for it right now.
struct RateScope {
  RateScopeKind kind = RateScopeKind::kTeam;
  std::string_view name;  // team name or client id
  RateLimits limits;
};

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;  // when denied
  // When denied: which limit, e.g. {kTeam, "platform", requests}; for the error message.
  RateScopeKind denied_kind = RateScopeKind::kTeam;
  std::string denied_name;
  bool denied_on_tokens = false;
  std::int64_t denied_limit = 0;
  bool unavailable = false;  // denied: the shared counts are stale and limits fail closed
  // The tightest scope per dimension (least remaining), for the headers; limit 0 = none.
  WindowDecision requests;
  WindowDecision tokens;
};

class RateLimiter;

// The tokens an admitted request holds against its team's and client's token limits until it
// settles or ends. Move-only; the destructor releases it.
class TokenReservation {
 public:
  TokenReservation() = default;
  TokenReservation(TokenReservation&& other) noexcept { take(other); }
  TokenReservation& operator=(TokenReservation&& other) noexcept;
  TokenReservation(const TokenReservation&) = delete;
  TokenReservation& operator=(const TokenReservation&) = delete;
  ~TokenReservation() { release(); }

  void release();
  bool active() const { return limiter_ != nullptr; }
  std::int64_t tokens() const { return tokens_; }

 private:
  friend class RateLimiter;
  void take(TokenReservation& other) noexcept;

  RateLimiter* limiter_ = nullptr;
  std::int64_t tokens_ = 0;
  std::string team_;    // "" = nothing reserved for the team
  std::string client_;  // "" = nothing reserved for the client
  bool team_held_ = false;
  bool client_held_ = false;
};

class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::milliseconds window = std::chrono::minutes(1));

  // Checks every scope; when all allow, counts one request in each. `now_ms`: monotonic ms.
  // With `reservation`: also reserves `reserve_tokens` in every scope with a token limit, held
  // by *reservation until it is released.
  RateDecision check(std::span<const RateScope> scopes, std::int64_t now_ms,
                     std::int64_t reserve_tokens = 0, TokenReservation* reservation = nullptr);
  // Adds a response's tokens to every scope that has a token limit.
  void record_tokens(std::span<const RateScope> scopes, std::int64_t tokens, std::int64_t now_ms);
  void record_tokens(const RateScope& scope, std::int64_t tokens, std::int64_t now_ms) {
    record_tokens(std::span<const RateScope>(&scope, 1), tokens, now_ms);
  }

  std::size_t tracked_keys() const;
  // state.on_failure.limits for every window (SlidingWindowCounter::set_fail_mode).
  void set_fail_mode(state::FailMode mode);
  // The windows replicas add up (state::UsageStore::share_windows_with), named.
  std::vector<state::UsageStore::NamedWindowCounter> shared_windows();
  // Tokens reserved by the requests in flight of a team or client (0 when none).
  std::int64_t reserved_tokens(RateScopeKind kind, std::string_view name) const;

 private:
  friend class TokenReservation;
  struct Counters {
    SlidingWindowCounter requests;
    SlidingWindowCounter tokens;
  };
  // Reserved tokens per key, striped like the windows; a key leaves when nothing is reserved.
  struct InFlightShard {
    mutable std::mutex mutex;
    HashedMap<std::int64_t> tokens;
  };
  static constexpr std::size_t kInFlightShards = 16;
  using InFlight = std::array<InFlightShard, kInFlightShards>;

  Counters& counters(RateScopeKind kind) { return kind == RateScopeKind::kTeam ? team_ : client_; }
  InFlight& in_flight(RateScopeKind kind) {
    return kind == RateScopeKind::kTeam ? team_in_flight_ : client_in_flight_;
  }
  const InFlight& in_flight(RateScopeKind kind) const {
    return kind == RateScopeKind::kTeam ? team_in_flight_ : client_in_flight_;
  }
  InFlightShard& shard_for(RateScopeKind kind, const HashedKey& name) {
    return in_flight(kind)[name.hash % kInFlightShards];
  }
  // Reserved tokens of a key; its shard's lock is held.
  static std::int64_t reserved_locked(const InFlightShard& shard, const HashedKey& name);
  void unreserve(RateScopeKind kind, std::string_view name, std::int64_t tokens);

  Counters team_;
  Counters client_;
  InFlight team_in_flight_;
  InFlight client_in_flight_;
};

// x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the dimensions that are limited;
// reset as OpenAI writes it ("1s", "6m0s", "250ms").
void rate_limit_headers(const RateDecision& d, HeaderBlock& out);

// 429 rate_limit_error with Retry-After, naming the scope and the limit, e.g.
// `team "platform" is over its limit of 600 requests per minute; retry in 12s`.
ApiError rate_limited_error(const RateDecision& d);

// "250ms", "59s", "6m0s", "1h2m3s" (Go's time.Duration style, as OpenAI's headers use).
std::string format_reset(std::int64_t ms);

}  // namespace aigw::limits
