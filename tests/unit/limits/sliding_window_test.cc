// The sliding-window counter: accuracy, exact Retry-After, clock races, sweeping, threads.
#include "limits/sliding_window.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

namespace aigw::limits {
namespace {

using std::chrono::milliseconds;

TEST(SlidingWindowTest, AllowsUpToTheLimitThenSaysWhenToRetry) {
  SlidingWindowLimiter l(3, milliseconds(10'000));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check_and_count("1.2.3.4", 1'000 + i).allowed);
  const auto d = l.check_and_count("1.2.3.4", 1'010);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, 3);
  EXPECT_EQ(d.remaining, 0);
  // The window ends at 10 s, but then those 3 weigh fully as the previous window; they must
  // fade to 2 (a third of the next window): 8.99 s + 3.33 s.
  EXPECT_EQ(d.retry_after_seconds, 13);
  EXPECT_FALSE(l.check_and_count("1.2.3.4", 1'010 + 12'000).allowed);
  EXPECT_TRUE(l.check_and_count("1.2.3.4", 1'010 + 13'000).allowed);
  EXPECT_TRUE(l.check_and_count("5.6.7.8", 1'010).allowed);  // keys are independent
}

TEST(SlidingWindowTest, RemainingCountsDownAndResetCoversTheCountedRequests) {
  SlidingWindowCounter c(milliseconds(60'000));
  auto d = c.check_and_count("team", 5, 0);
  EXPECT_EQ(d.remaining, 4);
  EXPECT_EQ(d.reset_ms, 120'000);  // until this request has slid out of the next window too
  d = c.check_and_count("team", 5, 30'000);
  EXPECT_EQ(d.remaining, 3);
  EXPECT_EQ(d.reset_ms, 90'000);
}

TEST(SlidingWindowTest, RetryAfterIsExactForRandomTraffic) {
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    const std::int64_t limit = 1 + static_cast<std::int64_t>(rng() % 50);
    const std::int64_t window = 1'000 * (1 + static_cast<std::int64_t>(rng() % 120));
    SlidingWindowCounter c(milliseconds{window});
    std::int64_t now = static_cast<std::int64_t>(rng() % 1'000'000);
    WindowDecision d;
    // Traffic until the first refusal, with random gaps.
    for (int i = 0; i < 10'000 && (d = c.check_and_count("k", limit, now)).allowed; ++i) {
      now += static_cast<std::int64_t>(rng() % static_cast<unsigned>(window / limit + 1));
    }
    ASSERT_FALSE(d.allowed);
    ASSERT_GE(d.retry_after_seconds, 1);
    // A second earlier is still too soon (unless the wait was under a second), on time is fine.
    if (d.retry_after_seconds > 1) {
      const std::int64_t early = now + (d.retry_after_seconds - 1) * 1'000 - 1;
      EXPECT_FALSE(c.peek("k", limit, early).allowed) << "round " << round;
    }
    EXPECT_TRUE(c.peek("k", limit, now + d.retry_after_seconds * 1'000).allowed)
        << "round " << round;
  }
}

TEST(SlidingWindowTest, PreviousWindowWeighsLessAsTimeGoesOn) {
  SlidingWindowLimiter l(10, milliseconds(10'000));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(l.check_and_count("k", 9'000).allowed);
  // At 10.5 s the previous window still counts 95%: 9.5 + 0 → not even one more fits.
  EXPECT_FALSE(l.check_and_count("k", 10'500).allowed);
  // At 15 s it counts 50%: five more fit.
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += l.check_and_count("k", 15'000).allowed;
  EXPECT_EQ(allowed, 5);
  // Two windows later everything is forgotten.
  EXPECT_TRUE(l.check_and_count("k", 40'000).allowed);
}

TEST(SlidingWindowTest, EvenTrafficGetsTheLimitPerWindow) {
  // 20 requests a second against 100 per 10 s: over a minute about 600 get through.
  SlidingWindowLimiter l(100, milliseconds(10'000));
  int allowed = 0;
  for (std::int64_t t = 0; t < 60'000; t += 50) allowed += l.check_and_count("k", t).allowed;
  EXPECT_GE(allowed, 590);
  EXPECT_LE(allowed, 610);
}

TEST(SlidingWindowTest, NeverMoreThanTwiceTheLimitInAnyWindow) {
  SlidingWindowLimiter l(100, milliseconds(1'000));
  int allowed = 0;
  for (std::int64_t t = 0; t < 1'000; ++t) allowed += l.check_and_count("k", 500 + t).allowed;
  EXPECT_LE(allowed, 200);
  EXPECT_GE(allowed, 100);
}

TEST(SlidingWindowTest, AnOlderClockReadDoesNotResetTheWindow) {
  SlidingWindowCounter c(milliseconds(10'000));
  for (int i = 0; i < 5; ++i) c.check_and_count("k", 100, 10'500);
  // A thread that read the clock at 9.999 s takes the lock after the window rolled to 10 s.
  c.check_and_count("k", 100, 9'999);
  EXPECT_DOUBLE_EQ(c.estimate("k", 10'600), 6.0);
}

TEST(SlidingWindowTest, ZeroLimitIsOff) {
  SlidingWindowLimiter off(0, milliseconds(1'000));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.check_and_count("k", i).allowed);
  EXPECT_EQ(off.tracked_keys(), 0u);
}

TEST(SlidingWindowTest, IdleKeysAreSweptIncrementallyByLaterTraffic) {
  SlidingWindowLimiter l(5, milliseconds(1'000));
  for (int i = 0; i < 1000; ++i) l.check_and_count("ip" + std::to_string(i), 0);
  EXPECT_EQ(l.tracked_keys(), 1000u);
  // Two windows later each call sweeps a few buckets of its shard: the idle keys go.
  for (int i = 0; i < 8000; ++i) l.check_and_count("new" + std::to_string(i % 500), 5'000);
  EXPECT_EQ(l.tracked_keys(), 500u);
}

TEST(SlidingWindowTest, OneBusyKeyAlsoSweepsTheOtherShards) {
  SlidingWindowLimiter l(5, milliseconds(1'000));
  for (int i = 0; i < 1000; ++i) l.check_and_count("ip" + std::to_string(i), 0);
  for (int i = 0; i < 50'000; ++i) l.check_and_count("busy", 5'000);
  EXPECT_EQ(l.tracked_keys(), 1u);
}

TEST(SlidingWindowTest, KeysStillInTheirWindowAreNotSwept) {
  SlidingWindowLimiter l(5, milliseconds(1'000));
  for (int i = 0; i < 100; ++i) l.check_and_count("ip" + std::to_string(i), 900);
  for (int i = 0; i < 4000; ++i) l.check_and_count("new" + std::to_string(i % 50), 1'500);
  EXPECT_EQ(l.tracked_keys(), 150u);
}

TEST(SlidingWindowTest, ConcurrentChecksNeverAdmitMoreThanTheLimit) {
  SlidingWindowLimiter l(1'000, milliseconds(60'000));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += l.check_and_count("shared", 1'000).allowed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1'000);
}

TEST(SlidingWindowTest, AddCountsUnconditionallyAndPeekCountsNothing) {
  SlidingWindowCounter c(milliseconds(60'000));
  EXPECT_TRUE(c.peek("k", 100, 0).allowed);
  EXPECT_EQ(c.tracked_keys(), 0u);  // a look at an unknown key keeps nothing
  const auto after = c.add("k", 150, 0, 100);
  EXPECT_FALSE(after.allowed);
  EXPECT_EQ(after.remaining, 0);
  EXPECT_FALSE(c.peek("k", 100, 1).allowed);
  EXPECT_DOUBLE_EQ(c.estimate("k", 1), 150.0);
}

// limits.ip.max_tracked: a flood of new addresses cannot grow the table past the cap.
TEST(SlidingWindowTest, TrackedKeysNeverPassTheCap) {
  SlidingWindowLimiter l(5, milliseconds(60'000), 160);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_TRUE(l.check_and_count("ip" + std::to_string(i), i).allowed);
    ASSERT_LE(l.tracked_keys(), 160u) << i;
  }
  EXPECT_EQ(l.tracked_keys(), 160u);  // full, every shard at its share
  // The cap is rounded up to a multiple of the shard count, never down to 0.
  SlidingWindowLimiter tiny(5, milliseconds(60'000), 1);
  for (int i = 0; i < 1'000; ++i) tiny.check_and_count("ip" + std::to_string(i), i);
  EXPECT_LE(tiny.tracked_keys(), SlidingWindowCounter::kShards);
}

// When the table is full the least recently seen key goes: a client that keeps hammering (and
// is refused) stays limited through a flood of new addresses; one that went quiet is forgotten.
TEST(SlidingWindowTest, AtTheCapTheLeastRecentlySeenKeyIsEvicted) {
  SlidingWindowLimiter l(5, milliseconds(60'000), 160);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(l.check_and_count("hammering", 0).allowed);
    ASSERT_TRUE(l.check_and_count("quiet", 0).allowed);
  }
  for (int i = 0; i < 10'000; ++i) {
    l.check_and_count("flood" + std::to_string(i), 1 + i / 1'000);
    if (i % 4 == 0) {
      EXPECT_FALSE(l.check_and_count("hammering", 1 + i / 1'000).allowed) << i;
    }
  }
  EXPECT_FALSE(l.check_and_count("hammering", 20).allowed);  // still counted: still refused
  EXPECT_TRUE(l.check_and_count("quiet", 20).allowed);       // evicted: starts afresh
  EXPECT_LE(l.tracked_keys(), 160u);
}

// Keys whose windows have slid out are dropped before any live one: a full table of expired
// keys makes room for new ones without forgetting a live count.
TEST(SlidingWindowTest, AtTheCapExpiredKeysGoFirst) {
  SlidingWindowLimiter l(2, milliseconds(1'000), 160);
  for (int i = 0; i < 1'000; ++i) l.check_and_count("old" + std::to_string(i), 0);
  ASSERT_EQ(l.tracked_keys(), 160u);
  // Two windows later: the old keys have expired.
  ASSERT_TRUE(l.check_and_count("live", 5'000).allowed);
  ASSERT_TRUE(l.check_and_count("live", 5'000).allowed);
  for (int i = 0; i < 100; ++i) l.check_and_count("new" + std::to_string(i), 5'100);
  EXPECT_FALSE(l.check_and_count("live", 5'200).allowed);
  EXPECT_LE(l.tracked_keys(), 160u);
  EXPECT_GE(l.tracked_keys(), 101u);  // the live key and the new ones are all there
}

}  // namespace
}  // namespace aigw::limits

namespace aigw::limits {
namespace {

// Redis as the shared store adds it up: per key and window, what every replica handed out.
class FakeSharedTotals {
 public:
  void sync(SlidingWindowCounter& replica, std::int64_t now_ms) {
    for (auto counts : replica.take_unshared(now_ms)) {
      const std::int64_t w = replica.window_ms();
      totals_[{counts.key, counts.window_start_ms}] += counts.current;
      totals_[{counts.key, counts.window_start_ms - w}] += counts.previous;
      counts.current = totals_[{counts.key, counts.window_start_ms}];
      counts.previous = totals_[{counts.key, counts.window_start_ms - w}];
      replica.set_shared(counts);
    }
  }

 private:
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> totals_;
};

TEST(SlidingWindowSharedTest, ReplicasEnforceOneLimitOnceTheirCountsAreShared) {
  SlidingWindowCounter a(milliseconds(60'000));
  SlidingWindowCounter b(milliseconds(60'000));
  FakeSharedTotals redis;
  const std::int64_t t = 1'800'000'000'000;  // unix ms, at a window's start
  redis.sync(a, t);                          // sharing starts: nothing to hand out yet
  redis.sync(b, t);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(a.check_and_count("10.0.0.0/24", 10, t).allowed);
  redis.sync(a, t + 10);
  redis.sync(b, t + 10);  // b never used the key: nothing of it is read back yet
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(b.check_and_count("10.0.0.0/24", 10, t + 20).allowed);
  redis.sync(b, t + 30);  // b hands out its 4 and learns a's 6
  EXPECT_FALSE(b.check_and_count("10.0.0.0/24", 10, t + 40).allowed);
  EXPECT_DOUBLE_EQ(b.estimate("10.0.0.0/24", t + 40), 10);
  ASSERT_TRUE(a.check_and_count("10.0.0.0/24", 10, t + 40).allowed);  // a has not heard yet
  redis.sync(a, t + 50);
  EXPECT_FALSE(a.check_and_count("10.0.0.0/24", 10, t + 60).allowed);
  EXPECT_DOUBLE_EQ(a.estimate("10.0.0.0/24", t + 60), 11);  // 7 own + 4 of b's, not its own twice

  // Next window: the counts fade as previous ones, the others' with them.
  const std::int64_t half = t + 60'000 + 30'000;
  EXPECT_DOUBLE_EQ(a.estimate("10.0.0.0/24", half), 5.5);  // (7 + 4) / 2
  EXPECT_DOUBLE_EQ(b.estimate("10.0.0.0/24", half), 5.0);  // (4 + the 6 it heard of) / 2
  ASSERT_TRUE(b.check_and_count("10.0.0.0/24", 10, half).allowed);
  redis.sync(b, half);                                     // used again: b hears of a's 7th
  EXPECT_DOUBLE_EQ(b.estimate("10.0.0.0/24", half), 6.5);  // 11 / 2 + 1
}

TEST(SlidingWindowSharedTest, StaleCountsRefuseLimitedKeysOnlyWhenLimitsFailClosed) {
  SlidingWindowCounter open(milliseconds(60'000));
  SlidingWindowCounter closed(milliseconds(60'000));
  closed.set_fail_mode(state::FailMode::kClosed);
  const std::int64_t t = 1'800'000'000'000;
  for (SlidingWindowCounter* c : {&open, &closed}) c->set_shared_current(false);
  EXPECT_TRUE(open.check_and_count("team", 10, t).allowed);  // open: counts on with what it knows
  const WindowDecision refused = closed.check_and_count("team", 10, t);
  EXPECT_FALSE(refused.allowed);
  EXPECT_TRUE(refused.unavailable);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_TRUE(closed.peek("team", 10, t).unavailable);
  EXPECT_DOUBLE_EQ(closed.estimate("team", t), 0);            // a refusal counts nothing
  EXPECT_TRUE(closed.check_and_count("team", 0, t).allowed);  // no limit: nothing to check
  closed.set_shared_current(true);
  const WindowDecision back = closed.check_and_count("team", 10, t + 1);
  EXPECT_TRUE(back.allowed);
  EXPECT_FALSE(back.unavailable);
}

TEST(SlidingWindowSharedTest, TakeUnsharedHandsEachCountOutOnce) {
  SlidingWindowCounter c(milliseconds(1000));
  const std::int64_t t = 5'000;
  EXPECT_TRUE(c.take_unshared(t).empty());
  c.check_and_count("k", 100, t, 3);
  c.add("k", 2, t + 1);
  auto counts = c.take_unshared(t + 2);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].key, "k");
  EXPECT_EQ(counts[0].window_start_ms, 5'000);
  EXPECT_EQ(counts[0].current, 5);
  EXPECT_TRUE(c.take_unshared(t + 3).empty());  // nothing new
  c.add("k", 1, t + 1'500);                     // the next window
  counts = c.take_unshared(t + 1'600);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].window_start_ms, 6'000);
  EXPECT_EQ(counts[0].current, 1);
  EXPECT_EQ(counts[0].previous, 0);  // handed out already
}

}  // namespace
}  // namespace aigw::limits
