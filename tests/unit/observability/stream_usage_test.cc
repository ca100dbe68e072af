// Usage is read from every dialect's stream, whole or split anywhere, and from whole answers.
#include <gtest/gtest.h>

#include "observability/access_log.h"
#include "observability/stream_usage.h"

namespace aigw::observability {
namespace {

constexpr std::string_view kAnthropicStream =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":"
    "{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
    "{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

TEST(StreamUsageTest, AnthropicInputFromStartAndOutputFromDelta) {
  StreamUsage u;
  u.feed(kAnthropicStream);
  EXPECT_TRUE(u.usage().known);
  EXPECT_EQ(u.usage().input_tokens, 30);
  EXPECT_EQ(u.usage().cached_tokens, 5);
  EXPECT_EQ(u.usage().output_tokens, 15);
}

TEST(StreamUsageTest, SplitAnywhereGivesTheSameAnswer) {
  for (std::size_t step : {1u, 3u, 7u, 64u}) {
    StreamUsage u;
    for (std::size_t i = 0; i < kAnthropicStream.size(); i += step) u.feed(kAnthropicStream.substr(i, step));
    EXPECT_EQ(u.usage().output_tokens, 15) << step;
    EXPECT_EQ(u.usage().input_tokens, 30) << step;
  }
}

TEST(StreamUsageTest, OpenAiFinalUsageChunkAndCrlf) {
  StreamUsage u;
  u.feed("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\n\r\n");
  EXPECT_FALSE(u.usage().known);
  u.feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,"
         "\"prompt_tokens_details\":{\"cached_tokens\":2}}}\r\n\r\ndata: [DONE]\r\n\r\n");
  EXPECT_EQ(u.usage().input_tokens, 9);
  EXPECT_EQ(u.usage().output_tokens, 4);
  EXPECT_EQ(u.usage().cached_tokens, 2);
}

TEST(StreamUsageTest, ResponsesCompletedAndGeminiMetadata) {
  StreamUsage r;
  r.feed("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":"
         "{\"input_tokens\":11,\"output_tokens\":22,\"input_tokens_details\":{\"cached_tokens\":3}}}}\n\n");
  EXPECT_EQ(r.usage().input_tokens, 11);
  EXPECT_EQ(r.usage().output_tokens, 22);
  EXPECT_EQ(r.usage().cached_tokens, 3);
  const Usage g = usage_from_json(R"({"candidates":[],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":5,"thoughtsTokenCount":2}})");
  EXPECT_EQ(g.input_tokens, 7);
  EXPECT_EQ(g.output_tokens, 7);
}

TEST(AccessLogTest, RecordIsOneJsonLineWithPlainMillis) {
  AccessRecord r;
  r.request_id = "abc";
  r.method = "POST";
  r.path = "/v1/messages";
  r.status = 200;
  r.latency_ms = 2.5;
  r.upstream_latency_ms = 1.25;
  r.usage = {10, 20, 0, true};
  const std::string line = format_access_record(r, 1'764'000'000'123);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\"latency_ms\":2.500"), std::string::npos) << line;
  EXPECT_NE(line.find("\"upstream_latency_ms\":1.250"), std::string::npos) << line;
  EXPECT_NE(line.find("\"input_tokens\":10"), std::string::npos) << line;
  EXPECT_NE(line.find("\"time\":\"2025-11-24T"), std::string::npos) << line;
}

}  // namespace
}  // namespace aigw::observability
