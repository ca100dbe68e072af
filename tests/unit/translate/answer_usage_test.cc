// Usage of whole answers as bytes (passthrough), by the dialect's own readers, and the charge
// of an answer that reports none.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "translate/translate.h"

namespace aigw::translate {
namespace {

TEST(AnswerUsageTest, GeminiMetadataCountsThoughtsAsOutput) {
  const Usage g = usage_of_answer(
      Dialect::kGoogleGemini,
      R"({"candidates":[],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":5,"thoughtsTokenCount":2}})");
  EXPECT_EQ(g.input_tokens, 7);
  EXPECT_EQ(g.output_tokens, 7);
}

TEST(AnswerUsageTest, UsageKeyInsideAStringIsNotMistakenForTheUsageObject) {
  const Usage u = usage_of_answer(
      Dialect::kOpenAiChat,
      R"({"choices":[{"message":{"content":"\"usage\": {\"prompt_tokens\": 999}"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  EXPECT_EQ(u.input_tokens, 3);
  EXPECT_EQ(u.output_tokens, 4);
}

TEST(AnswerUsageTest, EachDialectIsReadByItsOwnReader) {
  const Usage chat = usage_of_answer(
      Dialect::kOpenAiChat,
      R"({"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4}}})");
  EXPECT_TRUE(chat.known);
  EXPECT_EQ(chat.input_tokens, 11);
  EXPECT_EQ(chat.output_tokens, 5);
  EXPECT_EQ(chat.cached_tokens, 4);
  // Anthropic: cache reads and writes are part of the input.
  const Usage messages = usage_of_answer(
      Dialect::kAnthropicMessages,
      R"({"content":[],"usage":{"input_tokens":10,"cache_read_input_tokens":20,"cache_creation_input_tokens":5,"output_tokens":7}})");
  EXPECT_EQ(messages.input_tokens, 35);
  EXPECT_EQ(messages.cached_tokens, 20);
  EXPECT_EQ(messages.output_tokens, 7);
  const Usage responses = usage_of_answer(
      Dialect::kOpenAiResponses,
      R"({"output":[],"usage":{"input_tokens":9,"output_tokens":3,"input_tokens_details":{"cached_tokens":2}}})");
  EXPECT_EQ(responses.input_tokens, 9);
  EXPECT_EQ(responses.output_tokens, 3);
  EXPECT_EQ(responses.cached_tokens, 2);
}

TEST(AnswerUsageTest, TheBytesAndTheParsedAnswerGiveTheSameUsage) {
  const std::string body =
      R"({"id":"x","usage":{"input_tokens":10,"cache_read_input_tokens":20,"output_tokens":7},"content":[{"type":"text","text":"\"usage\": {}"}]})";
  const Usage from_bytes = usage_of_answer(Dialect::kAnthropicMessages, body);
  const Usage from_object =
      usage_from_response(Dialect::kAnthropicMessages, boost::json::parse(body).as_object());
  EXPECT_EQ(from_bytes.input_tokens, from_object.input_tokens);
  EXPECT_EQ(from_bytes.output_tokens, from_object.output_tokens);
  EXPECT_EQ(from_bytes.cached_tokens, from_object.cached_tokens);
  EXPECT_EQ(from_bytes.input_tokens, 30);
}

TEST(AnswerUsageTest, AnAnswerWithoutUsageIsChargedAnEstimate) {
  const std::string body = R"({"choices":[{"message":{"content":"twelve bytes"}}]})";
  const Usage reported = usage_of_answer(Dialect::kOpenAiChat, body);
  EXPECT_FALSE(reported.known);
  const Usage charged = charge_for_answer(reported, 100, body.size());
  EXPECT_TRUE(charged.known);
  EXPECT_EQ(charged.input_tokens, 100);
  EXPECT_EQ(charged.output_tokens, tokens_for_bytes(static_cast<std::int64_t>(body.size())));
  EXPECT_EQ(charged.estimated_tokens, charged.input_tokens + charged.output_tokens);
  // A counted answer is charged what it says.
  const Usage counted{5, 6, 0, true, 0};
  EXPECT_EQ(charge_for_answer(counted, 100, 9999).input_tokens, 5);
}

}  // namespace
}  // namespace aigw::translate
