// The usage ledger across restarts under load: a few client threads keep requests flowing, aigw
// is killed (SIGKILL) or stopped (SIGTERM), a second aigw starts on the same state dir, and its
// /admin/usage totals are compared with what the clients got complete answers for and with
// what the fake provider served.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kIn = 10;
constexpr int kOut = 5;
constexpr int kStreamDeltas = 30;

// Client threads sending chat requests on kept-alive connections until stopped, noting when
// each complete answer arrived.
class Load {
 public:
  Load(std::uint16_t port, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, port] {
        auto conn = std::make_unique<HttpConnection>(port, 5s);
        while (!stop_) {
          if (!conn->connected()) {
            std::this_thread::sleep_for(5ms);
            conn = std::make_unique<HttpConnection>(port, 5s);
            continue;
          }
          const auto r = conn->request("POST", "/v1/chat/completions", with_provider("openai"),
                                       chat_request());
          const bool complete =
              r.status == 200 && r.error.empty() &&
              r.body.find("\"prompt_tokens\":" + std::to_string(kIn)) != std::string::npos;
          if (complete) {
            std::lock_guard lock(mutex_);
            completed_.push_back(Clock::now());
          }
          if (!complete || !r.keep_alive) conn = std::make_unique<HttpConnection>(port, 5s);
        }
      });
    }
  }
  ~Load() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::int64_t completed() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(completed_.size());
  }
  std::int64_t completed_before(Clock::time_point t) const {
    std::lock_guard lock(mutex_);
    std::int64_t n = 0;
    for (const auto& at : completed_) n += at < t ? 1 : 0;
    return n;
  }

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Clock::time_point> completed_;
  std::vector<std::thread> threads_;
};

// The ledger as a restarted gateway reports it.
struct Ledger {
  std::int64_t requests = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t budget_requests = 0;  // the budget counters restored at start
  std::int64_t budget_tokens = 0;
};

Ledger ledger_of(const AigwProcess& gw) {
  Ledger l;
  const auto report = usage_report(gw.port(), "group_by=team");
  if (!report.is_object()) return l;
  const auto& totals = report.at("totals");
  l.requests = int_at(totals, "requests");
  l.input_tokens = int_at(totals, "input_tokens");
  l.output_tokens = int_at(totals, "output_tokens");
  const auto b = http_request(gw.port(), "GET", "/v1/budget");
  EXPECT_EQ(b.status, 200) << b.body;
  if (b.status == 200) {
    l.budget_requests = int_at(b.json().at("used"), "requests");
    l.budget_tokens = int_at(b.json().at("used"), "tokens");
  }
  return l;
}

class LedgerDurabilityTest : public ::testing::Test {
 protected:
  std::string yaml() const {
    return providers_yaml(&openai_) +
           "state: { path: ./data/aigw.db, flush_interval: " + flush_interval_ + " }\n" +
           "limits: { ip: { requests: 0 } }\n"  // the default 2000 per minute would stop the load
           "teams:\n  default: { budget: { tokens: 1000000000, period: daily } }\n";
  }
  AigwOptions in_state() const {
    AigwOptions o;
    o.dir = state_.path();
    return o;
  }
  // Every row is one request of kIn + kOut tokens, counted once in each table.
  static void expect_consistent(const Ledger& l) {
    EXPECT_EQ(l.input_tokens, kIn * l.requests);
    EXPECT_EQ(l.output_tokens, kOut * l.requests);
    EXPECT_EQ(l.budget_requests, l.requests);
    EXPECT_EQ(l.budget_tokens, (kIn + kOut) * l.requests);
  }

  struct KillNine {
    std::int64_t served = 0;           // requests the provider answered
    std::int64_t answered = 0;         // complete answers the clients received
    std::int64_t answered_late = 0;    // … of them within 200 ms before the kill (still queued
                                       // when the ledger committed every 100 ms, before ad03fa8)
    std::uintmax_t journal_bytes = 0;  // in the usage journals when aigw was killed
    Ledger ledger;
  };
  // Load, SIGKILL after `load_for`, restart on the same state dir.
  KillNine kill_nine_under_load(std::chrono::milliseconds load_for) {
    KillNine k;
    Clock::time_point killed_at;
    {
      AigwProcess gw(yaml(), in_state());
      Load load(gw.port(), 3);
      std::this_thread::sleep_for(load_for);
      killed_at = Clock::now();
      gw.send_signal(SIGKILL);
      EXPECT_EQ(gw.wait_exit(10s), 128 + SIGKILL);
      load.stop();
      k.answered = load.completed();
      k.answered_late = k.answered - load.completed_before(killed_at - 200ms);
    }
    k.served = static_cast<std::int64_t>(openai_.requests().size());
    k.journal_bytes = journal_bytes();
    AigwProcess again(yaml(), in_state());
    k.ledger = ledger_of(again);
    std::fprintf(
        stderr,
        "kill -9 under load: provider served %lld, clients got %lld complete answers (%lld of them "
        "in the last 200 ms), the ledger has %lld (lost: %lld)\n",
        static_cast<long long>(k.served), static_cast<long long>(k.answered),
        static_cast<long long>(k.answered_late), static_cast<long long>(k.ledger.requests),
        static_cast<long long>(k.answered - k.ledger.requests));
    return k;
  }

  // What the usage journals (state/usage_journal.h) hold, not yet deleted.
  std::uintmax_t journal_bytes() const {
    std::uintmax_t n = 0;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(state_.path() + "/data/aigw.db.journal", ec)) {
      n += e.file_size(ec);
    }
    return n;
  }

  std::string flush_interval_ = "100ms";
  TempDir state_;
  // Whole answers of kIn + kOut tokens; a stream is slow (kStreamDeltas deltas, one every
  // 100 ms, then the usage) so that a test can kill aigw in the middle of it.
  FakeUpstream openai_{[](const UpstreamRequest& r) {
    if (r.body.find("\"stream\":true") == std::string::npos)
      return Reply::json(200, openai_chat_answer("ok", kIn, kOut));
    std::vector<std::string> events;
    for (int i = 0; i < kStreamDeltas; ++i) events.push_back(openai_delta_event("some text "));
    events.push_back(openai_usage_event(kIn, kStreamDeltas * 2));
    events.push_back(openai_done_event());
    return Reply::sse(std::move(events), 100ms);
  }};
};

// An answered request's usage is in its thread's journal before its answer ends
// (state/usage_journal.h): after a kill -9 under load, every request whose answer a client
// received completely is in the ledger, and none is counted twice (at most what the provider
// served).
TEST_F(LedgerDurabilityTest, KillNineLosesNoAnsweredRequestAndCountsNothingTwice) {
  const auto k = kill_nine_under_load(1000ms);
  ASSERT_GT(k.answered, 20) << "too little load to mean anything";
  ASSERT_GT(k.answered_late, 0) << "no answer close to the kill: the test would prove nothing";
  EXPECT_GE(k.ledger.requests, k.answered)
      << (k.answered - k.ledger.requests) << " answered requests are missing from the ledger";
  EXPECT_LE(k.ledger.requests, k.served) << "a request was counted twice";
  expect_consistent(k.ledger);
}

// The ledger consumes the journals every 10 s, so at the kill every answer's usage is only in
// the journals: the restart replays them before serving, exactly once, and deletes them.
TEST_F(LedgerDurabilityTest, KillNineWithUnconsumedJournalsReplaysThemExactlyOnce) {
  flush_interval_ = "10s";
  const auto k = kill_nine_under_load(1000ms);
  ASSERT_GT(k.answered, 20) << "too little load to mean anything";
  EXPECT_GT(k.journal_bytes, 0u)
      << "nothing was left in the journals: the test would prove nothing";
  EXPECT_GE(k.ledger.requests, k.answered)
      << (k.answered - k.ledger.requests) << " answered requests are missing from the ledger";
  EXPECT_LE(k.ledger.requests, k.served) << "a request was counted twice";
  expect_consistent(k.ledger);
  EXPECT_EQ(journal_bytes(), 0u) << "the replayed journals were not deleted";
  // A second restart finds nothing more to replay.
  AigwProcess again(yaml(), in_state());
  const Ledger l = ledger_of(again);
  EXPECT_EQ(l.requests, k.ledger.requests);
  expect_consistent(l);
}

// A stream is charged before its first bytes go out and again each second while it runs
// (gateway::journal_stream_usage): killed in the middle of one, aigw still charges it when it
// comes back — the prompt's estimate and the text streamed up to the last part — once. A stream
// that ended is charged exactly the provider's counts however many parts it was journaled in.
TEST_F(LedgerDurabilityTest, KillNineMidStreamStillChargesTheStreamOnce) {
  const std::string stream = chat_request("gpt-4o", R"(,"stream":true)");
  {
    AigwProcess gw(yaml(), in_state());
    const auto whole = http_request(gw.port(), "POST", "/v1/chat/completions",
                                    with_provider("openai"), stream);  // ~3 s: four parts
    ASSERT_EQ(whole.status, 200) << whole.body;
    ASSERT_NE(whole.body.find("[DONE]"), std::string::npos);
    std::thread cut([&] {
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), stream);
    });
    while (openai_.requests().size() < 2) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(1500ms);  // past the first second: text is in a part
    gw.send_signal(SIGKILL);
    gw.wait_exit(5s);
    cut.join();
  }
  AigwProcess again(yaml(), in_state());
  const auto report = usage_report(again.port(), "group_by=team");
  ASSERT_TRUE(report.is_object());
  const auto& totals = report.at("totals");
  EXPECT_EQ(int_at(totals, "requests"), 2);
  EXPECT_EQ(int_at(totals, "estimated_requests"), 1);  // the cut one: no provider counts
  const std::int64_t input = int_at(totals, "input_tokens");
  const std::int64_t output = int_at(totals, "output_tokens");
  EXPECT_GT(input, kIn) << "the cut stream's prompt was not charged";
  EXPECT_GT(output, kStreamDeltas * 2) << "the text streamed before the kill was not charged";
  EXPECT_LT(output, kStreamDeltas * 4) << "more than was streamed";
  EXPECT_EQ(int_at(totals, "estimated_tokens"), input - kIn + output - kStreamDeltas * 2);
  const Ledger l = ledger_of(again);
  EXPECT_EQ(l.budget_requests, 2);
  EXPECT_EQ(l.budget_tokens, input + output);
  // Nothing is counted again on a later start.
  again.send_signal(SIGTERM);
  again.wait_exit(10s);
  AigwProcess third(yaml(), in_state());
  const auto later = usage_report(third.port(), "group_by=team").at("totals");
  EXPECT_EQ(int_at(later, "requests"), 2);
  EXPECT_EQ(int_at(later, "input_tokens"), input);
  EXPECT_EQ(int_at(later, "output_tokens"), output);
}

// SIGTERM drains: every answered request is in the ledger, and every one the provider served.
TEST_F(LedgerDurabilityTest, CleanStopUnderLoadLosesNothing) {
  std::int64_t answered = 0;
  {
    AigwProcess gw(yaml(), in_state());
    Load load(gw.port(), 3);
    std::this_thread::sleep_for(1s);
    gw.send_signal(SIGTERM);
    EXPECT_EQ(gw.wait_exit(15s), 0) << gw.stderr_text();
    load.stop();
    answered = load.completed();
  }
  const auto served = static_cast<std::int64_t>(openai_.requests().size());
  ASSERT_GT(answered, 20) << "too little load to mean anything";
  EXPECT_EQ(journal_bytes(), 0u) << "a clean stop consumes and deletes the journals";
  AigwProcess again(yaml(), in_state());
  const Ledger l = ledger_of(again);
  EXPECT_GE(l.requests, answered) << "answered requests lost on a clean stop";
  EXPECT_EQ(l.requests, served) << "every request the provider served is settled, once";
  expect_consistent(l);

  // A second life adds to the first, and the restored budget counters follow.
  ASSERT_EQ(http_request(again.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                         chat_request())
                .status,
            200);
  const Ledger after = ledger_of(again);
  EXPECT_EQ(after.requests, l.requests + 1);
  expect_consistent(after);
}

}  // namespace
}  // namespace aigw::testing
