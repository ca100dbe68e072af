// HTTP/1.1 keep-alive on both sides: several requests on one client connection, upstream
// connections reused, Connection: close honoured, and idle connections closed after idle_timeout.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

TEST(KeepAliveTest, SeveralRequestsShareOneClientConnection) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai) + "  mock: {}\n");
  HttpConnection c(gw.port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.request("GET", "/").status, 200);
  EXPECT_EQ(c.request("HEAD", "/").status, 200);
  for (int i = 0; i < 3; ++i) {
    const auto r =
        c.request("POST", "/v1/chat/completions", with_provider("openai"), R"({"model":"gpt-4o"})");
    ASSERT_EQ(r.status, 200) << i << " " << r.error;
    EXPECT_TRUE(r.keep_alive);
  }
  const auto mock =
      c.request("POST", "/v1/chat/completions", with_provider("mock"), R"({"model":"m"})");
  EXPECT_EQ(mock.status, 200);
  // An error answer keeps the connection too.
  EXPECT_EQ(c.request("POST", "/v1/chat/completions", {}, "{}").status, 400);
  EXPECT_EQ(c.request("GET", "/").status, 200);
}

TEST(KeepAliveTest, UpstreamConnectionIsReusedAcrossRequests) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai) + "server: { threads: 1 }\n");
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}")
                  .status,
              200);
  }
  ASSERT_EQ(openai.requests().size(), 4u);
  EXPECT_EQ(openai.connections_accepted(), 1u);
}

TEST(KeepAliveTest, ConnectionCloseFromTheClientIsHonoured) {
  AigwProcess gw("");
  HttpConnection c(gw.port());
  const auto r = c.request("GET", "/", {{"Connection", "close"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(c.closed_within(2s));
}

TEST(KeepAliveTest, IdleConnectionIsClosedAfterIdleTimeout) {
  AigwProcess gw("server: { idle_timeout: 400ms }\n");
  HttpConnection c(gw.port());
  ASSERT_EQ(c.request("GET", "/").status, 200);
  const auto answered = Clock::now();
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_GE(Clock::now() - answered, 300ms);  // not closed right after the answer
}

TEST(KeepAliveTest, ConnectionInUseIsNotClosedByTheIdleTimeout) {
  AigwProcess gw("server: { idle_timeout: 400ms }\n");
  HttpConnection c(gw.port());
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(c.request("GET", "/").status, 200) << i;
    std::this_thread::sleep_for(200ms);
  }
  // A request slower than the idle timeout is not cut off by it either.
  const auto slow = c.request("POST", "/v1/chat/completions",
                              with_provider("mock", {{"x-aigw-mock-latency-ms", "700"}}), "{}");
  EXPECT_EQ(slow.status, 200) << slow.error;
}

}  // namespace
}  // namespace aigw::testing
