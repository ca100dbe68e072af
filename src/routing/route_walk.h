// Walks a routing config for one request: which target to try next, after what wait, and when
// to stop. A state machine without I/O: the gateway makes each attempt and reports how it went;
// the walk applies the strategies (single, fallback, loadbalance, conditional), the retries
// with their backoff or Retry-After, the deadlines and the breakers. docs/routing.md.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "routing/conditions.h"
#include "routing/route_config.h"

namespace aigw::routing {

// The routing section's request-path knobs (routing_settings.h holds the rest).
struct WalkPolicy {
  Millis backoff_base{250};
  Millis backoff_max{8'000};
  Millis max_retry_after{30'000};
};

// How one attempt went, as the walk needs to know it. A 2xx answer ends the walk (the gateway
// relays it) and is not reported.
struct AttemptOutcome {
  enum class Kind {
    kAnswered,  // the provider answered `status` (not 2xx)
    kFailed,    // no answer: connection refused, reset, TLS, DNS
    kTimedOut,  // no answer in time (counts as 408)
    kSkipped,   // the target cannot serve this request (e.g. embeddings on Anthropic)
  };
  Kind kind = Kind::kFailed;
  int status = 0;
  std::optional<Millis> retry_after;  // the provider's Retry-After
};

struct Step {
  const RouteNode* leaf = nullptr;
  Millis wait{0};  // before the attempt
  int retry = 0;   // 0: the first try of this target; n: its nth retry
  // The time the attempt may take until the answer's headers (the tightest deadline above
  // it); nullopt: no deadline, the provider's own timeouts apply.
  std::optional<Millis> time_left;
};

class RouteWalk {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Inputs {
    ConditionInput conditions;
    WalkPolicy policy;
    std::function<TimePoint()> now;
    std::function<double()> uniform;                       // [0, 1): load balancing, jitter
    std::function<bool(const RouteNode& leaf)> available;  // false: its breaker is open
  };

  RouteWalk(const RouteNode& root, Inputs inputs);

  // The next attempt; nullopt when the walk is over (then see `outcome()`).
  std::optional<Step> next();
  // How the attempt `next()` returned went (never a 2xx: that ends the walk).
  void report(const AttemptOutcome& outcome);

  // Over: the last attempt's outcome is the request's (relay it), or nothing was tried.
  bool tried_any() const { return tried_any_; }
  const AttemptOutcome& outcome() const { return last_; }
  // Conditional routing that matched nothing and has no default (nothing was tried).
  bool no_condition_matched() const { return no_match_; }

 private:
  struct Frame {
    const RouteNode* node;
    std::optional<TimePoint> deadline;
    int child = -1;  // inner nodes: the child being walked
    int tries = 0;   // leaves: attempts made
    Millis wait{0};  // leaves: before the next attempt
    bool done = false;
    bool tried = false;  // an attempt was made under this node
  };

  void push(const RouteNode& node);
  void finish_top();  // pops the top frame; its result is `last_`
  int choose_child(Frame& f);
  int pick_weighted(const RouteNode& node);
  int pick_condition(const RouteNode& node);
  bool moves_on(const RouteNode& fallback) const;
  bool retryable(const Frame& leaf) const;
  Millis backoff(int retry) const;

  Inputs in_;
  std::vector<Frame> stack_;
  AttemptOutcome last_;
  bool last_tried_ = false;  // did the node just finished try anything?
  bool tried_any_ = false;
  bool no_match_ = false;
};

// Parses a Retry-After value (delay-seconds or an HTTP date) into a wait from `now_unix`.
std::optional<Millis> parse_retry_after(std::string_view value, std::int64_t now_unix_seconds);

}  // namespace aigw::routing
