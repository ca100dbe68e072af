// The routing walk without I/O: which target each attempt goes to, after what wait, and when
// the walk stops, for every strategy, with a clock the test moves and fixed "random" numbers.
#include "routing/route_walk.h"

#include <gtest/gtest.h>

#include <set>

namespace aigw::routing {
namespace {

using Kind = AttemptOutcome::Kind;
using namespace std::chrono_literals;

RouteNode parse(std::string_view text) {
  const ConfigCheck check{[](std::string_view) { return true; }, false, nullptr};
  auto r = parse_route_config_text(text, check);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : RouteNode{};
}

struct Harness {
  RouteWalk::TimePoint now{};
  double random = 0.5;
  std::set<std::string> open;  // providers whose breaker is open
  boost::json::object params;
  boost::json::object metadata;
  WalkPolicy policy{Millis(100), Millis(1000), Millis(5000)};

  RouteWalk walk(const RouteNode& root) {
    return RouteWalk(root,
                     {{&params, &metadata},
                      policy,
                      [this] { return now; },
                      [this] { return random; },
                      [this](const RouteNode& leaf) { return !open.contains(leaf.provider); }});
  }
};

AttemptOutcome status(int s) { return {Kind::kAnswered, s, std::nullopt}; }
AttemptOutcome refused() { return {Kind::kFailed, 0, std::nullopt}; }

TEST(RouteWalkTest, FallbackMovesOnUntilATargetAnswers) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback"},
      "targets":[{"provider":"a"},{"provider":"b"},{"provider":"c"}]})");
  auto walk = h.walk(root);
  auto step = walk.next();
  ASSERT_TRUE(step);
  EXPECT_EQ(step->leaf->provider, "a");
  walk.report(status(500));
  step = walk.next();
  ASSERT_TRUE(step);
  EXPECT_EQ(step->leaf->provider, "b");
  EXPECT_EQ(step->leaf->path, "config.targets[1]");
  EXPECT_EQ(step->retry, 0);
  // b answers 2xx: the gateway relays it and never calls next() again.
}

TEST(RouteWalkTest, FallbackStopsOnAStatusNotListed) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback","on_status_codes":[429]},
      "targets":[{"provider":"a"},{"provider":"b"}]})");
  auto walk = h.walk(root);
  ASSERT_TRUE(walk.next());
  walk.report(status(500));
  EXPECT_FALSE(walk.next());
  EXPECT_TRUE(walk.tried_any());
  EXPECT_EQ(walk.outcome().status, 500);  // the caller gets a's answer
}

TEST(RouteWalkTest, ConnectionFailuresAndTimeoutsAlwaysMoveOn) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback","on_status_codes":[429]},
      "targets":[{"provider":"a"},{"provider":"b"},{"provider":"c"}]})");
  auto walk = h.walk(root);
  walk.next();
  walk.report(refused());
  EXPECT_EQ(walk.next()->leaf->provider, "b");
  walk.report({Kind::kTimedOut, 0, std::nullopt});
  EXPECT_EQ(walk.next()->leaf->provider, "c");
  walk.report(status(503));
  EXPECT_FALSE(walk.next());
  EXPECT_EQ(walk.outcome().status, 503);  // the last target's answer
}

TEST(RouteWalkTest, RetriesWithBackoffOnlyOnRetryableStatuses) {
  Harness h;
  h.random = 0.5;
  const auto root = parse(R"({"provider":"a","retry":{"attempts":3}})");
  auto walk = h.walk(root);
  EXPECT_EQ(walk.next()->wait, 0ms);
  walk.report(status(429));
  auto step = walk.next();
  EXPECT_EQ(step->retry, 1);
  EXPECT_EQ(step->wait, 50ms);  // 0.5 × min(1000, 100 × 2^0)
  walk.report(status(502));
  step = walk.next();
  EXPECT_EQ(step->retry, 2);
  EXPECT_EQ(step->wait, 100ms);  // 0.5 × 200
  walk.report(status(400));      // not retryable
  EXPECT_FALSE(walk.next());
  EXPECT_EQ(walk.outcome().status, 400);
}

TEST(RouteWalkTest, BackoffIsCappedAndAttemptsRunOut) {
  Harness h;
  h.random = 0.999;
  const auto root = parse(R"({"provider":"a","retry":{"attempts":5}})");
  auto walk = h.walk(root);
  walk.next();
  for (int i = 1; i <= 5; ++i) {
    walk.report(status(500));
    auto step = walk.next();
    ASSERT_TRUE(step) << i;
    EXPECT_LT(step->wait, 1000ms);  // backoff_max
  }
  walk.report(status(500));
  EXPECT_FALSE(walk.next());  // 1 + 5 attempts
}

TEST(RouteWalkTest, RetryAfterIsHonouredWhenAskedAndCapped) {
  Harness h;
  const auto root =
      parse(R"({"provider":"a","retry":{"attempts":2,"use_retry_after_header":true}})");
  auto walk = h.walk(root);
  walk.next();
  walk.report({Kind::kAnswered, 429, Millis(2000)});
  EXPECT_EQ(walk.next()->wait, 2000ms);
  walk.report({Kind::kAnswered, 429, Millis(60'000)});
  EXPECT_EQ(walk.next()->wait, 5000ms);  // max_retry_after
  // Without the flag the provider's Retry-After is ignored (Portkey's default).
  const auto plain = parse(R"({"provider":"a","retry":{"attempts":1}})");
  auto other = h.walk(plain);
  other.next();
  other.report({Kind::kAnswered, 429, Millis(2000)});
  EXPECT_EQ(other.next()->wait, 50ms);
}

TEST(RouteWalkTest, TheDeadlineBoundsRetriesAndAttempts) {
  Harness h;
  const auto root = parse(R"({"provider":"a","request_timeout":1000,"retry":{"attempts":5}})");
  auto walk = h.walk(root);
  auto step = walk.next();
  EXPECT_EQ(step->time_left, 1000ms);
  h.now += 990ms;
  walk.report(status(500));  // a 50 ms wait would pass the deadline: no retry
  EXPECT_FALSE(walk.next());
  EXPECT_EQ(walk.outcome().status, 500);

  Harness h2;
  const auto nested = parse(R"({"request_timeout":1000,"strategy":{"mode":"fallback"},
      "targets":[{"provider":"a","request_timeout":5000},{"provider":"b"}]})");
  auto w2 = h2.walk(nested);
  EXPECT_EQ(w2.next()->time_left, 1000ms);  // the tighter deadline above
  h2.now += 1200ms;
  w2.report({Kind::kTimedOut, 0, std::nullopt});
  EXPECT_FALSE(w2.next());  // b would start after the config's deadline
  EXPECT_EQ(w2.outcome().kind, Kind::kTimedOut);
}

TEST(RouteWalkTest, TimeoutsAreRetriedOnlyWhen408IsListed) {
  Harness h;
  const auto plain = parse(R"({"provider":"a","retry":{"attempts":2}})");
  auto walk = h.walk(plain);
  walk.next();
  walk.report({Kind::kTimedOut, 0, std::nullopt});
  EXPECT_FALSE(walk.next());
  const auto with_408 = parse(R"({"provider":"a","retry":{"attempts":2,"on_status_codes":[408]}})");
  auto listed = h.walk(with_408);
  listed.next();
  listed.report({Kind::kTimedOut, 0, std::nullopt});
  EXPECT_TRUE(listed.next());
}

TEST(RouteWalkTest, LoadBalanceFollowsWeightsAndSkipsOpenBreakers) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"loadbalance"},
      "targets":[{"provider":"a","weight":1},{"provider":"b","weight":3},{"provider":"c","weight":0}]})");
  h.random = 0.1;  // 0.4 of 4: a
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "a");
  h.random = 0.3;  // 1.2 of 4: b
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "b");
  h.random = 0.999;
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "b");  // weight 0 is never picked
  h.open = {"a"};
  h.random = 0.1;
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "b");
  // One pick: a failure is the request's (no fallback inside loadbalance).
  auto walk = h.walk(root);
  walk.next();
  walk.report(status(500));
  EXPECT_FALSE(walk.next());
}

TEST(RouteWalkTest, FallbackSkipsOpenBreakersAndReportsWhenAllAreOpen) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback"},
      "targets":[{"provider":"a"},{"provider":"b"}]})");
  h.open = {"a"};
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "b");
  h.open = {"a", "b"};
  auto walk = h.walk(root);
  EXPECT_FALSE(walk.next());
  EXPECT_FALSE(walk.tried_any());
}

// Every routed target is subject to its breaker, whatever the strategy that chose it.
TEST(RouteWalkTest, SingleConditionalAndLoneProviderConfigsRespectOpenBreakers) {
  Harness h;
  h.open = {"a"};
  h.params["model"] = "m";
  for (const char* text :
       {R"({"provider":"a","retry":{"attempts":2}})",
        R"({"strategy":{"mode":"single"},"targets":[{"provider":"a"}]})",
        R"({"strategy":{"mode":"conditional","conditions":[{"query":{"params.model":"m"},)"
        R"("then":"x"}]},"targets":[{"name":"x","provider":"a"}]})"}) {
    const auto root = parse(text);
    auto walk = h.walk(root);
    EXPECT_FALSE(walk.next()) << text;
    EXPECT_FALSE(walk.tried_any()) << text;
    EXPECT_FALSE(walk.no_condition_matched()) << text;
  }
}

TEST(RouteWalkTest, ConditionalPicksTheFirstMatchElseTheDefault) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"conditional","conditions":[
      {"query":{"metadata.tier":{"$eq":"gold"}},"then":"fast"},
      {"query":{"params.model":{"$regex":"^claude"}},"then":"anthropic"}],"default":"cheap"},
      "targets":[{"name":"fast","provider":"a"},{"name":"anthropic","provider":"b"},
                 {"name":"cheap","provider":"c"}]})");
  h.metadata["tier"] = "gold";
  h.params["model"] = "claude-x";
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "a");
  h.metadata.clear();
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "b");
  h.params["model"] = "gpt";
  EXPECT_EQ(h.walk(root).next()->leaf->provider, "c");

  const auto no_default = parse(R"({"strategy":{"mode":"conditional","conditions":[
      {"query":{"params.model":"x"},"then":"t"}]},"targets":[{"name":"t","provider":"a"}]})");
  auto walk = h.walk(no_default);
  EXPECT_FALSE(walk.next());
  EXPECT_TRUE(walk.no_condition_matched());
}

TEST(RouteWalkTest, NestedFallbackThenLoadBalance) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback"},"targets":[
      {"strategy":{"mode":"fallback"},"targets":[{"provider":"a"},{"provider":"b"}]},
      {"provider":"c","retry":{"attempts":1}}]})");
  auto walk = h.walk(root);
  EXPECT_EQ(walk.next()->leaf->provider, "a");
  walk.report(status(500));
  EXPECT_EQ(walk.next()->leaf->provider, "b");
  walk.report(status(500));
  auto step = walk.next();
  EXPECT_EQ(step->leaf->provider, "c");
  EXPECT_EQ(step->leaf->path, "config.targets[1]");
  walk.report(status(503));
  EXPECT_EQ(walk.next()->retry, 1);
  walk.report(status(503));
  EXPECT_FALSE(walk.next());
}

TEST(RouteWalkTest, ATargetThatCannotServeIsSkipped) {
  Harness h;
  const auto root = parse(R"({"strategy":{"mode":"fallback"},
      "targets":[{"provider":"a"},{"provider":"b"}]})");
  auto walk = h.walk(root);
  walk.next();
  walk.report({Kind::kSkipped, 0, std::nullopt});
  EXPECT_EQ(walk.next()->leaf->provider, "b");
  walk.report({Kind::kSkipped, 0, std::nullopt});
  EXPECT_FALSE(walk.next());
  EXPECT_FALSE(walk.tried_any());
  EXPECT_EQ(walk.outcome().kind, Kind::kSkipped);
}

TEST(RetryAfterTest, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("7", 0), 7000ms);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0ms);
  EXPECT_FALSE(parse_retry_after("-1", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000ms);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111790), 0ms);
  EXPECT_EQ(parse_retry_after("99999999", 0), Millis(86'400'000));  // a day at most
}

}  // namespace
}  // namespace aigw::routing
