// The gateway proxies each agent's native API to fake providers over real sockets: keys
// replaced, headers and query kept, streams forwarded chunk by chunk.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/gateway_process.h"
#include "support/test_client.h"
#include "support/test_upstream.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kChatAnswer =
    R"({"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})";
constexpr const char* kClientToken = "client-secret-token-XYZ123";
constexpr const char* kProviderKey = "sk-provider-key-ABC789";

std::string providers_yaml(const FakeUpstream& openai, const FakeUpstream& anthropic) {
  return "providers:\n"
         "  openai: { dialect: openai, base_url: " + openai.base_url() + ", api_key: " + kProviderKey + " }\n"
         "  anthropic: { dialect: anthropic, base_url: " + anthropic.base_url() + ", api_key: " + kProviderKey + " }\n";
}

class ProxyTest : public ::testing::Test {
 protected:
  FakeUpstream openai_{[](const RecordedRequest& r, Exchange& x) {
    if (r.target == "/v1/models") return x.respond(200, R"({"object":"list","data":[{"id":"gpt-4o","object":"model"}]})");
    x.respond(200, kChatAnswer);
  }};
  FakeUpstream anthropic_{[](const RecordedRequest& r, Exchange& x) {
    if (r.target.rfind("/v1/messages/count_tokens", 0) == 0) return x.respond(200, R"({"input_tokens":12})");
    x.respond(200, R"({"id":"m1","type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":5,"output_tokens":2}})");
  }};
  GatewayProcess gw_{providers_yaml(openai_, anthropic_)};
};

TEST_F(ProxyTest, ChatCompletionReachesOpenAiWithTheGatewayKeyOnly) {
  const std::string body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
  const auto r = http(gw_.port(), "POST", "/v1/chat/completions",
                      {{"x-portkey-provider", "openai"}, {"Authorization", std::string("Bearer ") + kClientToken},
                       {"x-api-key", kClientToken}, {"Content-Type", "application/json"}, {"OpenAI-Beta", "x"}},
                      body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kChatAnswer);
  EXPECT_FALSE(r.header("x-request-id").empty());
  ASSERT_EQ(openai_.requests().size(), 1u);
  const auto seen = openai_.requests()[0];
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.header("authorization"), std::string("Bearer ") + kProviderKey);
  EXPECT_FALSE(seen.has_header("x-api-key"));
  EXPECT_FALSE(seen.has_header("x-portkey-provider"));
  EXPECT_EQ(seen.header("openai-beta"), "x");
  EXPECT_EQ(seen.body, body);  // passthrough: bytes unchanged
}

TEST_F(ProxyTest, ClaudeCodeMessagesKeepQueryAndAnthropicHeaders) {
  const auto r = http(gw_.port(), "POST", "/v1/messages?beta=true",
                      {{"x-portkey-provider", "anthropic"}, {"Authorization", std::string("Bearer ") + kClientToken},
                       {"anthropic-version", "2023-06-01"}, {"anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14"}},
                      R"({"model":"claude-sonnet-4-20250514","max_tokens":32000,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto seen = anthropic_.requests().at(0);
  EXPECT_EQ(seen.target, "/v1/messages?beta=true");
  EXPECT_EQ(seen.header("x-api-key"), kProviderKey);
  EXPECT_FALSE(seen.has_header("authorization"));
  EXPECT_EQ(seen.header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(seen.header("anthropic-beta"), "claude-code-20250219,interleaved-thinking-2025-05-14");
}

TEST_F(ProxyTest, AnthropicVersionIsAddedWhenTheCallerSentNone) {
  const auto r = http(gw_.port(), "POST", "/v1/messages/count_tokens", {{"x-portkey-provider", "anthropic"}},
                      R"({"model":"claude","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("input_tokens").as_int64(), 12);
  EXPECT_EQ(anthropic_.requests().at(0).header("anthropic-version"), "2023-06-01");
}

TEST_F(ProxyTest, ResponsesEmbeddingsAndModelsPassThrough) {
  EXPECT_EQ(http(gw_.port(), "POST", "/v1/responses", {{"x-portkey-provider", "openai"}}, R"({"model":"gpt-4o","input":"hi","store":false})").status, 200);
  EXPECT_EQ(http(gw_.port(), "POST", "/v1/embeddings", {{"x-portkey-provider", "openai"}}, R"({"model":"e","input":"hi"})").status, 200);
  const auto models = http(gw_.port(), "GET", "/v1/models", {{"x-portkey-provider", "openai"}});
  EXPECT_EQ(models.status, 200);
  EXPECT_NE(models.body.find("gpt-4o"), std::string::npos);
  std::vector<std::string> targets;
  for (const auto& r : openai_.requests()) targets.push_back(r.target);
  EXPECT_EQ(targets, (std::vector<std::string>{"/v1/responses", "/v1/embeddings", "/v1/models"}));
}

TEST_F(ProxyTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestConnection c(gw_.port());
  for (int i = 0; i < 3; ++i) {
    const auto r = c.request("POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, R"({"model":"x"})");
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(openai_.connections_accepted(), 1u);  // and the upstream connection was pooled
}

TEST_F(ProxyTest, ProviderHeaderMissingUnknownOrWrongApi) {
  const auto missing = http(gw_.port(), "POST", "/v1/chat/completions", {}, "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, R"({"error": "provider is not set"})");
  const auto unknown = http(gw_.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "opneai"}}, "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("known providers: anthropic, mock, openai"), std::string::npos) << unknown.body;
  const auto mismatch = http(gw_.port(), "POST", "/v1/messages", {{"x-portkey-provider", "openai"}}, "{}");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(json::parse(mismatch.body).at("type"), "error");  // Anthropic-shaped on /v1/messages
  const auto bad_json = http(gw_.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}}, "{nope");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("not valid JSON"), std::string::npos);
  EXPECT_TRUE(openai_.requests().empty());
}

TEST_F(ProxyTest, HealthAnswersGetAndHead) {
  const auto get = http(gw_.port(), "GET", "/");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(json::parse(get.body).at("status"), "ok");
  const auto head = http(gw_.port(), "HEAD", "/");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http(gw_.port(), "POST", "/v1/nope").status, 404);
  EXPECT_EQ(http(gw_.port(), "GET", "/v1/chat/completions").status, 405);
}

TEST_F(ProxyTest, AccessLogHasOneLinePerRequestAndNoSecrets) {
  http(gw_.port(), "POST", "/v1/chat/completions",
       {{"x-portkey-provider", "openai"}, {"Authorization", std::string("Bearer ") + kClientToken}},
       R"({"model":"gpt-4o","messages":[]})");
  ASSERT_TRUE(gw_.wait_for_line("\"type\":\"access\"", 5s));
  std::string access;
  for (const auto& line : gw_.stdout_lines()) {
    EXPECT_EQ(line.find(kClientToken), std::string::npos) << line;
    EXPECT_EQ(line.find(kProviderKey), std::string::npos) << line;
    if (line.find("\"type\":\"access\"") != std::string::npos) access = line;
  }
  EXPECT_EQ(gw_.stderr_text().find(kProviderKey), std::string::npos);
  const auto v = json::parse(access).as_object();
  EXPECT_EQ(v.at("provider"), "openai");
  EXPECT_EQ(v.at("model"), "gpt-4o");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("input_tokens").as_int64(), 7);
  EXPECT_EQ(v.at("output_tokens").as_int64(), 3);
  for (const char* key : {"time", "request_id", "method", "path", "latency_ms", "upstream_latency_ms", "bytes_in", "bytes_out"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
}

TEST(ProxyStreamTest, FirstEventReachesTheClientBeforeTheProviderFinishes) {
  Clock::time_point last_sent;
  FakeUpstream openai([&](const RecordedRequest&, Exchange& x) {
    x.start_stream();
    for (int i = 0; i < 5; ++i) {
      if (i > 0) x.pause(200ms);
      x.chunk("data: {\"choices\":[{\"delta\":{\"content\":\"" + std::to_string(i) + "\"}}]}\n\n");
    }
    last_sent = Clock::now();
    x.chunk("data: [DONE]\n\n");
    x.end_stream();
  });
  GatewayProcess gw("providers:\n  openai: { dialect: openai, base_url: " + openai.base_url() + ", api_key: k }\n");
  const auto started = Clock::now();
  const auto r = http(gw.port(), "POST", "/v1/chat/completions", {{"x-portkey-provider", "openai"}},
                      R"({"model":"gpt-4o","stream":true,"messages":[]})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  ASSERT_GE(r.chunks.size(), 3u);  // several pieces, not one buffered body
  EXPECT_LT(r.chunks.front().first - started, 500ms);
  EXPECT_LT(r.chunks.front().first, last_sent - 500ms);
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos);
}

TEST(ProxyStreamTest, ProviderDyingMidStreamEndsWithAnErrorEventInTheCallersFormat) {
  FakeUpstream anthropic([](const RecordedRequest&, Exchange& x) {
    x.start_stream();
    x.chunk("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n");
    x.drop();
  });
  GatewayProcess gw("providers:\n  anthropic: { dialect: anthropic, base_url: " + anthropic.base_url() + ", api_key: k }\n");
  const auto r = http(gw.port(), "POST", "/v1/messages", {{"x-portkey-provider", "anthropic"}}, R"({"model":"c","stream":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("message_start"), std::string::npos);
  EXPECT_NE(r.body.find("event: error\ndata: {\"type\":\"error\""), std::string::npos) << r.body;
  ASSERT_TRUE(gw.wait_for_line("\"path\":\"/v1/messages\"", 5s));
  bool usage_kept = false;
  for (const auto& line : gw.stdout_lines()) usage_kept |= line.find("\"input_tokens\":9") != std::string::npos;
  EXPECT_TRUE(usage_kept);  // the tokens seen before the break are still counted
}

TEST(CustomHostTest, AllowedHostIsUsedAndOthersAreRefused) {
  FakeUpstream other([](const RecordedRequest&, Exchange& x) { x.respond(200, kChatAnswer); });
  GatewayProcess gw("upstream: { allowed_custom_hosts: [ \"127.0.0.1\" ] }\n"
                    "providers:\n  openai: { dialect: openai, base_url: http://127.0.0.1:9/v1, api_key: k }\n");
  const auto ok = http(gw.port(), "POST", "/v1/chat/completions",
                       {{"x-portkey-provider", "openai"}, {"x-portkey-custom-host", other.base_url()}}, "{}");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(other.requests().size(), 1u);
  const auto refused = http(gw.port(), "POST", "/v1/chat/completions",
                            {{"x-portkey-provider", "openai"}, {"x-portkey-custom-host", "http://localhost:1/v1"}}, "{}");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("allowed_custom_hosts"), std::string::npos);
}

}  // namespace
}  // namespace aigw::testing
