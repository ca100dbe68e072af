// Anthropic Messages passed through as Claude Code calls it: /v1/messages?beta=true with
// anthropic-version and anthropic-beta, count_tokens, the gateway's key as x-api-key only.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

constexpr const char* kClaudeCodeBeta =
    "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14";

Reply anthropic_answer(const UpstreamRequest& r) {
  if (r.path() == "/v1/messages/count_tokens") return Reply::json(200, R"({"input_tokens":12})");
  return Reply::json(200, anthropic_message_answer());
}

class AnthropicPassthroughTest : public ::testing::Test {
 protected:
  FakeUpstream anthropic_{anthropic_answer};
  AigwProcess gw_{providers_yaml(nullptr, &anthropic_)};
};

void expect_forwarded_as_anthropic(const UpstreamRequest& seen) {
  EXPECT_EQ(seen.header("x-api-key"), kProviderKey);
  EXPECT_FALSE(seen.has_header("authorization")) << seen.header("authorization");
  EXPECT_FALSE(seen.has_header("x-portkey-provider"));
  for (const auto& [name, value] : seen.headers) {
    EXPECT_EQ(value.find(kClientToken), std::string::npos) << name << " carries the client's token";
  }
}

TEST_F(AnthropicPassthroughTest, ClaudeCodeMessagesKeepTheQueryAndBothAnthropicHeaders) {
  const std::string body =
      R"({"model":"claude-sonnet-4-20250514","max_tokens":32000,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],"thinking":{"type":"enabled","budget_tokens":1024}})";
  const auto r = http_request(
      gw_.port(), "POST", "/v1/messages?beta=true",
      with_provider("anthropic", {{"Authorization", std::string("Bearer ") + kClientToken},
                                  {"anthropic-version", "2023-06-01"},
                                  {"anthropic-beta", kClaudeCodeBeta},
                                  {"x-app", "cli"},
                                  {"Content-Type", "application/json"}}),
      body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, anthropic_message_answer());
  ASSERT_EQ(anthropic_.requests().size(), 1u);
  const auto seen = anthropic_.requests()[0];
  EXPECT_EQ(seen.target, "/v1/messages?beta=true");
  EXPECT_EQ(seen.query(), "beta=true");
  EXPECT_EQ(seen.header("anthropic-version"), "2023-06-01");
  EXPECT_EQ(seen.header("anthropic-beta"), kClaudeCodeBeta);
  EXPECT_EQ(seen.header("x-app"), "cli");
  EXPECT_EQ(seen.body, body);  // cache_control and thinking untouched
  expect_forwarded_as_anthropic(seen);
}

TEST_F(AnthropicPassthroughTest, CallersXApiKeyIsReplacedByTheGatewayKey) {
  const auto r = http_request(gw_.port(), "POST", "/v1/messages",
                              with_provider("anthropic", {{"x-api-key", kClientToken},
                                                          {"anthropic-version", "2023-06-01"}}),
                              R"({"model":"claude","max_tokens":5,"messages":[]})");
  ASSERT_EQ(r.status, 200) << r.body;
  expect_forwarded_as_anthropic(anthropic_.requests().at(0));
}

TEST_F(AnthropicPassthroughTest, CountTokensPassesThrough) {
  const std::string body =
      R"({"model":"claude-sonnet-4-20250514","messages":[{"role":"user","content":"hello"}]})";
  const auto r =
      http_request(gw_.port(), "POST", "/v1/messages/count_tokens?beta=true",
                   with_provider("anthropic", {{"x-api-key", kClientToken},
                                               {"anthropic-version", "2023-06-01"},
                                               {"anthropic-beta", "token-counting-2024-11-01"}}),
                   body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("input_tokens").as_int64(), 12);
  const auto seen = anthropic_.requests().at(0);
  EXPECT_EQ(seen.target, "/v1/messages/count_tokens?beta=true");
  EXPECT_EQ(seen.body, body);
  EXPECT_EQ(seen.header("anthropic-beta"), "token-counting-2024-11-01");
  expect_forwarded_as_anthropic(seen);
}

TEST_F(AnthropicPassthroughTest, AnthropicVersionIsAddedWhenTheCallerSentNone) {
  ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/messages", with_provider("anthropic"),
                         R"({"model":"claude","max_tokens":5,"messages":[]})")
                .status,
            200);
  const auto seen = anthropic_.requests().at(0);
  EXPECT_EQ(seen.header("anthropic-version"), "2023-06-01");
  EXPECT_FALSE(seen.has_header("anthropic-beta"));
}

TEST_F(AnthropicPassthroughTest, ProviderErrorsKeepTheAnthropicBody) {
  FakeUpstream failing([](const UpstreamRequest&) {
    return Reply::json(
        400,
        R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: field required"}})");
  });
  AigwProcess gw(providers_yaml(nullptr, &failing));
  const auto r = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"),
                              R"({"model":"claude"})");
  EXPECT_TRUE(is_anthropic_error(r, 400, "max_tokens: field required"));
}

}  // namespace
}  // namespace aigw::testing
