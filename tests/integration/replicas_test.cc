// Several aigw replicas sharing one real redis-server (`state: { backend: redis }`): one team
// budget enforced across them with the ledger equal to what the provider served, an admin
// change made on one replica in force on the others, and Redis
// going away — budgets fail closed (or open, as configured), rate limits as
// state.on_failure.limits says, /readyz says so, and the usage of the requests answered
// meanwhile is delivered once when Redis is back.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <memory>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/redis_server.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kIn = 10;
constexpr int kOut = 5;  // 15 tokens per answer

class ReplicasTest : public ::testing::Test {
 protected:
  struct Setup {
    std::string more_yaml;  // spliced into `state: {…}`
    std::string dir;        // the data directory, kept for a restart (empty: a fresh one)
    std::string flush_interval = "20ms";
    std::string stale_after = "60s";
    std::string top_yaml;    // more top-level keys (limits:)
    int budget_tokens = 45;  // the default team's daily budget: 3 answers of 15 tokens
  };
  static Setup in_dir(const std::string& dir, const std::string& flush_interval = "20ms") {
    Setup s;
    s.dir = dir;
    s.flush_interval = flush_interval;
    return s;
  }
  // Out of date 300 ms after Redis is lost; `more_yaml` e.g. the fail mode.
  static Setup stale_soon(const std::string& more_yaml = "") {
    Setup s;
    s.more_yaml = more_yaml;
    s.stale_after = "300ms";
    return s;
  }
  // With these `limits:` and a budget far above what the limit tests send.
  static Setup limited(const std::string& limits_yaml) {
    Setup setup;
    setup.top_yaml = limits_yaml;
    setup.budget_tokens = 100'000;
    return setup;
  }
  std::unique_ptr<AigwProcess> replica() { return replica(Setup()); }
  std::unique_ptr<AigwProcess> replica(const Setup& setup) {
    AigwOptions options;
    options.dir = setup.dir;
    return std::make_unique<AigwProcess>(
        providers_yaml(&openai_) +
            "auth: { enabled: false, admin_without_auth: loopback }\n"
            "state: { backend: redis, url: \"" +
            redis_.url() + "\", flush_interval: " + setup.flush_interval +
            ", stale_after: " + setup.stale_after + ", timeout: 200ms" + setup.more_yaml +
            " }\n"
            "teams:\n  default: { budget: { tokens: " +
            std::to_string(setup.budget_tokens) + ", period: daily } }\n" + setup.top_yaml,
        std::move(options));
  }
  static HttpResponse chat(const AigwProcess& gw) {
    return http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                        chat_request());
  }
  static std::int64_t used_tokens(const AigwProcess& gw) {
    const auto r = http_request(gw.port(), "GET", "/v1/budget");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto v = r.json();
    const auto* used = v.is_object() ? v.as_object().if_contains("used") : nullptr;
    if (used == nullptr || !used->is_object()) {
      ADD_FAILURE() << r.body;
      return -1;
    }
    return int_at(*used, "tokens");
  }
  // Waits until `gw` counts `tokens` for the team (its own and the other replicas').
  static bool sees(const AigwProcess& gw, std::int64_t tokens) {
    for (int i = 0; i < 250; ++i) {
      if (used_tokens(gw) == tokens) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  static bool readiness_is(const AigwProcess& gw, int status) {
    for (int i = 0; i < 250; ++i) {
      if (http_request(gw.port(), "GET", "/readyz").status == status) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  static bool stderr_says(const AigwProcess& gw, const std::string& text) {
    for (int i = 0; i < 250; ++i) {
      if (gw.stderr_text().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  static std::int64_t ledger_requests(const AigwProcess& gw) {
    const auto report = usage_report(gw.port(), "group_by=team");
    const auto& rows = report.at("rows").as_array();
    return rows.empty() ? 0 : int_at(rows.at(0), "requests");
  }

  RedisServer redis_{{"--appendonly", "yes"}};
  // Whole answers of 15 tokens; a stream is slow (a delta every 200 ms) so that a test can
  // kill the replica in the middle of it.
  FakeUpstream openai_{[](const UpstreamRequest& r) {
    if (r.body.find("\"stream\":true") == std::string::npos)
      return Reply::json(200, openai_chat_answer("hello", kIn, kOut));
    std::vector<std::string> events;
    for (int i = 0; i < 20; ++i) events.push_back(openai_delta_event("tok"));
    events.push_back(openai_usage_event(kIn, 20));
    events.push_back(openai_done_event());
    return Reply::sse(std::move(events), 200ms);
  }};
};

TEST_F(ReplicasTest, OneTeamBudgetIsEnforcedAcrossReplicasAndTheLedgerMatchesWhatWasServed) {
  auto a = replica();
  auto b = replica();
  ASSERT_EQ(chat(*a).status, 200);
  ASSERT_TRUE(sees(*b, 15)) << "b never saw a's usage";
  ASSERT_EQ(chat(*b).status, 200);
  ASSERT_TRUE(sees(*a, 30));
  ASSERT_EQ(chat(*a).status, 200);  // 45 of 45: used up
  ASSERT_TRUE(sees(*b, 45));

  const auto refused = chat(*b);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.body.find("used 45 of its 45 tokens"), std::string::npos) << refused.body;
  EXPECT_EQ(openai_.requests().size(), 3u);  // the refused one never reached the provider
  EXPECT_EQ(ledger_requests(*a), 3);
  EXPECT_EQ(ledger_requests(*b), 3);
}

// Requests spread over two replicas, paced so that syncs (every 20 ms) happen between them:
// without sharing each replica would let `limit` through, 2 × limit in all.
int served_across(const AigwProcess& a, const AigwProcess& b, int requests) {
  int served = 0;
  for (int i = 0; i < requests; ++i) {
    const auto r = http_request((i % 2 == 0 ? a : b).port(), "POST", "/v1/chat/completions",
                                with_provider("openai"), chat_request());
    if (r.status == 200) ++served;
    std::this_thread::sleep_for(30ms);
  }
  return served;
}

TEST_F(ReplicasTest, OneIpLimitIsEnforcedAcrossReplicas) {
  auto a = replica(limited("limits: { ip: { requests: 10, window: 60s } }\n"));
  auto b = replica(limited("limits: { ip: { requests: 10, window: 60s } }\n"));
  const int served = served_across(*a, *b, 24);
  EXPECT_GE(served, 10);
  EXPECT_LE(served, 12);  // the limit, and what one sync interval can hide (docs/configuration.md)
  const auto refused = chat(*a);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.body.find("127.0.0.1"), std::string::npos) << refused.body;
}

TEST_F(ReplicasTest, OneTeamRequestLimitIsEnforcedAcrossReplicas) {
  auto a = replica(limited("limits: { team: { requests_per_minute: 10 } }\n"));
  auto b = replica(limited("limits: { team: { requests_per_minute: 10 } }\n"));
  const int served = served_across(*a, *b, 24);
  EXPECT_GE(served, 10);
  EXPECT_LE(served, 12);
  const auto refused = chat(*b);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("x-ratelimit-remaining-requests"), "0") << refused.body;
}

TEST_F(ReplicasTest, ABudgetRaisedThroughOneReplicaIsInForceOnTheOthers) {
  auto a = replica();
  auto b = replica();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(chat(*a).status, 200);
  ASSERT_TRUE(sees(*b, 45));
  ASSERT_EQ(chat(*b).status, 429);

  const auto raised = http_request(a->port(), "POST", "/admin/teams/default/budget",
                                   {{"Content-Type", "application/json"}}, R"({"tokens":1000})");
  ASSERT_EQ(raised.status, 200) << raised.body;
  HttpResponse served;
  for (int i = 0; i < 250; ++i) {  // b applies the change at its next sync
    served = chat(*b);
    if (served.status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.header("x-aigw-budget-limit-tokens"), "1000");
  auto c = replica();  // a newcomer reads it at start
  const auto r = http_request(c->port(), "GET", "/v1/budget");
  EXPECT_NE(r.body.find("\"tokens\":1000"), std::string::npos) << r.body;
}

// A period switched through one replica (daily → weekly) starts, on every replica, from what
// the ledger holds for the new period — not from zero on the ones that only reloaded.
TEST_F(ReplicasTest, APeriodSwitchedThroughOneReplicaKeepsTheUseOnTheOthers) {
  auto a = replica();
  auto b = replica();
  for (int i = 0; i < 2; ++i) ASSERT_EQ(chat(*a).status, 200);
  ASSERT_TRUE(sees(*b, 30));
  const auto switched =
      http_request(a->port(), "POST", "/admin/teams/default/budget",
                   {{"Content-Type", "application/json"}}, R"({"tokens":45,"period":"weekly"})");
  ASSERT_EQ(switched.status, 200) << switched.body;
  std::string status;
  for (int i = 0; i < 250; ++i) {  // b applies the change at its next sync
    status = http_request(b->port(), "GET", "/v1/budget").body;
    if (status.find("\"weekly\"") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(status.find("\"weekly\""), std::string::npos) << status;
  EXPECT_EQ(used_tokens(*b), 30);
  EXPECT_EQ(used_tokens(*a), 30);
  EXPECT_EQ(chat(*b).status, 200);  // 30 < 45
  EXPECT_TRUE(sees(*a, 45));
  EXPECT_EQ(chat(*b).status, 429);
}

TEST_F(ReplicasTest, AReplicaKilledBeforeItShippedItsUsageShipsItOnceWhenItComesBack) {
  TempDir dir;
  {
    auto a = replica(in_dir(dir.path(), "10s"));  // ships nothing for 10 s
    ASSERT_EQ(chat(*a).status, 200);
    ASSERT_EQ(chat(*a).status, 200);
    a->send_signal(SIGKILL);
    a->wait_exit(5s);
  }
  auto b = replica();
  EXPECT_EQ(used_tokens(*b), 0);  // nothing reached Redis: it is all in a's journals
  auto again = replica(in_dir(dir.path()));
  EXPECT_TRUE(sees(*b, 30));
  EXPECT_EQ(ledger_requests(*b), 2);
  auto third = replica();  // a later start counts nothing twice
  EXPECT_TRUE(sees(*third, 30));
  EXPECT_EQ(ledger_requests(*third), 2);
}

TEST_F(ReplicasTest, AReplicaKilledMidStreamLosesNoAnsweredUsageAndCountsNoneTwice) {
  TempDir dir;
  {
    auto a = replica(in_dir(dir.path()));
    ASSERT_EQ(chat(*a).status, 200);
    ASSERT_EQ(chat(*a).status, 200);
    ASSERT_TRUE(sees(*a, 30));  // shipped
    std::thread streaming([&] {
      http_request(a->port(), "POST", "/v1/chat/completions", with_provider("openai"),
                   chat_request("gpt-4o", R"(,"stream":true)"));
    });
    while (openai_.requests().size() < 3) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(300ms);  // a delta or two are through
    a->send_signal(SIGKILL);
    a->wait_exit(5s);
    streaming.join();
  }
  // The stream was charged in the journal before its first bytes went out (the prompt's
  // estimate): when the replica comes back on its journals, that and the answered requests'
  // usage reach Redis, once.
  auto again = replica(in_dir(dir.path()));
  ASSERT_EQ(chat(*again).status, 200);
  auto b = replica();
  for (int i = 0; i < 250 && ledger_requests(*b) < 4; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ledger_requests(*b), 4);
  const std::int64_t used = used_tokens(*b);
  EXPECT_GT(used, 45) << "the cut stream was not charged";
  EXPECT_TRUE(sees(*again, used));
  auto third = replica();  // a later start counts nothing twice
  EXPECT_TRUE(sees(*third, used));
  EXPECT_EQ(ledger_requests(*third), 4);
}

TEST_F(ReplicasTest, RedisDownFailsBudgetsClosedAndRecoveryCountsNothingTwice) {
  auto a = replica(stale_soon());
  ASSERT_EQ(chat(*a).status, 200);
  ASSERT_TRUE(readiness_is(*a, 200));

  redis_.kill();
  ASSERT_TRUE(readiness_is(*a, 503)) << "readiness never said the state is down";
  const auto ready = http_request(a->port(), "GET", "/readyz");
  EXPECT_NE(ready.body.find("redis"), std::string::npos) << ready.body;
  EXPECT_EQ(http_request(a->port(), "GET", "/").status, 200);  // alive all the same

  ASSERT_TRUE(stderr_says(*a, "usage is out of date")) << a->stderr_text();
  const auto refused = chat(*a);  // closed: the shared totals are older than stale_after
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("state_unavailable"), std::string::npos) << refused.body;
  const std::size_t served_while_down = openai_.requests().size() - 1;

  redis_.start();
  ASSERT_TRUE(readiness_is(*a, 200));
  ASSERT_EQ(chat(*a).status, 200);
  auto b = replica();  // a newcomer reads everything from Redis
  const auto served = static_cast<std::int64_t>(openai_.requests().size());
  EXPECT_TRUE(sees(*b, served * 15));
  EXPECT_EQ(ledger_requests(*b), served);
  EXPECT_EQ(served, 2 + static_cast<std::int64_t>(served_while_down));
  EXPECT_TRUE(stderr_says(*a, "redis unreachable")) << a->stderr_text();
  EXPECT_TRUE(stderr_says(*a, "is reachable again")) << a->stderr_text();
}

TEST_F(ReplicasTest, RedisDownWithBudgetsFailingOpenServesAndDeliversTheUsageOnceBack) {
  auto a = replica(stale_soon(", on_failure: { budgets: open }"));
  ASSERT_EQ(chat(*a).status, 200);
  redis_.kill();
  ASSERT_TRUE(readiness_is(*a, 503));
  ASSERT_TRUE(stderr_says(*a, "usage is out of date")) << a->stderr_text();
  ASSERT_EQ(chat(*a).status, 200);
  ASSERT_EQ(chat(*a).status, 200);
  redis_.start();
  ASSERT_TRUE(readiness_is(*a, 200));
  auto b = replica(stale_soon(", on_failure: { budgets: open }"));
  EXPECT_TRUE(sees(*b, 45));
  EXPECT_EQ(ledger_requests(*b), 3);
}

TEST_F(ReplicasTest, RedisDownFailsLimitsClosedOnlyWhereConfiguredAndTheyServeAgainOnceBack) {
  Setup closed = stale_soon(", on_failure: { budgets: open, limits: closed }");
  closed.top_yaml = "limits: { team: { requests_per_minute: 1000 } }\n";
  closed.budget_tokens = 100'000;
  Setup open = closed;
  open.more_yaml = ", on_failure: { budgets: open }";  // limits: open is the default
  auto a = replica(closed);
  auto b = replica(open);
  ASSERT_EQ(chat(*a).status, 200);
  ASSERT_EQ(chat(*b).status, 200);

  redis_.kill();
  ASSERT_TRUE(stderr_says(*a, "rate-limit counts are out of date")) << a->stderr_text();
  const auto refused = chat(*a);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("state_unavailable"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("state.on_failure.limits"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.header("retry-after"), "1");
  ASSERT_TRUE(stderr_says(*b, "rate-limit counts are out of date")) << b->stderr_text();
  EXPECT_EQ(chat(*b).status, 200);  // open: counted against what b knows

  redis_.start();
  ASSERT_TRUE(stderr_says(*a, "is reachable again")) << a->stderr_text();
  EXPECT_EQ(chat(*a).status, 200);
}

}  // namespace
}  // namespace aigw::testing
