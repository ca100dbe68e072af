// The per-provider circuit breaker: closed → open (in a row, or by rate), open → half-open
// after open_for with one probe at a time, and back.
#include "routing/breaker.h"

#include <gtest/gtest.h>

namespace aigw::routing {
namespace {

using namespace std::chrono_literals;
using TimePoint = Breakers::TimePoint;

TEST(BreakerTest, OpensAfterConsecutiveFailuresAndHalfOpensAfterOpenFor) {
  Breakers b;
  BreakerSettings s;
  s.consecutive_failures = 3;
  s.open_for = 1000ms;
  TimePoint t{1h};
  b.record("a", true, t, s);
  b.record("a", true, t, s);
  EXPECT_TRUE(b.allow("a", t, s));
  b.record("a", true, t, s);
  EXPECT_FALSE(b.allow("a", t, s));
  EXPECT_EQ(b.view("a", t, s).state, BreakerState::kOpen);
  EXPECT_EQ(b.view("a", t + 400ms, s).retry_in, 600ms);
  EXPECT_TRUE(b.allow("b", t, s));  // other providers are not affected
  // After open_for: one probe at a time.
  EXPECT_EQ(b.view("a", t + 1000ms, s).state, BreakerState::kHalfOpen);
  EXPECT_TRUE(b.allow("a", t + 1000ms, s));
  EXPECT_FALSE(b.allow("a", t + 1001ms, s));
  // The probe fails: open again, for another open_for.
  b.record("a", true, t + 1100ms, s);
  EXPECT_FALSE(b.allow("a", t + 1500ms, s));
  EXPECT_TRUE(b.allow("a", t + 2100ms, s));
  // It succeeds: closed, every request goes through.
  b.record("a", false, t + 2200ms, s);
  EXPECT_EQ(b.view("a", t + 2200ms, s).state, BreakerState::kClosed);
  EXPECT_TRUE(b.allow("a", t + 2200ms, s));
  EXPECT_TRUE(b.allow("a", t + 2200ms, s));
}

TEST(BreakerTest, ASuccessResetsTheRunButNotTheRate) {
  Breakers b;
  BreakerSettings s;
  s.consecutive_failures = 3;
  TimePoint t{1h};
  for (int i = 0; i < 9; ++i) {
    b.record("a", false, t, s);
    b.record("a", true, t, s);
  }
  EXPECT_TRUE(b.allow("a", t, s));  // never 3 in a row; 18 requests, below min_requests
  b.record("a", false, t, s);
  b.record("a", true, t, s);
  // 10 of 20 failed: min_requests (20) reached at failure_rate 0.5.
  EXPECT_FALSE(b.allow("a", t, s));
  // A success while open (a request that did not ask the breaker) closes it.
  b.record("a", false, t, s);
  EXPECT_TRUE(b.allow("a", t, s));
}

TEST(BreakerTest, OpensByFailureRateOnlyWithEnoughRequests) {
  Breakers b;
  BreakerSettings s;
  s.consecutive_failures = 0;  // only the rate
  s.min_requests = 10;
  s.failure_rate = 0.5;
  s.window = 10s;
  TimePoint t{1h};
  for (int i = 0; i < 4; ++i) {
    b.record("a", true, t, s);
    b.record("a", false, t, s);
  }
  EXPECT_TRUE(b.allow("a", t, s));  // 8 requests: not enough to judge
  b.record("a", false, t, s);
  b.record("a", true, t, s);  // 10 requests, 5 failed
  EXPECT_FALSE(b.allow("a", t, s));
}

TEST(BreakerTest, OldFailuresLeaveTheWindow) {
  Breakers b;
  BreakerSettings s;
  s.consecutive_failures = 0;
  s.min_requests = 4;
  s.window = 1000ms;
  TimePoint t{1h};
  b.record("a", true, t, s);
  b.record("a", true, t, s);
  b.record("a", true, t, s);
  const auto later = t + 2000ms;
  b.record("a", false, later, s);
  b.record("a", false, later, s);
  b.record("a", false, later, s);
  b.record("a", true, later, s);  // 1 of 4 in the window
  EXPECT_TRUE(b.allow("a", later, s));
  EXPECT_EQ(b.view("a", later, s).window_requests, 4);
}

TEST(BreakerTest, AStaleProbeIsReplaced) {
  Breakers b;
  BreakerSettings s;
  s.consecutive_failures = 1;
  s.open_for = 100ms;
  TimePoint t{1h};
  b.record("a", true, t, s);
  EXPECT_TRUE(b.allow("a", t + 100ms, s));   // the probe; its caller never reports
  EXPECT_FALSE(b.allow("a", t + 150ms, s));  // still in flight
  EXPECT_TRUE(b.allow("a", t + 201ms, s));   // given up on: a new probe
}

}  // namespace
}  // namespace aigw::routing
