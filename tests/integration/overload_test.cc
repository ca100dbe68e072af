// Admission control: over server.max_in_flight, 503 + Retry-After at once (no unbounded queue),
// admitted requests still served, the health check never shed.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

HttpResponse slow_mock(std::uint16_t port, const std::string& path = "/v1/chat/completions") {
  return http_request(port, "POST", path,
                      with_provider("mock", {{"x-aigw-mock-latency-ms", "2000"}}),
                      R"({"model":"m","max_tokens":5,"messages":[]})");
}

TEST(OverloadTest, OverTheInFlightCapIs503WithRetryAfterWhileAdmittedRequestsFinish) {
  AigwProcess gw("server: { max_in_flight: 2, overload_retry_after: 3 }\n");
  auto a = std::async(std::launch::async, [&] { return slow_mock(gw.port()); });
  auto b = std::async(std::launch::async, [&] { return slow_mock(gw.port()); });
  std::this_thread::sleep_for(500ms);  // both admitted and waiting on the mock's latency
  const auto started = Clock::now();
  const auto shed =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}");
  EXPECT_LT(Clock::now() - started, 1000ms) << "shed at once, not queued behind the 2 s requests";
  EXPECT_TRUE(is_openai_error(shed, 503, "gateway overloaded"));
  EXPECT_EQ(shed.header("retry-after"), "3");
  const auto shed_anthropic = slow_mock(gw.port(), "/v1/messages");
  EXPECT_TRUE(is_anthropic_error(shed_anthropic, 503, "gateway overloaded"));
  EXPECT_EQ(shed_anthropic.header("retry-after"), "3");
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status,
            200);  // the load balancer's check is never shed
  EXPECT_EQ(a.get().status, 200);
  EXPECT_EQ(b.get().status, 200);
  // Capacity is given back: the next request is served.
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}").status,
      200);
}

TEST(OverloadTest, ManyConcurrentSlowRequestsGetExactlyTheCapServed) {
  AigwProcess gw("server: { max_in_flight: 2 }\n");
  std::vector<std::future<HttpResponse>> calls;
  for (int i = 0; i < 6; ++i)
    calls.push_back(std::async(std::launch::async, [&] { return slow_mock(gw.port()); }));
  int ok = 0;
  int shed = 0;
  for (auto& c : calls) {
    const auto r = c.get();
    if (r.status == 200) ++ok;
    if (r.status == 503) {
      ++shed;
      EXPECT_EQ(r.header("retry-after"), "1");  // the default overload_retry_after
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(shed, 4);
}

}  // namespace
}  // namespace aigw::testing
