// Three aigw replicas sharing one redis-server behind a real nginx, the deployment of
// docs/deploy.md: under concurrent load one team budget holds across them (within the stated
// overshoot) and the ledger is exactly what the provider served; one IP limit holds too; and
// Redis restarted in the middle of the load loses no usage and counts none twice.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/nginx_server.h"
#include "support/redis_server.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kReplicas = 3;
constexpr int kThreads = 4;

class LoadBalancedTest : public ::testing::Test {
 protected:
  void start(const std::string& more_yaml) {
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < kReplicas; ++i) {
      replicas_.push_back(
          std::make_unique<AigwProcess>(providers_yaml(&openai_) +
                                        "auth: { enabled: false, admin_without_auth: loopback }\n"
                                        "state: { backend: redis, url: \"" +
                                        redis_.url() + "\", flush_interval: 20ms }\n" + more_yaml));
      ports.push_back(replicas_.back()->port());
    }
    nginx_ = std::make_unique<NginxServer>(ports);
  }
  // kThreads callers, `each` requests apiece, through nginx; the 200s.
  int load(int each) {
    std::atomic<int> served{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < kThreads; ++t) {
      callers.emplace_back([&] {
        for (int i = 0; i < each; ++i) {
          const auto r = http_request(nginx_->port(), "POST", "/v1/chat/completions",
                                      with_provider("openai"), chat_request());
          if (r.status == 200) ++served;
        }
      });
    }
    for (auto& c : callers) c.join();
    return served.load();
  }
  // `n` requests through nginx one at a time, `gap` apart; the 200s (every other answer must
  // be a refusal: 429, a limit or a spent budget).
  int paced(int n, std::chrono::milliseconds gap) {
    int served = 0;
    for (int i = 0; i < n; ++i) {
      const auto r = http_request(nginx_->port(), "POST", "/v1/chat/completions",
                                  with_provider("openai"), chat_request());
      if (r.status == 200) {
        ++served;
      } else {
        EXPECT_EQ(r.status, 429) << r.body;
      }
      std::this_thread::sleep_for(gap);
    }
    return served;
  }
  // Waits until every replica's report (read from Redis) counts `served` requests.
  void expect_ledger_on_every_replica(int served) {
    for (const auto& r : replicas_) {
      std::int64_t requests = -1;
      for (int i = 0; i < 250 && requests != served; ++i) {
        const auto report = usage_report(r->port(), "group_by=team");
        requests = report.at("rows").as_array().empty()
                       ? 0
                       : int_at(report.at("rows").as_array().at(0), "requests");
        if (requests != served) std::this_thread::sleep_for(20ms);
      }
      EXPECT_EQ(requests, served);
    }
  }

  RedisServer redis_{{"--appendonly", "yes"}};
  FakeUpstream openai_{[](const UpstreamRequest&) {
    return Reply::json(200, openai_chat_answer("hello", 10, 5));  // 15 tokens
  }};
  std::vector<std::unique_ptr<AigwProcess>> replicas_;
  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(LoadBalancedTest, OneTeamBudgetHoldsAcrossThreeReplicasAndTheLedgerIsWhatWasServed) {
  start("teams:\n  default: { budget: { tokens: 300, period: daily } }\n");  // 20 answers
  // One request at a time, five flush intervals (20 ms) apart, through the proxy that takes
  // turns: each replica has read the others' charges back by then (shipped and read every
  // interval), so 20 are served and the rest refused, give or take an answer still on its way.
  // Replicas counting alone would each serve 10 of their 10: all 30. (How far a burst at full
  // speed overshoots depends on the machine's speed, and concurrent requests are refused
  // earlier by what they reserve: neither is tested here.)
  const int served = paced(30, 100ms);
  EXPECT_GE(served, 20);
  EXPECT_LE(served, 22);
  EXPECT_EQ(openai_.requests().size(), static_cast<std::size_t>(served));
  expect_ledger_on_every_replica(served);  // every replica reads the same ledger
}

TEST_F(LoadBalancedTest, ARedisRestartUnderLoadLosesNoUsageAndCountsNoneTwice) {
  start("");  // no budget: everything is served while Redis is away
  int served = 0;
  std::thread caller([&] { served = load(60); });  // 240 requests through nginx
  // Mid-load: Redis dies (SIGKILL; its append-only file keeps what it acknowledged) after 40
  // answers, the replicas serve 60 more without it, and it comes back on the same port and
  // directory for the last 140.
  const auto wait_for_answers = [&](std::size_t n) {
    while (openai_.requests().size() < n) std::this_thread::sleep_for(1ms);
  };
  wait_for_answers(40);
  redis_.kill();
  wait_for_answers(100);
  redis_.start();
  caller.join();
  EXPECT_EQ(served, kThreads * 60);
  EXPECT_EQ(openai_.requests().size(), static_cast<std::size_t>(served));
  expect_ledger_on_every_replica(served);
}

TEST_F(LoadBalancedTest, OneIpLimitHoldsAcrossThreeReplicasBehindTheProxy) {
  start("limits: { ip: { requests: 20, window: 60s, trusted_proxies: [ \"127.0.0.1/32\" ] } }\n");
  // 12 from one client address at once, through the proxy (4 on each replica): under the
  // limit however it is counted, all served.
  EXPECT_EQ(load(3), 12);
  // Then one at a time, five flush intervals (20 ms) apart: one window across the three, so 8
  // more are served and the rest refused, give or take what a replica cannot know yet. It
  // reads a key's total back at the sync after it used the key (sliding_window.h), so with the
  // proxy taking turns it has not seen what the other two served since its own last request:
  // at most 2 more. Replicas counting alone would each serve 16 more: all 24. (How far a burst
  // at full speed overshoots depends on the machine's speed: not tested.)
  std::this_thread::sleep_for(100ms);
  const int served = paced(24, 100ms);
  EXPECT_GE(served, 8);
  EXPECT_LE(served, 10);
  EXPECT_EQ(openai_.requests().size(), static_cast<std::size_t>(12 + served));
}

}  // namespace
}  // namespace aigw::testing
