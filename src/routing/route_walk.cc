#include "routing/route_walk.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace aigw::routing {

namespace {

bool contains(const std::vector<int>& codes, int status) {
  return std::find(codes.begin(), codes.end(), status) != codes.end();
}

}  // namespace

RouteWalk::RouteWalk(const RouteNode& root, Inputs inputs) : in_(std::move(inputs)) { push(root); }

void RouteWalk::push(const RouteNode& node) {
  Frame f{&node, stack_.empty() ? std::nullopt : stack_.back().deadline};
  if (node.request_timeout) {
    const TimePoint own = in_.now() + *node.request_timeout;
    f.deadline = f.deadline ? std::min(*f.deadline, own) : own;
  }
  stack_.push_back(f);
}

void RouteWalk::finish_top() {
  const bool tried = stack_.back().tried;
  stack_.pop_back();
  last_tried_ = tried;
  if (!stack_.empty()) stack_.back().tried = stack_.back().tried || tried;
}

std::optional<Step> RouteWalk::next() {
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    if (!f.node->is_leaf()) {
      const int child = choose_child(f);
      if (child < 0) {
        finish_top();
        continue;
      }
      f.child = child;
      push(f.node->targets[static_cast<std::size_t>(child)]);
      continue;
    }
    if (f.done) {
      finish_top();
      continue;
    }
    // A config that is one provider: an open breaker refuses it like any routed target.
    if (f.tries == 0 && stack_.size() == 1 && !in_.available(*f.node)) {
      finish_top();
      continue;
    }
    Step step{f.node, f.wait, f.tries, std::nullopt};
    if (f.deadline) {
      const auto left = std::chrono::duration_cast<Millis>(*f.deadline - in_.now()) - f.wait;
      if (left.count() <= 0) {  // the node's request_timeout is spent before this attempt
        last_ = {AttemptOutcome::Kind::kTimedOut, 408, std::nullopt};
        f.tried = true;
        tried_any_ = true;
        finish_top();
        continue;
      }
      step.time_left = left;
    }
    ++f.tries;
    f.wait = Millis(0);
    return step;
  }
  return std::nullopt;
}

void RouteWalk::report(const AttemptOutcome& outcome) {
  if (stack_.empty() || !stack_.back().node->is_leaf()) return;
  Frame& f = stack_.back();
  if (outcome.kind == AttemptOutcome::Kind::kSkipped) {
    if (!tried_any_) last_ = outcome;  // nothing better to tell the caller
    f.done = true;
    return;
  }
  last_ = outcome;
  f.tried = true;
  tried_any_ = true;
  if (!retryable(f)) {
    f.done = true;
    return;
  }
  const RetryPolicy& retry = f.node->retry;
  Millis wait = backoff(f.tries);
  if (retry.use_retry_after_header && outcome.retry_after)
    wait = std::min(*outcome.retry_after, in_.policy.max_retry_after);
  // A retry that could not even start before the deadline is not made.
  if (f.deadline && in_.now() + wait >= *f.deadline) {
    f.done = true;
    return;
  }
  f.wait = wait;
}

bool RouteWalk::retryable(const Frame& leaf) const {
  if (leaf.tries > leaf.node->retry.attempts) return false;
  switch (last_.kind) {
    case AttemptOutcome::Kind::kFailed:
      return true;  // refused, reset: nothing reached the provider's model
    case AttemptOutcome::Kind::kTimedOut:
      return contains(leaf.node->retry.on_status_codes, 408);
    case AttemptOutcome::Kind::kAnswered:
      return contains(leaf.node->retry.on_status_codes, last_.status);
    case AttemptOutcome::Kind::kSkipped:
      return false;
  }
  return false;
}

// Exponential backoff with full jitter: a random wait in [0, min(max, base * 2^(retry-1))).
Millis RouteWalk::backoff(int retry) const {
  const double base = static_cast<double>(in_.policy.backoff_base.count());
  const double cap = static_cast<double>(in_.policy.backoff_max.count());
  const double ceiling = std::min(cap, base * std::ldexp(1.0, std::max(0, retry - 1)));
  return Millis(static_cast<std::int64_t>(in_.uniform() * ceiling));
}

bool RouteWalk::moves_on(const RouteNode& fallback) const {
  if (!last_tried_) return true;  // the child tried nothing (skipped, or every breaker open)
  switch (last_.kind) {
    case AttemptOutcome::Kind::kFailed:
    case AttemptOutcome::Kind::kTimedOut:
    case AttemptOutcome::Kind::kSkipped:
      return true;
    case AttemptOutcome::Kind::kAnswered:
      return fallback.fallback_on.empty() || contains(fallback.fallback_on, last_.status);
  }
  return true;
}

int RouteWalk::choose_child(Frame& f) {
  const RouteNode& node = *f.node;
  const bool first = f.child < 0;
  auto if_available = [&](int i) {
    if (i < 0) return i;
    const RouteNode& target = node.targets[static_cast<std::size_t>(i)];
    return !target.is_leaf() || in_.available(target) ? i : -1;
  };
  switch (node.mode) {
    case Mode::kSingle:
      return first ? if_available(0) : -1;
    case Mode::kLoadBalance:
      return first ? pick_weighted(node) : -1;
    case Mode::kConditional:
      return first ? if_available(pick_condition(node)) : -1;
    case Mode::kFallback:
      break;
  }
  if (!first && !moves_on(node)) return -1;
  for (int i = f.child + 1; i < static_cast<int>(node.targets.size()); ++i) {
    const RouteNode& target = node.targets[static_cast<std::size_t>(i)];
    if (!target.is_leaf() || in_.available(target)) return i;
  }
  return -1;
}

int RouteWalk::pick_weighted(const RouteNode& node) {
  std::vector<double> weights;
  for (const auto& t : node.targets) weights.push_back(t.weight);
  for (;;) {
    double total = 0;
    for (const double w : weights) total += w;
    if (total <= 0) return -1;
    double point = in_.uniform() * total;
    int chosen = -1;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] <= 0) continue;
      chosen = static_cast<int>(i);
      if (point < weights[i]) break;
      point -= weights[i];
    }
    const RouteNode& target = node.targets[static_cast<std::size_t>(chosen)];
    if (!target.is_leaf() || in_.available(target)) return chosen;
    weights[static_cast<std::size_t>(chosen)] = 0;  // open breaker: out of this draw
  }
}

int RouteWalk::pick_condition(const RouteNode& node) {
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < node.targets.size(); ++i)
      if (node.targets[i].name == name) return static_cast<int>(i);
    return -1;
  };
  for (const auto& rule : node.conditions)
    if (rule.query->matches(in_.conditions)) return index_of(rule.then);
  if (!node.default_target.empty()) return index_of(node.default_target);
  no_match_ = true;
  return -1;
}

std::optional<Millis> parse_retry_after(std::string_view value, std::int64_t now_unix_seconds) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return Millis(std::min<std::int64_t>(seconds, 86'400) * 1000);
  }
  // An HTTP date (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const std::int64_t at = timegm(&tm);
  return Millis(std::clamp<std::int64_t>(at - now_unix_seconds, 0, 86'400) * 1000);
}

}  // namespace aigw::routing
