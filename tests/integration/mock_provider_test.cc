// The built-in mock provider over the wire: every endpoint, streaming, and the failures it
// can be asked for.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/gateway_process.h"
#include "support/test_client.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class MockProviderTest : public ::testing::Test {
 protected:
  TestResponse post(const std::string& path, const std::string& body, Headers extra = {}) {
    extra.emplace_back("x-portkey-provider", "mock");
    return http(gw_.port(), "POST", path, extra, body);
  }
  GatewayProcess gw_{""};
};

TEST_F(MockProviderTest, EveryEndpointAnswersWithUsage) {
  const auto chat = post("/v1/chat/completions", R"({"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(chat.status, 200);
  EXPECT_GT(json::parse(chat.body).at("usage").at("completion_tokens").as_int64(), 0);
  const auto responses = post("/v1/responses", R"({"model":"mock-gpt","input":"hi"})");
  EXPECT_EQ(json::parse(responses.body).at("object"), "response");
  const auto messages = post("/v1/messages", R"({"model":"mock-claude","max_tokens":5,"messages":[]})");
  EXPECT_EQ(json::parse(messages.body).at("type"), "message");
  const auto count = post("/v1/messages/count_tokens", R"({"model":"mock-claude","messages":[{"role":"user","content":"hello"}]})");
  EXPECT_GT(json::parse(count.body).at("input_tokens").as_int64(), 0);
  const auto embeddings = post("/v1/embeddings", R"({"model":"e","input":["a","b","c"]})");
  EXPECT_EQ(json::parse(embeddings.body).at("data").as_array().size(), 3u);
  const auto models = http(gw_.port(), "GET", "/v1/models");
  EXPECT_NE(models.body.find("mock-claude"), std::string::npos);
}

TEST_F(MockProviderTest, StreamsArriveEventByEvent) {
  const auto r = post("/v1/messages", R"({"model":"mock-claude","stream":true,"messages":[]})", {{"x-aigw-mock-chunk-delay-ms", "30"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_GT(r.chunks.size(), 5u);
  EXPECT_EQ(r.body.rfind("event: message_start", 0), 0u);
  EXPECT_NE(r.body.find("event: message_stop"), std::string::npos);
}

TEST_F(MockProviderTest, FailuresOnRequest) {
  const auto limited = post("/v1/chat/completions", "{}", {{"x-aigw-mock-status", "429"}, {"x-aigw-mock-retry-after", "11"}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "11");
  EXPECT_EQ(post("/v1/chat/completions", "{}", {{"x-aigw-mock-status", "500"}}).status, 500);
  const auto dropped = post("/v1/chat/completions", R"({"stream":true})", {{"x-aigw-mock-drop-after", "2"}});
  EXPECT_NE(dropped.body.find("stream broke"), std::string::npos);
  EXPECT_EQ(dropped.body.find("[DONE]"), std::string::npos);
  const auto started = Clock::now();
  EXPECT_EQ(post("/v1/chat/completions", "{}", {{"x-aigw-mock-latency-ms", "300"}}).status, 200);
  EXPECT_GE(Clock::now() - started, 300ms);
}

}  // namespace
}  // namespace aigw::testing
