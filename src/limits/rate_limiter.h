// Requests-per-minute and tokens-per-minute limits per team and per client, over one-minute
// sliding windows (sliding_window.h), and the x-ratelimit-* headers that report them.
//
// Requests are counted when admitted. Tokens are known only after the response, so they are
// recorded then (record_tokens) and the check before a request looks at the tokens already
// recorded in the window: a request is admitted while the estimate is below the limit, and
// one large answer can carry a key over it; the next requests then wait until it slides out.
//
// A check looks at every scope first and counts the request only when all allow it, so a
// request refused by its client limit does not use up its team's. Two concurrent checks of
// the same key may both pass the look before either counts: the overshoot is at most the
// number of checks racing for that key at that instant.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/api_error.h"
#include "limits/sliding_window.h"

namespace aigw::limits {

struct RateLimits {
  std::int64_t requests_per_minute = 0;  // 0 = off
  std::int64_t tokens_per_minute = 0;    // 0 = off
  bool any() const { return requests_per_minute > 0 || tokens_per_minute > 0; }
  bool operator==(const RateLimits&) const = default;
};

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
  // The tightest scope per dimension (least remaining), for the headers; limit 0 = none.
  WindowDecision requests;
  WindowDecision tokens;
};

class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::milliseconds window = std::chrono::minutes(1));

  // Checks every scope; when all allow, counts one request in each. `now_ms`: monotonic ms.
  RateDecision check(std::span<const RateScope> scopes, std::int64_t now_ms);
  // Adds a response's tokens to every scope that has a token limit.
  void record_tokens(std::span<const RateScope> scopes, std::int64_t tokens, std::int64_t now_ms);
  void record_tokens(const RateScope& scope, std::int64_t tokens, std::int64_t now_ms) {
    record_tokens(std::span<const RateScope>(&scope, 1), tokens, now_ms);
  }

  std::size_t tracked_keys() const;

 private:
  struct Counters {
    SlidingWindowCounter requests;
    SlidingWindowCounter tokens;
  };
  Counters& counters(RateScopeKind kind) { return kind == RateScopeKind::kTeam ? team_ : client_; }

  Counters team_;
  Counters client_;
};

// x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the dimensions that are limited;
// reset as OpenAI writes it ("1s", "6m0s", "250ms").
std::vector<std::pair<std::string, std::string>> rate_limit_headers(const RateDecision& d);

// 429 rate_limit_error with Retry-After, naming the scope and the limit, e.g.
// `team "platform" is over its limit of 600 requests per minute; retry in 12s`.
ApiError rate_limited_error(const RateDecision& d);

// "250ms", "59s", "6m0s", "1h2m3s" (Go's time.Duration style, as OpenAI's headers use).
std::string format_reset(std::int64_t ms);

}  // namespace aigw::limits
