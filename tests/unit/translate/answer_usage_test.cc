// Usage of whole answers as bytes (passthrough), by the dialect's own readers, and the charge
// of an answer that reports none.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "translate/dialects.h"
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

// The text reader against the tree reader: the same counts, or none (then the caller parses).
std::optional<ir::TokenUsage> both_readers(Dialect dialect, std::string_view text) {
  const auto scanned = detail::scan_usage(dialect, text);
  if (!scanned) return std::nullopt;
  const auto tree = detail::read_usage(dialect, boost::json::parse(text).as_object());
  EXPECT_EQ(scanned->input, tree.input) << text;
  EXPECT_EQ(scanned->output, tree.output) << text;
  EXPECT_EQ(scanned->cache_read, tree.cache_read) << text;
  EXPECT_EQ(scanned->cache_creation, tree.cache_creation) << text;
  EXPECT_EQ(scanned->reasoning, tree.reasoning) << text;
  return scanned;
}

TEST(UsageTextTest, ReadsWhatTheTreeReadsForEveryDialect) {
  const auto chat = both_readers(
      Dialect::kOpenAiChat,
      R"({"prompt_tokens":19,"completion_tokens":24,"total_tokens":43,"prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":5,"accepted_prediction_tokens":0},"cost":1.2e-3})");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->input, 19);
  EXPECT_EQ(chat->cache_read, 3);
  EXPECT_EQ(chat->reasoning, 5);
  const auto anthropic = both_readers(
      Dialect::kAnthropicMessages,
      R"( { "input_tokens" : 10 , "cache_creation_input_tokens":5,"cache_read_input_tokens":20,"output_tokens":7,"server_tool_use":null,"service_tier":"standard"} )");
  ASSERT_TRUE(anthropic);
  EXPECT_EQ(anthropic->input, 35);
  const auto gemini = both_readers(
      Dialect::kGoogleGemini,
      R"({"promptTokenCount":7,"candidatesTokenCount":5,"thoughtsTokenCount":2,"promptTokensDetails":[{"modality":"TEXT","tokenCount":7}],"ok":true,"no":false})");
  ASSERT_TRUE(gemini);
  EXPECT_EQ(gemini->output, 7);
  const auto responses = both_readers(
      Dialect::kOpenAiResponses,
      R"({"input_tokens":9,"output_tokens":3,"input_tokens_details":{"cached_tokens":2},"output_tokens_details":{"reasoning_tokens":1}})");
  ASSERT_TRUE(responses);
  EXPECT_EQ(responses->cache_read, 2);
}

TEST(UsageTextTest, AWantedKeyWithoutANumberCountsZeroAsInTheTree) {
  const auto u = both_readers(
      Dialect::kOpenAiChat,
      R"({"prompt_tokens":null,"completion_tokens":"4","prompt_tokens_details":7,"completion_tokens_details":{"reasoning_tokens":{}}})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->input, 0);
  EXPECT_EQ(u->output, 0);
  EXPECT_EQ(u->cache_read, 0);
  EXPECT_EQ(u->reasoning, 0);
  // Negative counts are what the provider said (the charge clamps them elsewhere).
  EXPECT_EQ(both_readers(Dialect::kOpenAiChat, R"({"prompt_tokens":-3})")->input, -3);
}

// An empty key is no parent of counts: its object's keys are not the usage object's.
TEST(UsageTextTest, CountsUnderAnEmptyKeyAreNotTheUsageObjectsOwn) {
  const auto u = both_readers(Dialect::kOpenAiChat,
                              R"({"":{"prompt_tokens":5,"completion_tokens":2},"total_tokens":7})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->input, 0);
  EXPECT_EQ(u->output, 0);
  const auto gemini = both_readers(Dialect::kGoogleGemini,
                                   R"({"":{"promptTokenCount":5},"candidatesTokenCount":1})");
  ASSERT_TRUE(gemini);
  EXPECT_EQ(gemini->input, 0);
}

TEST(UsageTextTest, LeavesToTheParserWhatItShouldNotGuess) {
  const char* const cases[] = {
      R"({"prompt_tokens":1,"prompt_tokens":2})",  // a wanted key twice
      R"({"prompt_tokens_details":{},"prompt_tokens_details":{"cached_tokens":1}})",
      R"({"prompt_tokens":1.5})",  // not a plain integer
      R"({"prompt_tokens":1e3})",
      R"({"prompt_tokens":1234567890123456})",           // 16 digits
      R"({"prompt_tokens":1,"note":"café"})",            // an escape
      "{\"prompt_tokens\":1,\"note\":\"caf\xc3\xa9\"}",  // non-ASCII
      R"({"prompt_tokens":1,})",                         // not JSON
      R"({"prompt_tokens":01})",
      R"({"prompt_tokens":1} x)",
      R"({"prompt_tokens":1)",
      R"([1])",
      "",
  };
  for (const char* text : cases)
    EXPECT_FALSE(detail::scan_usage(Dialect::kOpenAiChat, text)) << text;
}

TEST(AnswerUsageTest, AnswerWhoseUsageTheTextReaderLeavesIsStillRead) {
  const Usage u = usage_of_answer(
      Dialect::kOpenAiChat,
      R"({"choices":[],"usage":{"prompt_tokens":1.0,"completion_tokens":4,"note":"é"}})");
  EXPECT_TRUE(u.known);
  EXPECT_EQ(u.input_tokens, 1);
  EXPECT_EQ(u.output_tokens, 4);
}

}  // namespace
}  // namespace aigw::translate
