// The built-in mock provider over the wire: every endpoint, streamed and not, with usage, and the
// failures a request can ask for (latency, 429 + Retry-After, 500, 503, 401, a dropped stream).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class MockProviderTest : public ::testing::Test {
 protected:
  HttpResponse post(const std::string& path, const std::string& body, Headers extra = {}) {
    return http_request(gw_.port(), "POST", path, with_provider("mock", std::move(extra)), body);
  }
  AigwProcess gw_{""};
};

std::int64_t int_at(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* at = &v;
  for (const char* key : path) {
    if (!at->is_object() || !at->as_object().contains(key)) return -1;
    at = &at->as_object().at(key);
  }
  return at->is_int64() ? at->as_int64() : -1;
}

TEST_F(MockProviderTest, ChatCompletionAnswersWithUsage) {
  const auto r = post("/v1/chat/completions",
                      R"({"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("model"), "mock-gpt");
  EXPECT_EQ(v.at("choices").at(0).at("message").at("role"), "assistant");
  EXPECT_FALSE(v.at("choices").at(0).at("message").at("content").as_string().empty());
  EXPECT_GT(int_at(v, {"usage", "prompt_tokens"}), 0);
  EXPECT_GT(int_at(v, {"usage", "completion_tokens"}), 0);
  EXPECT_EQ(int_at(v, {"usage", "total_tokens"}),
            int_at(v, {"usage", "prompt_tokens"}) + int_at(v, {"usage", "completion_tokens"}));
}

TEST_F(MockProviderTest, AnswersAreDeterministic) {
  const std::string body = R"({"model":"mock-gpt","messages":[{"role":"user","content":"same"}]})";
  auto a = post("/v1/chat/completions", body).json();
  auto b = post("/v1/chat/completions", body).json();
  a.as_object().erase("id");
  b.as_object().erase("id");
  EXPECT_EQ(json::serialize(a.at("choices")), json::serialize(b.at("choices")));
  EXPECT_EQ(json::serialize(a.at("usage")), json::serialize(b.at("usage")));
}

TEST_F(MockProviderTest, ReplyHeaderChoosesTheText) {
  const auto r = post("/v1/chat/completions", R"({"model":"m","messages":[]})",
                      {{"x-aigw-mock-reply", "pong 42"}});
  EXPECT_EQ(r.json().at("choices").at(0).at("message").at("content"), "pong 42");
  const auto m = post("/v1/messages", R"({"model":"m","max_tokens":9,"messages":[]})",
                      {{"x-aigw-mock-reply", "pong 43"}});
  EXPECT_NE(m.body.find("pong 43"), std::string::npos) << m.body;
}

TEST_F(MockProviderTest, ResponsesAnswersWithUsage) {
  const auto r = post("/v1/responses", R"({"model":"mock-gpt","input":"hi","store":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("object"), "response");
  EXPECT_GT(int_at(v, {"usage", "input_tokens"}), 0);
  EXPECT_GT(int_at(v, {"usage", "output_tokens"}), 0);
}

TEST_F(MockProviderTest, MessagesAnswersWithUsage) {
  const auto r =
      post("/v1/messages?beta=true",
           R"({"model":"mock-claude","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})",
           {{"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("type"), "message");
  EXPECT_EQ(v.at("role"), "assistant");
  EXPECT_EQ(v.at("content").at(0).at("type"), "text");
  EXPECT_GT(int_at(v, {"usage", "input_tokens"}), 0);
  EXPECT_GT(int_at(v, {"usage", "output_tokens"}), 0);
}

TEST_F(MockProviderTest, CountTokensGrowsWithTheInput) {
  const auto small =
      post("/v1/messages/count_tokens",
           R"({"model":"mock-claude","messages":[{"role":"user","content":"hello"}]})");
  ASSERT_EQ(small.status, 200) << small.body;
  const auto large = post("/v1/messages/count_tokens",
                          R"({"model":"mock-claude","messages":[{"role":"user","content":")" +
                              std::string(2000, 'w') + "\"}]}");
  EXPECT_GT(int_at(small.json(), {"input_tokens"}), 0);
  EXPECT_GT(int_at(large.json(), {"input_tokens"}), int_at(small.json(), {"input_tokens"}));
}

TEST_F(MockProviderTest, EmbeddingsOnePerInputWithUsage) {
  const auto r = post("/v1/embeddings", R"({"model":"mock-embedding","input":["a","b","c"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  ASSERT_EQ(v.at("data").as_array().size(), 3u);
  EXPECT_FALSE(v.at("data").at(0).at("embedding").as_array().empty());
  EXPECT_GT(int_at(v, {"usage", "prompt_tokens"}), 0);
}

TEST_F(MockProviderTest, ModelsListsTheMockModels) {
  const auto r = http_request(gw_.port(), "GET", "/v1/models", with_provider("mock"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("object"), "list");
  EXPECT_FALSE(r.json().at("data").as_array().empty());
}

TEST_F(MockProviderTest, ChatStreamArrivesEventByEventAndEndsWithUsageAndDone) {
  const auto r = post(
      "/v1/chat/completions",
      R"({"model":"mock-gpt","stream":true,"stream_options":{"include_usage":true},"messages":[]})",
      {{"x-aigw-mock-chunk-delay-ms", "30"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("content-type").find("text/event-stream"), std::string::npos);
  EXPECT_GT(r.chunks.size(), 3u);
  EXPECT_EQ(r.body.rfind("data: ", 0), 0u);
  EXPECT_NE(r.body.find("\"usage\""), std::string::npos);
  const std::string done = "data: [DONE]\n\n";
  ASSERT_GE(r.body.size(), done.size());
  EXPECT_EQ(r.body.substr(r.body.size() - done.size()), done);
}

TEST_F(MockProviderTest, MessagesStreamHasTheClaudeCodeEventSequence) {
  const auto r =
      post("/v1/messages", R"({"model":"mock-claude","max_tokens":50,"stream":true,"messages":[]})",
           {{"x-aigw-mock-chunk-delay-ms", "20"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GT(r.chunks.size(), 5u);
  EXPECT_EQ(r.body.rfind("event: message_start", 0), 0u);
  const auto start_data = r.body.find("data: ");
  const auto start_end = r.body.find('\n', start_data);
  const auto start = json::parse(r.body.substr(start_data + 6, start_end - start_data - 6));
  EXPECT_GT(int_at(start, {"message", "usage", "input_tokens"}), 0)
      << "Claude Code needs usage in message_start";
  std::size_t at = 0;
  for (const char* e :
       {"event: content_block_start", "event: content_block_delta", "event: content_block_stop",
        "event: message_delta", "event: message_stop"}) {
    const auto found = r.body.find(e, at);
    ASSERT_NE(found, std::string::npos) << e << " missing or out of order in " << r.body;
    at = found;
  }
}

TEST_F(MockProviderTest, ResponsesStreamEndsWithCompleted) {
  const auto r = post("/v1/responses", R"({"model":"mock-gpt","input":"hi","stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("response.created"), std::string::npos);
  EXPECT_NE(r.body.find("response.completed"), std::string::npos);
}

TEST_F(MockProviderTest, Status429CarriesRetryAfterDefaultAndChosen) {
  const auto chosen = post("/v1/chat/completions", "{}",
                           {{"x-aigw-mock-status", "429"}, {"x-aigw-mock-retry-after", "11"}});
  EXPECT_EQ(chosen.status, 429);
  EXPECT_EQ(chosen.header("retry-after"), "11");
  const auto by_default =
      post("/v1/messages", R"({"max_tokens":5,"messages":[]})", {{"x-aigw-mock-status", "429"}});
  EXPECT_EQ(by_default.status, 429);
  EXPECT_EQ(by_default.header("retry-after"), "7");
  EXPECT_EQ(by_default.json().at("type"), "error");  // Anthropic-shaped on /v1/messages
}

TEST_F(MockProviderTest, Status500And503AreErrorsInTheCallersFormat) {
  const auto e500 = post("/v1/chat/completions", "{}", {{"x-aigw-mock-status", "500"}});
  EXPECT_EQ(e500.status, 500);
  EXPECT_TRUE(e500.json().at("error").is_object()) << e500.body;
  const auto e503 = post("/v1/messages", "{}", {{"x-aigw-mock-status", "503"}});
  EXPECT_EQ(e503.status, 503);
  EXPECT_EQ(e503.json().at("type"), "error") << e503.body;
}

TEST_F(MockProviderTest, Status401PlaysAProviderRejectingTheGatewayKey) {
  // The mock fails with 401 as a provider would; the caller sees what a real provider's 401
  // gives (docs/api.md: provider rejected the gateway's key → 502).
  const auto r = post("/v1/chat/completions", "{}", {{"x-aigw-mock-status", "401"}});
  EXPECT_TRUE(is_openai_error(r, 502, "the provider API key is invalid or revoked"));
}

TEST_F(MockProviderTest, DropMidStreamEndsWithAnErrorEventAndNoDone) {
  const auto r =
      post("/v1/chat/completions", R"({"stream":true})", {{"x-aigw-mock-drop-after", "2"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data: {\"error\":"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  const auto m = post("/v1/messages", R"({"stream":true,"max_tokens":50,"messages":[]})",
                      {{"x-aigw-mock-drop-after", "3"}});
  EXPECT_NE(m.body.find("event: error"), std::string::npos) << m.body;
  EXPECT_EQ(m.body.find("message_stop"), std::string::npos);
}

TEST_F(MockProviderTest, LatencyHeaderDelaysTheAnswer) {
  const auto started = Clock::now();
  EXPECT_EQ(post("/v1/chat/completions", "{}", {{"x-aigw-mock-latency-ms", "300"}}).status, 200);
  EXPECT_GE(Clock::now() - started, 300ms);
}

TEST_F(MockProviderTest, ChunkDelaySpreadsTheStreamOverTime) {
  const auto r =
      post("/v1/chat/completions", R"({"stream":true})", {{"x-aigw-mock-chunk-delay-ms", "60"}});
  ASSERT_GE(r.chunks.size(), 3u);
  EXPECT_GE(r.chunks.back().at - r.chunks.front().at, 100ms);
}

}  // namespace
}  // namespace aigw::testing
