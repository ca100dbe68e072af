// The mock provider answers every endpoint deterministically with usage, and obeys its headers.
#include "providers/mock.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

namespace aigw::providers {
namespace {

namespace json = boost::json;

json::object chat_request(bool stream) {
  auto o =
      json::parse(R"({"model":"mock-gpt","messages":[{"role":"user","content":"hello there"}]})")
          .as_object();
  o["stream"] = stream;
  return o;
}

HeaderLookup headers(std::map<std::string, std::string> h) {
  return [h = std::move(h)](std::string_view n) -> std::optional<std::string_view> {
    auto it = h.find(std::string(n));
    if (it == h.end()) return std::nullopt;
    return std::string_view(it->second);
  };
}

TEST(MockProviderTest, ChatAnswerIsDeterministicWithUsage) {
  const auto a = mock_answer(Endpoint::kChatCompletions, chat_request(false), {});
  const auto b = mock_answer(Endpoint::kChatCompletions, chat_request(false), {});
  EXPECT_EQ(a.body, b.body);
  const auto v = json::parse(a.body).as_object();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_GT(v.at("usage").at("prompt_tokens").as_int64(), 0);
  EXPECT_GT(v.at("usage").at("completion_tokens").as_int64(), 0);
  EXPECT_TRUE(a.usage.known);
}

TEST(MockProviderTest, ChatStreamEndsWithDoneAndUsageWhenAsked) {
  auto req = chat_request(true);
  req["stream_options"] = {{"include_usage", true}};
  const auto a = mock_answer(Endpoint::kChatCompletions, req, {});
  ASSERT_TRUE(a.stream);
  EXPECT_EQ(a.events.back(), "data: [DONE]\n\n");
  EXPECT_NE(a.events[a.events.size() - 2].find("\"usage\""), std::string::npos);
  EXPECT_NE(a.events.front().find("\"role\":\"assistant\""), std::string::npos);
}

TEST(MockProviderTest, MessagesStreamStartsWithUsageAndStopsOnce) {
  auto req = chat_request(true);
  const auto a = mock_answer(Endpoint::kMessages, req, {});
  ASSERT_TRUE(a.stream);
  EXPECT_EQ(a.events.front().rfind("event: message_start\n", 0), 0u);
  EXPECT_NE(a.events.front().find("\"input_tokens\""), std::string::npos);
  EXPECT_EQ(a.events.back().rfind("event: message_stop\n", 0), 0u);
  int starts = 0;
  for (const auto& e : a.events) starts += e.rfind("event: message_start", 0) == 0;
  EXPECT_EQ(starts, 1);
}

TEST(MockProviderTest, ResponsesStreamHasSequenceNumbersInOrder) {
  const auto a = mock_answer(Endpoint::kResponses, chat_request(true), {});
  ASSERT_TRUE(a.stream);
  EXPECT_EQ(a.events.front().rfind("event: response.created\n", 0), 0u);
  EXPECT_EQ(a.events.back().rfind("event: response.completed\n", 0), 0u);
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto data = a.events[i].substr(a.events[i].find("data: ") + 6);
    EXPECT_EQ(json::parse(data).at("sequence_number").as_int64(), static_cast<std::int64_t>(i));
  }
}

TEST(MockProviderTest, EmbeddingsAreUnitVectorsPerInput) {
  auto req = json::parse(R"({"model":"e","input":["a","b"],"dimensions":4})").as_object();
  const auto a = mock_answer(Endpoint::kEmbeddings, req, {});
  const auto v = json::parse(a.body).as_object();
  ASSERT_EQ(v.at("data").as_array().size(), 2u);
  double norm = 0;
  for (const auto& x : v.at("data").at(0).at("embedding").as_array())
    norm += x.as_double() * x.as_double();
  EXPECT_NEAR(norm, 1.0, 1e-9);
}

TEST(MockProviderTest, HeadersAskForFailuresAndDelays) {
  const auto c = parse_mock_controls(headers({{"x-aigw-mock-status", "429"},
                                              {"x-aigw-mock-retry-after", "3"},
                                              {"x-aigw-mock-latency-ms", "20"},
                                              {"x-aigw-mock-drop-after", "2"}}));
  EXPECT_EQ(c.status, 429);
  EXPECT_EQ(c.latency_ms, 20);
  EXPECT_EQ(c.drop_after, 2);
  const auto a = mock_answer(Endpoint::kMessages, chat_request(false), c);
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.headers.at(0), (std::pair<std::string, std::string>{"Retry-After", "3"}));
  EXPECT_EQ(json::parse(a.body).at("type"), "error");  // Anthropic-shaped on /v1/messages
}

TEST(MockProviderTest, CallerControlledCostIsBounded) {
  const auto c = parse_mock_controls(headers({{"x-aigw-mock-latency-ms", "600000"},
                                              {"x-aigw-mock-chunk-delay-ms", "60000"},
                                              {"x-aigw-mock-retry-after", "99999999"}}));
  EXPECT_EQ(c.latency_ms, kMockMaxLatencyMs);
  EXPECT_EQ(c.chunk_delay_ms, kMockMaxChunkDelayMs);
  EXPECT_EQ(c.retry_after, 3600);
  json::array inputs;
  for (int i = 0; i < 100; ++i) inputs.push_back("x");
  const auto a =
      mock_answer(Endpoint::kEmbeddings, json::object{{"input", inputs}, {"dimensions", 4096}}, {});
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(
      std::string(json::parse(a.body).at("error").at("message").as_string()).find("mock's limits"),
      std::string::npos);
  EXPECT_TRUE(a.body.size() < 1024);
}

}  // namespace
}  // namespace aigw::providers
