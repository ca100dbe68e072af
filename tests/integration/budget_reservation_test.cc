// Issue 9 "no free tokens", end to end against the real aigw and fake providers over sockets:
// what is in flight counts (200 concurrent requests against a budget with 1 token left: one
// passes, the bound of budget_tracker.h), and a stream that does not reach the provider's usage
// — the caller leaves, or the provider breaks off — is charged the estimate of what it consumed,
// marked as estimated in the ledger, exactly once.
#include <gtest/gtest.h>

#include <atomic>
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

// A chat request whose prompt the gateway estimates at 3 (request) + 4 (message) + 400 / 4
// = 107 tokens (docs/configuration.md, the estimate rule).
constexpr std::int64_t kPromptEstimate = 107;
std::string long_chat_request(const std::string& extra) {
  return chat_request("gpt-4o", extra, std::string(400, 'q'));
}

std::int64_t used_tokens(const AigwProcess& gw) {
  const auto r = http_request(gw.port(), "GET", "/v1/budget");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? int_at(r.json().at("used"), "tokens") : -1;
}

// Waits (polling, with a deadline) until `done` holds.
template <typename Done>
bool eventually(Done done, std::chrono::milliseconds within = 60s) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST(BudgetReservationTest, TwoHundredConcurrentRequestsAgainstOneTokenLeftPassOne) {
  auto gate = std::make_shared<Gate>();
  FakeUpstream openai([&](const UpstreamRequest& r) {
    // The first request uses 999 of the 1,000 tokens; every later one is held until released.
    if (r.body.find("use it up") != std::string::npos) {
      return Reply::json(200, openai_chat_answer("ok", 990, 9));
    }
    Reply reply = Reply::json(200, openai_chat_answer("ok", 10, 5));
    reply.gate = gate;
    return reply;
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 1000, period: daily } }\n");
  const auto first = http_request(gw.port(), "POST", "/v1/chat/completions",
                                  with_provider("openai"), chat_request("gpt-4o", "", "use it up"));
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(used_tokens(gw), 999);

  constexpr int kRequests = 200;
  std::atomic<int> passed{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::mutex mutex;
  std::string refusal;
  std::vector<std::thread> threads;
  threads.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&] {
      HttpConnection conn(gw.port(), 120s);
      const auto r = conn.request("POST", "/v1/chat/completions", with_provider("openai"),
                                  chat_request("gpt-4o", ",\"max_tokens\":50"));
      if (r.status == 200) {
        ++passed;
      } else if (r.status == 429) {
        ++refused;
        std::lock_guard lock(mutex);
        refusal = r.body;
      } else {
        ++other;
      }
    });
  }
  // Every request has been answered 429 or is held at the provider: only then release them.
  const bool settled_in = eventually([&] {
    return refused.load() + other.load() + static_cast<int>(openai.requests().size()) - 1 >=
           kRequests;
  });
  gate->open();
  for (auto& t : threads) t.join();
  EXPECT_TRUE(settled_in) << "refused " << refused << ", at the provider "
                          << openai.requests().size() - 1;
  EXPECT_EQ(other.load(), 0);
  // The bound: at most one request beyond the budget, however many arrive at once.
  EXPECT_EQ(passed.load(), 1);
  EXPECT_EQ(refused.load(), kRequests - 1);
  EXPECT_EQ(openai.requests().size(), 2u);
  EXPECT_NE(refusal.find("budget_exceeded"), std::string::npos) << refusal;
  EXPECT_EQ(used_tokens(gw), 999 + 15);

  // The reservation was replaced by the usage: nothing stays reserved.
  const auto b = http_request(gw.port(), "GET", "/v1/budget").json();
  EXPECT_EQ(int_at(b.at("reserved"), "tokens"), 0) << b;
  EXPECT_EQ(int_at(b.at("reserved"), "requests"), 0) << b;
  const auto next = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                                 chat_request());
  EXPECT_TRUE(is_openai_error(
      next, 429, "team \"default\" used 1,014 of its 1,000 tokens for the daily budget"));
}

TEST(BudgetReservationTest, AReservationIsReleasedWhenTheProviderRefuses) {
  std::atomic<bool> fail{true};
  FakeUpstream openai([&](const UpstreamRequest&) {
    if (fail) return Reply::json(500, R"({"error":{"message":"boom","type":"server_error"}})");
    return Reply::json(200, openai_chat_answer("ok", 10, 5));
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 100, period: daily } }\n");
  for (int i = 0; i < 3; ++i) {
    const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                                chat_request());
    EXPECT_EQ(r.status, 500) << r.body;
  }
  // Released when each request ends (just after its answer is sent): nothing charged.
  EXPECT_TRUE(eventually([&] {
    const auto b = http_request(gw.port(), "GET", "/v1/budget").json();
    return b.is_object() && b.at("reserved").at("tokens") == 0 &&
           b.at("reserved").at("requests") == 0;
  }));
  EXPECT_EQ(used_tokens(gw), 0);
  fail = false;
  EXPECT_EQ(http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                         chat_request())
                .status,
            200);
}

// The stream of these tests: two deltas of 40 bytes of text (20 tokens by the estimate), then —
// after `gate` — empty deltas a few ms apart (so the gateway writes again and notices a caller
// that left), then the provider's usage and [DONE].
std::vector<StreamChunk> held_stream(const std::shared_ptr<Gate>& gate) {
  std::vector<StreamChunk> chunks;
  chunks.push_back({0ms, openai_delta_event(std::string(40, 'a')), nullptr});
  chunks.push_back({0ms, openai_delta_event(std::string(40, 'b')), nullptr});
  for (int i = 0; i < 200; ++i)
    chunks.push_back({5ms, openai_delta_event(""), i == 0 ? gate : nullptr});
  chunks.push_back({0ms, openai_usage_event(500, 500), nullptr});
  chunks.push_back({0ms, openai_done_event(), nullptr});
  return chunks;
}

constexpr std::int64_t kStreamedEstimate = kPromptEstimate + 20;

void expect_one_estimated_row(const AigwProcess& gw, std::int64_t requests, std::int64_t tokens,
                              std::int64_t estimated_tokens) {
  const auto report = usage_report(gw.port(), "group_by=team");
  ASSERT_TRUE(report.is_object());
  const auto& totals = report.at("totals");
  EXPECT_EQ(int_at(totals, "requests"), requests) << report;
  EXPECT_EQ(int_at(totals, "input_tokens") + int_at(totals, "output_tokens"), tokens) << report;
  EXPECT_EQ(int_at(totals, "estimated_requests"), 1) << report;
  EXPECT_EQ(int_at(totals, "estimated_tokens"), estimated_tokens) << report;
}

struct StopReading {};

TEST(BudgetReservationTest, ACallerLeavingAChatStreamBeforeItsUsageIsChargedTheEstimateOnce) {
  auto gate = std::make_shared<Gate>();
  std::atomic<int> calls{0};
  FakeUpstream openai([&](const UpstreamRequest&) {
    if (calls++ > 0) return Reply::json(200, openai_chat_answer("ok", 10, 5));
    Reply r = Reply::sse({});
    r.chunks = held_stream(gate);
    return r;
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  {
    HttpConnection conn(gw.port(), 30s);
    std::string seen;
    try {
      conn.request("POST", "/v1/chat/completions", with_provider("openai"),
                   long_chat_request(",\"stream\":true"), [&](const BodyChunk& c) {
                     seen += c.data;
                     if (seen.find(std::string(40, 'b')) != std::string::npos) throw StopReading{};
                   });
      ADD_FAILURE() << "the stream ended before the caller left: " << seen;
    } catch (const StopReading&) {
    }
    conn.close();  // most of the answer read; the caller leaves before the usage chunk
  }
  gate->open();
  ASSERT_TRUE(gw.wait_for_line("client went away mid-stream", 30s)) << gw.stdout_text();
  // The prompt estimate plus the 80 bytes of text streamed, not the provider's later 500 + 500.
  EXPECT_EQ(used_tokens(gw), kStreamedEstimate);
  expect_one_estimated_row(gw, 1, kStreamedEstimate, kStreamedEstimate);

  // Exactly once: the provider's end never adds to it; the next request adds only its own.
  const auto next = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                                 chat_request());
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(used_tokens(gw), kStreamedEstimate + 15);
  expect_one_estimated_row(gw, 2, kStreamedEstimate + 15, kStreamedEstimate);
}

TEST(BudgetReservationTest, AProviderBreakingAChatStreamBeforeItsUsageIsChargedTheEstimate) {
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::broken_sse(
        {openai_delta_event(std::string(40, 'a')), openai_delta_event(std::string(40, 'b'))});
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "teams:\n  default: { budget: { tokens: 100000, period: daily } }\n");
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              long_chat_request(",\"stream\":true"));
  EXPECT_EQ(r.status, 200);  // the stream had begun; it ends with an error event
  EXPECT_NE(r.body.find(std::string(40, 'b')), std::string::npos) << r.body;
  EXPECT_EQ(used_tokens(gw), kStreamedEstimate);
  expect_one_estimated_row(gw, 1, kStreamedEstimate, kStreamedEstimate);
  const auto b = http_request(gw.port(), "GET", "/v1/budget").json();
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1) << b;
  EXPECT_EQ(int_at(b.at("reserved"), "tokens"), 0) << b;
}

}  // namespace
}  // namespace aigw::testing
