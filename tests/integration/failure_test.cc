// What users see when a provider or the gateway itself is in trouble, as the troubleshooting
// page describes it: 502, 504, 429 passed through, 503 when overloaded.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <future>

#include "support/gateway_process.h"
#include "support/test_client.h"
#include "support/test_upstream.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string one_provider(const std::string& base_url, const std::string& extra = "") {
  return extra + "providers:\n  openai: { dialect: openai, base_url: " + base_url + ", api_key: sk-test }\n";
}

std::string error_message(const TestResponse& r) {
  const auto v = json::parse(r.body).as_object();
  return std::string(v.at("error").at("message").as_string());
}

TEST(ProviderFailureTest, UnreachableProviderIs502NamingIt) {
  GatewayProcess gw(one_provider("http://127.0.0.1:" + std::to_string(closed_port()) + "/v1"));
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(error_message(r).find("provider \"openai\" is unreachable"), std::string::npos) << r.body;
  EXPECT_NE(error_message(r).find("refused"), std::string::npos) << r.body;
}

TEST(ProviderFailureTest, RejectedProviderKeyIs502InvalidOrRevoked) {
  FakeUpstream openai([](const RecordedRequest&, Exchange& x) {
    x.respond(401, R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})");
  });
  GatewayProcess gw(one_provider(openai.base_url()));
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(error_message(r).find("the provider API key is invalid or revoked"), std::string::npos) << r.body;
}

TEST(ProviderFailureTest, Provider429PassesThroughWithRetryAfter) {
  FakeUpstream openai([](const RecordedRequest&, Exchange& x) {
    x.respond(429, R"({"error":{"message":"Rate limit reached","type":"requests"}})",
              {{"content-type", "application/json"}, {"retry-after", "17"}});
  });
  GatewayProcess gw(one_provider(openai.base_url()));
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "17");
  EXPECT_NE(r.body.find("Rate limit reached"), std::string::npos);
}

TEST(ProviderFailureTest, SilentProviderIs504AfterReadTimeout) {
  FakeUpstream openai([](const RecordedRequest&, Exchange& x) { x.hang(); });
  GatewayProcess gw(one_provider(openai.base_url(), "upstream: { read_timeout: 400ms }\n"));
  const auto started = Clock::now();
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(error_message(r).find("timed out"), std::string::npos);
  EXPECT_LT(Clock::now() - started, 5s);
}

TEST(ProviderFailureTest, ProviderClosingBeforeAnsweringIs502) {
  FakeUpstream openai([](const RecordedRequest&, Exchange& x) { x.drop(); });
  GatewayProcess gw(one_provider(openai.base_url()));
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(error_message(r).find("closed the connection"), std::string::npos) << r.body;
}

TEST(ProviderFailureTest, OtherProviderErrorsKeepTheirStatusAndBody) {
  FakeUpstream openai([](const RecordedRequest&, Exchange& x) {
    x.respond(400, R"({"error":{"message":"model not found","type":"invalid_request_error"}})");
  });
  GatewayProcess gw(one_provider(openai.base_url()));
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_message(r), "model not found");
}

TEST(TlsTest, VerifiedWithTheTestCaAndRefusedWithoutIt) {
  const std::string dir = make_temp_dir();
  const auto certs = make_test_certificates(dir);
  FakeUpstream openai([](const RecordedRequest& r, Exchange& x) { x.respond(200, R"({"sni_ok":true,"host":")" + r.header("host") + "\"}"); }, &certs);
  {
    GatewayProcess gw(one_provider(openai.base_url(), "upstream: { ca_file: " + certs.ca_cert + " }\n"));
    const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("localhost:" + std::to_string(openai.port())), std::string::npos);
  }
  {
    GatewayProcess gw(one_provider(openai.base_url()));
    const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{}");
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(error_message(r).find("certificate verify failed"), std::string::npos) << r.body;
  }
}

TEST(OverloadTest, OverTheInFlightCapIs503WithRetryAfter) {
  GatewayProcess gw("server: { max_in_flight: 2, overload_retry_after: 3 }\n");
  auto slow = [&] {
    return http(gw.port(), "POST", "/v1/chat/completions",
                {{"x-portkey-provider", "mock"}, {"x-aigw-mock-latency-ms", "1500"}}, "{}");
  };
  auto a = std::async(std::launch::async, slow);
  auto b = std::async(std::launch::async, slow);
  std::this_thread::sleep_for(400ms);
  const auto shed = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "mock"}}, "{}");
  EXPECT_EQ(shed.status, 503);
  EXPECT_EQ(shed.header("retry-after"), "3");
  EXPECT_NE(error_message(shed).find("gateway overloaded"), std::string::npos);
  EXPECT_EQ(a.get().status, 200);
  EXPECT_EQ(b.get().status, 200);
  EXPECT_EQ(http(gw.port(), "GET", "/").status, 200);  // the health check is never shed
}

TEST(LimitsTest, OversizeHeadersAre431AndBodiesAre413) {
  GatewayProcess gw("server: { max_header_bytes: 2KiB, max_body_bytes: 1KiB }\n");
  const auto h = http(gw.port(), "GET", "/", {{"x-big", std::string(4000, 'a')}});
  EXPECT_EQ(h.status, 431);
  EXPECT_NE(error_message(h).find("2048-byte limit"), std::string::npos);
  const auto b = http(gw.port(), "POST", "/v1/messages", {{"x-portkey-provider", "mock"}}, std::string(5000, 'b'));
  EXPECT_EQ(b.status, 413);
  EXPECT_EQ(json::parse(b.body).at("error").at("type"), "request_too_large");  // Anthropic-shaped
}

TEST(LimitsTest, SlowClientIsCutOffAndIdleConnectionsClosed) {
  GatewayProcess gw("server: { request_timeout: 300ms, idle_timeout: 500ms }\n");
  TestConnection slow(gw.port());
  slow.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":");
  EXPECT_TRUE(slow.closed_within(3s));
  TestConnection idle(gw.port());
  EXPECT_EQ(idle.request("GET", "/").status, 200);
  const auto before = Clock::now();
  EXPECT_TRUE(idle.closed_within(3s));
  EXPECT_GT(Clock::now() - before, 300ms);
}

TEST(LimitsTest, MalformedRequestIs400) {
  GatewayProcess gw("");
  TestConnection c(gw.port());
  c.send_raw("GARBAGE\r\n\r\n");
  const auto r = c.read_response();
  EXPECT_EQ(r.status, 400);
}

TEST(DrainTest, SigtermFinishesTheStreamInFlightRefusesNewConnectionsAndExitsZero) {
  GatewayProcess gw("server: { drain_timeout: 10s }\n");
  auto stream = std::async(std::launch::async, [&] {
    return http(gw.port(), "POST", "/v1/chat/completions",
                {{"x-portkey-provider", "mock"}, {"x-aigw-mock-chunk-delay-ms", "100"}}, R"({"stream":true})");
  });
  std::this_thread::sleep_for(300ms);
  gw.send_signal(SIGTERM);
  std::this_thread::sleep_for(200ms);
  bool refused = false;
  try {
    refused = http(gw.port(), "GET", "/").status == 0;
  } catch (const std::exception&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  const auto r = stream.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos) << r.error;
  EXPECT_EQ(gw.wait_exit(10s), 0);
}

TEST(ConfigErrorTest, BadConfigStopsStartWithTheKeyAndLine) {
  EXPECT_THROW(
      {
        try {
          GatewayProcess gw("server:\n  max_bdy_bytes: 5\n");
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("server.max_bdy_bytes (line 3)"), std::string::npos) << e.what();
          throw;
        }
      },
      std::runtime_error);
}

}  // namespace
}  // namespace aigw::testing
