// Drain on SIGTERM / SIGINT: new connections refused, idle ones closed, in-flight streams finish
// (bounded by drain_timeout), exit 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

// Waits until the gateway holds `n` requests in flight (GET /v1/budget's reserved.requests:
// admitted, not yet settled), so a test signals the gateway once a request is inside it
// rather than after a guessed sleep.
bool wait_for_in_flight(std::uint16_t port, std::int64_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto r = http_request(port, "GET", "/v1/budget");
    if (r.status == 200) {
      const auto budget = boost::json::parse(r.body).as_object();
      if (budget.at("reserved").as_object().at("requests").to_number<std::int64_t>() >= n)
        return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Waits until the listener is closed: the drain has begun.
bool wait_for_listener_closed(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (connection_refused(port)) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST(DrainTest, SigtermLetsTheStreamInFlightFinishRefusesNewConnectionsAndExitsZero) {
  FakeUpstream openai([](const UpstreamRequest&) {
    std::vector<std::string> events;
    for (int i = 0; i < 8; ++i) events.push_back(openai_delta_event("e" + std::to_string(i)));
    events.push_back(openai_done_event());
    return Reply::sse(events, 150ms);
  });
  AigwProcess gw(providers_yaml(&openai) + "server: { drain_timeout: 10s }\n");
  const auto port = gw.port();
  std::promise<void> first_chunk;
  std::atomic<bool> signalled{false};
  auto stream = std::async(std::launch::async, [&] {
    return http_request(port, "POST", "/v1/chat/completions", with_provider("openai"),
                        R"({"stream":true})", [&](const BodyChunk&) {
                          if (!signalled.exchange(true)) first_chunk.set_value();
                        });
  });
  ASSERT_EQ(first_chunk.get_future().wait_for(5s), std::future_status::ready);
  gw.send_signal(SIGTERM);
  std::this_thread::sleep_for(300ms);  // the stream is still going (about 1.2 s in all)
  EXPECT_TRUE(connection_refused(port)) << "the listener is still open during the drain";
  const auto r = stream.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_NE(r.body.find(openai_delta_event("e7") + openai_done_event()), std::string::npos)
      << r.body;
  EXPECT_EQ(gw.wait_exit(10s), 0);
  EXPECT_TRUE(openai.wait_for_finished(1, 2s));
}

TEST(DrainTest, SigintDrainsLikeSigterm) {
  AigwProcess gw("");
  auto slow = std::async(std::launch::async, [&] {
    return http_request(gw.port(), "POST", "/v1/chat/completions",
                        with_provider("mock", {{"x-aigw-mock-latency-ms", "800"}}), "{}");
  });
  ASSERT_TRUE(wait_for_in_flight(gw.port(), 1, 5s));
  gw.send_signal(SIGINT);
  const auto r = slow.get();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(gw.wait_exit(10s), 0);
}

TEST(DrainTest, IdleKeepAliveConnectionsAreClosedAndAnIdleGatewayExitsAtOnce) {
  AigwProcess gw("server: { drain_timeout: 20s, idle_timeout: 60s }\n");
  HttpConnection idle(gw.port());
  ASSERT_EQ(idle.request("GET", "/").status, 200);
  const auto signalled = Clock::now();
  gw.send_signal(SIGTERM);
  EXPECT_TRUE(idle.closed_within(3s));
  EXPECT_EQ(gw.wait_exit(5s), 0);
  EXPECT_LT(Clock::now() - signalled, 5s) << "an idle connection must not hold the drain";
}

TEST(DrainTest, RequestArrivingOnAnOpenConnectionIsServedWithConnectionClose) {
  AigwProcess gw("server: { drain_timeout: 10s }\n");
  HttpConnection busy(gw.port());
  HttpConnection arriving(gw.port());
  ASSERT_TRUE(arriving.connected());
  // Keep the gateway draining for a while with a slow request on `busy`.
  auto slow = std::async(std::launch::async, [&] {
    return busy.request("POST", "/v1/chat/completions",
                        with_provider("mock", {{"x-aigw-mock-latency-ms", "1000"}}), "{}");
  });
  ASSERT_TRUE(wait_for_in_flight(gw.port(), 1, 5s));
  // The first bytes of a request are on their way when the drain begins…
  ASSERT_TRUE(arriving.send_raw("GET / HTTP/1.1\r\nHost: x\r\n"));
  // (The one pause left: the gateway must have read the partial head, which it does not
  // announce; a later read would find it all the same.)
  std::this_thread::sleep_for(100ms);
  gw.send_signal(SIGTERM);
  ASSERT_TRUE(wait_for_listener_closed(gw.port(), 5s));
  // …and the rest after: it is still served, with Connection: close.
  ASSERT_TRUE(arriving.send_raw("Accept: */*\r\n\r\n"));
  const auto r = arriving.read_response();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_FALSE(r.keep_alive) << "an answer during the drain must carry Connection: close";
  EXPECT_TRUE(arriving.closed_within(2s));
  const auto s = slow.get();
  EXPECT_EQ(s.status, 200) << s.error;
  EXPECT_EQ(gw.wait_exit(10s), 0);
}

// /readyz during the drain: a probe that reaches the replica (a request already on its way
// when the listener closed) hears 503 "draining", while GET / would still say alive.
TEST(DrainTest, ReadinessSaysDrainingWhileTheDrainRuns) {
  AigwProcess gw("server: { drain_timeout: 10s }\n");
  HttpConnection busy(gw.port());
  HttpConnection probe(gw.port());
  ASSERT_TRUE(probe.connected());
  auto slow = std::async(std::launch::async, [&] {
    return busy.request("POST", "/v1/chat/completions",
                        with_provider("mock", {{"x-aigw-mock-latency-ms", "1000"}}), "{}");
  });
  ASSERT_TRUE(wait_for_in_flight(gw.port(), 1, 5s));
  ASSERT_TRUE(probe.send_raw("GET /readyz HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(100ms);  // as above: the partial head must have been read
  gw.send_signal(SIGTERM);
  ASSERT_TRUE(wait_for_listener_closed(gw.port(), 5s));
  ASSERT_TRUE(probe.send_raw("\r\n"));
  const auto r = probe.read_response();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("draining"), std::string::npos) << r.body;
  EXPECT_EQ(slow.get().status, 200);
  EXPECT_EQ(gw.wait_exit(10s), 0);
}

TEST(DrainTest, DrainTimeoutBoundsTheWaitForAStuckStream) {
  FakeUpstream openai([](const UpstreamRequest&) {
    Reply reply = Reply::sse({openai_delta_event("a"), openai_delta_event("b")});
    reply.chunks[1].delay = 30s;
    return reply;
  });
  AigwProcess gw(providers_yaml(&openai) +
                 "server: { drain_timeout: 500ms }\nupstream: { read_timeout: 60s }\n");
  std::promise<void> first_chunk;
  std::atomic<bool> signalled{false};
  auto stream = std::async(std::launch::async, [&] {
    return http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                        R"({"stream":true})", [&](const BodyChunk&) {
                          if (!signalled.exchange(true)) first_chunk.set_value();
                        });
  });
  ASSERT_EQ(first_chunk.get_future().wait_for(5s), std::future_status::ready);
  const auto signalled_at = Clock::now();
  gw.send_signal(SIGTERM);
  const auto code = gw.wait_exit(5s);
  EXPECT_EQ(code, 0);
  EXPECT_LT(Clock::now() - signalled_at, 3s);
  const auto r = stream.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(openai_delta_event("a")), std::string::npos);
}

}  // namespace
}  // namespace aigw::testing
