// Passthrough streams: bytes go out unchanged while usage is read from every dialect's events,
// whole or split anywhere; the chat stripper drops only the usage chunk the gateway asked for.
#include <gtest/gtest.h>

#include "translate/sse_parser.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

constexpr std::string_view kAnthropicStream =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":"
    "{\"input_tokens\":25,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
    "{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: message_delta\ndata: "
    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":15}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

constexpr std::string_view kChatStream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\r\n\r\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,"
    "\"prompt_tokens_details\":{\"cached_tokens\":2}}}\r\n\r\n"
    "data: [DONE]\r\n\r\n";

std::string feed_in_steps(StreamConverter& c, std::string_view bytes, std::size_t step) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += step) c.feed(bytes.substr(i, step), out);
  c.finish(out);
  return out;
}

TEST(UsageObserverTest, AnthropicInputFromStartOutputFromDeltaBytesUnchanged) {
  for (std::size_t step : {1u, 3u, 7u, 64u, 4096u}) {
    auto o = make_usage_observer(Dialect::kAnthropicMessages);
    EXPECT_EQ(feed_in_steps(*o, kAnthropicStream, step), kAnthropicStream) << step;
    EXPECT_TRUE(o->usage().known);
    EXPECT_EQ(o->usage().output_tokens, 15) << step;
    EXPECT_EQ(o->usage().cached_tokens, 5) << step;
    EXPECT_GE(o->usage().input_tokens, 25) << step;
  }
}

TEST(UsageObserverTest, ChatFinalUsageChunkWithCrlf) {
  auto o = make_usage_observer(Dialect::kOpenAiChat);
  std::string out;
  o->feed(kChatStream.substr(0, 60), out);
  EXPECT_FALSE(o->usage().known);
  o->feed(kChatStream.substr(60), out);
  EXPECT_EQ(out, kChatStream);
  EXPECT_EQ(o->usage().input_tokens, 9);
  EXPECT_EQ(o->usage().output_tokens, 4);
  EXPECT_EQ(o->usage().cached_tokens, 2);
}

TEST(UsageObserverTest, ResponsesCompletedCarriesTheCount) {
  auto o = make_usage_observer(Dialect::kOpenAiResponses);
  std::string out;
  o->feed(
      "event: response.created\ndata: "
      "{\"type\":\"response.created\",\"response\":{\"usage\":null}}\n\n"
      "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":"
      "{\"input_tokens\":11,\"output_tokens\":22,\"input_tokens_details\":{\"cached_tokens\":3}}}}"
      "\n\n",
      out);
  EXPECT_EQ(o->usage().input_tokens, 11);
  EXPECT_EQ(o->usage().output_tokens, 22);
  EXPECT_EQ(o->usage().cached_tokens, 3);
}

// The text is measured when consumed() asks (and in batches on a long stream), not per event:
// the estimate of a stream cut anywhere is the same as if every event had been measured, and
// the provider's final count replaces it.
TEST(UsageObserverTest, TheTextIsMeasuredWhenAskedAndOnLongStreamsInBatches) {
  auto o = make_usage_observer(Dialect::kOpenAiChat);
  const std::string event =
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"abcd\"}}],"
      "\"usage\":null}\n\n";
  std::string out;
  std::int64_t fed = 0;
  for (int i = 0; i < 1000; ++i) {  // ~80 KB of events: past the batch bound twice
    o->feed(event, out);
    fed += 4;
    if (i == 10 || i == 500 || i == 999) {
      const Usage u = o->consumed();
      EXPECT_EQ(u.output_tokens, (fed + 3) / 4) << i;
      EXPECT_EQ(u.estimated_tokens, u.input_tokens + u.output_tokens) << i;
    }
  }
  EXPECT_EQ(out.size(), event.size() * 1000);
  o->feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7}}\n\n",
          out);
  const Usage u = o->consumed();
  EXPECT_EQ(u.output_tokens, 7);
  EXPECT_EQ(u.estimated_tokens, 0);
}

TEST(ChatUsageStripperTest, DropsOnlyTheUsageChunkAndKeepsItsCount) {
  for (std::size_t step : {1u, 5u, 4096u}) {
    auto s = make_chat_usage_stripper();
    const std::string out = feed_in_steps(*s, kChatStream, step);
    EXPECT_EQ(out,
              "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n"
              "data: [DONE]\n\n")
        << step;
    EXPECT_EQ(s->usage().input_tokens, 9);
    EXPECT_EQ(s->usage().output_tokens, 4);
  }
}

TEST(ChatUsageStripperTest, AChunkWithChoicesAndUsageIsKept) {
  // Some OpenAI-compatible servers put usage on the last content chunk: that one stays.
  auto s = make_chat_usage_stripper();
  std::string out;
  s->feed(
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
      "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
      out);
  EXPECT_NE(out.find("finish_reason"), std::string::npos);
  EXPECT_EQ(s->usage().output_tokens, 2);
}

// An event too large for the SSE parser is dropped whole; a translated stream cannot go on
// without it (it may hold the text or the usage), so the converter says it is broken.
TEST(StreamConverterTest, ATranslatedStreamWithAnOversizedEventIsBroken) {
  auto c = make_stream_converter(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, {});
  ASSERT_TRUE(c);
  std::string out;
  c->feed(kAnthropicStream.substr(0, kAnthropicStream.find("event: content_block_delta")), out);
  EXPECT_FALSE(c->broken());
  const std::string huge =
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"" +
      std::string(SseParser::kDefaultMaxEventBytes + 1, 'x');
  c->feed(huge, out);
  EXPECT_TRUE(c->broken());
  EXPECT_FALSE(make_usage_observer(Dialect::kAnthropicMessages)->broken());  // passthrough: never
}

// In place (the relay's way): a passthrough stream's bytes are left as they are, the stripper's
// become what feed() would have written, and the usage read is the same.
TEST(UsageObserverTest, FedInPlaceTheBytesAndTheUsageAreThoseOfFeed) {
  for (std::size_t step : {1u, 5u, 64u, 4096u}) {
    RequestContext ctx;
    auto by_feed = make_chat_usage_stripper(ctx);
    auto in_place = make_chat_usage_stripper(ctx);
    auto observer = make_usage_observer(Dialect::kOpenAiChat);
    std::string fed;
    std::string stripped;
    std::string passed;
    for (std::size_t i = 0; i < kChatStream.size(); i += step) {
      const std::string_view piece = kChatStream.substr(i, step);
      by_feed->feed(piece, fed);
      std::string bytes(piece);
      in_place->feed_in_place(bytes);
      stripped += bytes;
      bytes.assign(piece);
      observer->feed_in_place(bytes);
      EXPECT_EQ(bytes, piece);
      passed += bytes;
    }
    EXPECT_EQ(stripped, fed) << step;
    EXPECT_EQ(passed, kChatStream) << step;
    EXPECT_EQ(in_place->usage().output_tokens, by_feed->usage().output_tokens) << step;
    EXPECT_EQ(observer->usage().input_tokens, 9) << step;
    EXPECT_EQ(observer->usage().output_tokens, 4) << step;
  }
}

}  // namespace
}  // namespace aigw::translate
