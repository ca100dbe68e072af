// The SSE parser: every line ending, multi-line data, comments, and input split anywhere.
#include "translate/sse_parser.h"

#include <gtest/gtest.h>

namespace aigw::translate {
namespace {

std::vector<SseEvent> parse_in_steps(std::string_view input, std::size_t step) {
  SseParser p;
  std::vector<SseEvent> out;
  for (std::size_t i = 0; i < input.size(); i += step) p.feed(input.substr(i, step), out);
  p.finish(out);
  return out;
}

TEST(SseParserTest, ReadsEventNameAndData) {
  const auto events = parse_in_steps("event: message_start\ndata: {\"a\":1}\n\n", 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message_start");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
}

TEST(SseParserTest, CrLfAndBareCrEndLinesLikeLf) {
  for (std::string_view input :
       {"data: x\r\n\r\ndata: y\r\n\r\n", "data: x\r\rdata: y\r\r", "data: x\n\ndata: y\n\n"}) {
    const auto events = parse_in_steps(input, 1000);
    ASSERT_EQ(events.size(), 2u) << input;
    EXPECT_EQ(events[0].data, "x");
    EXPECT_EQ(events[1].data, "y");
  }
}

TEST(SseParserTest, CrLfSplitAcrossFeedsIsOneLineEnd) {
  SseParser p;
  std::vector<SseEvent> out;
  p.feed("data: a\r", out);
  p.feed("\n\r", out);
  p.feed("\ndata: b\r\n\r\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data, "a");
  EXPECT_EQ(out[1].data, "b");
}

TEST(SseParserTest, MultiLineDataJoinedWithNewline) {
  const auto events = parse_in_steps("data: first\ndata:second\ndata\n\n", 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "first\nsecond\n");
}

TEST(SseParserTest, CommentsAndUnknownFieldsAreIgnored) {
  const auto events = parse_in_steps(": keep-alive\n\nid: 7\nretry: 10\ndata: z\n\n", 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "z");
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParserTest, EventWithoutDataIsDropped) {
  const auto events = parse_in_steps("event: ping\n\ndata: after\n\n", 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "");
  EXPECT_EQ(events[0].data, "after");
}

TEST(SseParserTest, FinishDeliversAnEventWithoutItsBlankLine) {
  EXPECT_EQ(parse_in_steps("data: last", 1000).size(), 1u);
  EXPECT_EQ(parse_in_steps("data: last\n", 1000).size(), 1u);
}

TEST(SseParserTest, AnySplitGivesTheSameEvents) {
  const std::string input =
      "event: a\r\ndata: {\"x\": \"\xE2\x9C\x93\"}\r\n\r\n: c\n\nevent: b\ndata: 1\ndata: 2\n\n";
  const auto whole = parse_in_steps(input, input.size());
  ASSERT_EQ(whole.size(), 2u);
  for (std::size_t step = 1; step < 12; ++step) {
    const auto split = parse_in_steps(input, step);
    ASSERT_EQ(split.size(), whole.size()) << step;
    for (std::size_t i = 0; i < split.size(); ++i) {
      EXPECT_EQ(split[i].event, whole[i].event) << step;
      EXPECT_EQ(split[i].data, whole[i].data) << step;
    }
  }
}

TEST(SseParserTest, AppendSseWritesNamedAndUnnamedEvents) {
  std::string out;
  append_sse(out, "ping", "{}");
  append_sse(out, {}, "[DONE]");
  EXPECT_EQ(out, "event: ping\ndata: {}\n\ndata: [DONE]\n\n");
}

TEST(SseParserTest, AnEventThatOutgrowsTheLimitIsDroppedAndTheNextOneRead) {
  for (const std::size_t step : {1ul, 7ul, 64ul, 100000ul}) {
    SseParser p(32);
    std::vector<SseEvent> out;
    const std::string input =
        "data: before\n\ndata: " + std::string(100, 'x') + "\ndata: more\n\ndata: after\n\n";
    for (std::size_t i = 0; i < input.size(); i += step)
      p.feed(std::string_view(input).substr(i, step), out);
    p.finish(out);
    ASSERT_EQ(out.size(), 2u) << step;
    EXPECT_EQ(out[0].data, "before");
    EXPECT_EQ(out[1].data, "after");
    EXPECT_TRUE(p.overflowed());
  }
}

TEST(SseParserTest, ALineThatNeverEndsDoesNotGrowTheBuffer) {
  SseParser p(1024);
  std::vector<SseEvent> out;
  const std::string piece(4096, 'y');
  p.feed("data: ", out);
  for (int i = 0; i < 1000; ++i) p.feed(piece, out);  // 4 MB without a line end
  p.feed("\n\ndata: ok\n\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "ok");
  EXPECT_TRUE(p.overflowed());
}

TEST(SseParserTest, ManyDataLinesAddUpToTheLimit) {
  SseParser p(100);
  std::vector<SseEvent> out;
  for (int i = 0; i < 50; ++i) p.feed("data: 0123456789\n", out);
  p.feed("\n", out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.overflowed());
}

}  // namespace
}  // namespace aigw::translate
