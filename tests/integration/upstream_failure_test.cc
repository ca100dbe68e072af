// Provider trouble as the troubleshooting page describes it: 502 unreachable / key rejected /
// connection dropped, 429 passed through with Retry-After, 504 after read_timeout.
#include <gtest/gtest.h>

#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

std::string url_of_closed_port() {
  return "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
}

TEST(UpstreamFailureTest, ProviderDownIs502NamingTheProviderAndTheCause) {
  AigwProcess gw("providers:\n" + provider_entry("openai", "openai", url_of_closed_port()) +
                 provider_entry("anthropic", "anthropic", url_of_closed_port()));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"model":"x"})");
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" is unreachable: "));
  EXPECT_NE(r.error_message().find("refused"), std::string::npos) << r.body;
  const auto m = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"),
                              R"({"model":"x"})");
  EXPECT_TRUE(is_anthropic_error(m, 502, "provider \"anthropic\" is unreachable: "));
}

TEST(UpstreamFailureTest, UnresolvableHostIs502Unreachable) {
  AigwProcess gw("upstream: { connect_timeout: 2s }\nproviders:\n" +
                 provider_entry("openai", "openai", "http://no-such-host.invalid/v1"));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" is unreachable: "));
}

TEST(UpstreamFailureTest, ProviderRejectingTheGatewayKeyIs502InvalidOrRevoked) {
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::json(
        401,
        R"({"error":{"message":"Incorrect API key provided: sk-prov***","type":"invalid_request_error","code":"invalid_api_key"}})");
  });
  FakeUpstream anthropic([](const UpstreamRequest&) {
    return Reply::json(
        403, R"({"type":"error","error":{"type":"permission_error","message":"forbidden"}})");
  });
  AigwProcess gw(providers_yaml(&openai, &anthropic));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 502, "the provider API key is invalid or revoked"));
  const auto m = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"), "{}");
  EXPECT_TRUE(is_anthropic_error(m, 502, "the provider API key is invalid or revoked"));
}

TEST(UpstreamFailureTest, Provider429PassesThroughWithItsRetryAfterAndBody) {
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::json(
        429,
        R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}})",
        {{"Retry-After", "17"}});
  });
  FakeUpstream anthropic([](const UpstreamRequest&) {
    return Reply::json(
        429,
        R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})",
        {{"retry-after", "42"}});
  });
  AigwProcess gw(providers_yaml(&openai, &anthropic));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "17");
  EXPECT_EQ(r.error_message(), "Rate limit reached for gpt-4o");
  const auto m =
      http_request(gw.port(), "POST", "/v1/messages?beta=true", with_provider("anthropic"), "{}");
  EXPECT_EQ(m.status, 429);
  EXPECT_EQ(m.header("retry-after"), "42");
  EXPECT_NE(m.body.find("rate_limit_error"), std::string::npos) << m.body;
}

TEST(UpstreamFailureTest, SilentProviderIs504AfterTheReadTimeout) {
  FakeUpstream openai([](const UpstreamRequest&) { return Reply::hang(); });
  AigwProcess gw(providers_yaml(&openai) + "upstream: { read_timeout: 500ms }\n");
  const auto started = Clock::now();
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  const auto took = Clock::now() - started;
  EXPECT_TRUE(is_openai_error(r, 504, "provider \"openai\" timed out"));
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 3s);
}

TEST(UpstreamFailureTest, ProviderReadTimeoutOverridesTheUpstreamDefault) {
  FakeUpstream anthropic([](const UpstreamRequest&) { return Reply::hang(); });
  AigwProcess gw("upstream: { read_timeout: 60s }\nproviders:\n" +
                 provider_entry("anthropic", "anthropic", anthropic.base_url(), kProviderKey,
                                "read_timeout: 400ms"));
  const auto started = Clock::now();
  const auto r = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"), "{}");
  EXPECT_TRUE(is_anthropic_error(r, 504, "provider \"anthropic\" timed out"));
  EXPECT_LT(Clock::now() - started, 3s);
}

TEST(UpstreamFailureTest, StreamSilentBetweenChunksEndsAfterTheReadTimeout) {
  FakeUpstream openai([](const UpstreamRequest&) {
    Reply reply = Reply::sse({openai_delta_event("a"), openai_delta_event("b")});
    reply.chunks[1].delay = 10s;  // far beyond the read timeout
    return reply;
  });
  AigwProcess gw(providers_yaml(&openai) + "upstream: { read_timeout: 400ms }\n");
  const auto started = Clock::now();
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"stream":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(openai_delta_event("a")), std::string::npos);
  EXPECT_NE(r.body.find("data: {\"error\":"), std::string::npos) << r.body;
  EXPECT_LT(Clock::now() - started, 3s);
}

TEST(UpstreamFailureTest, ProviderClosingBeforeAnsweringIs502) {
  FakeUpstream openai([](const UpstreamRequest&) { return Reply::close_before_answer(); });
  AigwProcess gw(providers_yaml(&openai));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" closed the connection"));
}

TEST(UpstreamFailureTest, AStaleKeptAliveUpstreamConnectionIsNotAnError) {
  // The provider closes each connection after answering (without saying so); the gateway must
  // not fail the next request on the dead pooled connection.
  FakeUpstream openai([](const UpstreamRequest&) {
    Reply reply = Reply::json(200, openai_chat_answer());
    reply.drop_after = true;
    return reply;
  });
  AigwProcess gw(providers_yaml(&openai));
  for (int i = 0; i < 3; ++i) {
    if (i > 0) std::this_thread::sleep_for(100ms);  // the provider's FIN has arrived by now
    const auto r =
        http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
    EXPECT_EQ(r.status, 200) << i << ": " << r.body;
  }
}

}  // namespace
}  // namespace aigw::testing
