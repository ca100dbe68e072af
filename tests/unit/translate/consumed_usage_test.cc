// What a stream is charged when it does not run to the provider's final usage: the caller left
// or the provider broke off. The provider's counts where it gave them, estimates (four bytes of
// answer text per token, the prompt estimate) where it did not, marked as estimated.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

json::object parse(std::string_view text) { return json::parse(text).as_object(); }

std::string chat_chunk(std::string_view delta_json) {
  return "data: "
         "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":" +
         std::string(delta_json) + "}]}\n\n";
}

RequestContext with_prompt(std::int64_t tokens) {
  RequestContext ctx;
  ctx.estimated_input_tokens = tokens;
  return ctx;
}

TEST(TokenEstimateTest, PromptOfEveryDialectFollowsTheDocumentedRule) {
  // 3 per request + 4 per message + ceil(400 bytes / 4).
  const std::string text(400, 'x');
  EXPECT_EQ(estimate_prompt_tokens(
                parse(R"({"model":"m","messages":[{"role":"user","content":")" + text + R"("}]})")),
            3 + 4 + 100);
  // Responses: instructions and input; roles and types are not text.
  EXPECT_EQ(
      estimate_prompt_tokens(parse(R"({"instructions":"abcd","input":[{"role":"user","content":[)"
                                   R"({"type":"input_text","text":"efgh"}]}]})")),
      3 + 2);
  // Images cost a flat 1,600, whatever their base64 length; tools 16 each plus their text.
  EXPECT_EQ(
      estimate_prompt_tokens(parse(
          R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
          std::string(100000, 'A') + R"("}}]}]})")),
      3 + 4 + 1600);
  EXPECT_EQ(estimate_prompt_tokens(parse(R"({"messages":[],"tools":[{"name":"abcdefgh"}]})")),
            3 + 16 + 2);
  // Embeddings: the input strings.
  EXPECT_EQ(estimate_prompt_tokens(parse(R"({"input":["abcd","efgh"]})")), 3 + 2);
}

TEST(TokenEstimateTest, OutputLimitInEachDialectsWords) {
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":32000})")), 32000);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_completion_tokens":100,"max_tokens":5})")), 100);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_output_tokens":77})")), 77);
  EXPECT_EQ(max_output_tokens(parse(R"({"generationConfig":{"maxOutputTokens":12}})")), 12);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":0})")), std::nullopt);
  EXPECT_EQ(max_output_tokens(parse(R"({})")), std::nullopt);
  // Hostile values cannot overflow the reservation they enter.
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":9223372036854775807})")), 1'000'000'000);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":1e300})")), 1'000'000'000);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":18446744073709551615})")), 1'000'000'000);
  EXPECT_EQ(max_output_tokens(parse(R"({"max_tokens":-5})")), std::nullopt);
  const auto ctx = context_from_request(
      Dialect::kOpenAiChat,
      parse(R"({"messages":[{"role":"user","content":"abcd"}],"max_tokens":9})"));
  EXPECT_EQ(ctx.max_output_tokens, 9);
  EXPECT_EQ(ctx.estimated_input_tokens, 3 + 4 + 1);
}

TEST(ConsumedUsageTest, AChatStreamLeftBeforeItsUsageChunkIsChargedTheEstimate) {
  auto s = make_chat_usage_stripper(with_prompt(107));
  std::string out;
  s->feed(chat_chunk(R"({"role":"assistant","content":"0123456789"})"), out);
  s->feed(chat_chunk(R"({"content":"abcdef"})"), out);
  s->feed(chat_chunk(
              R"({"tool_calls":[{"index":0,"function":{"name":"run","arguments":"{\"a\":1}"}}]})"),
          out);
  EXPECT_FALSE(s->usage().known);
  const Usage u = s->consumed();
  EXPECT_TRUE(u.known);
  EXPECT_EQ(u.input_tokens, 107);
  EXPECT_EQ(u.output_tokens, 7);  // 10 + 6 + 3 ("run") + 7 ({"a":1}) = 26 bytes, rounded up
  EXPECT_EQ(u.estimated_tokens, 107 + 7);

  // Its usage chunk arrives: the provider's count, nothing estimated.
  s->feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":90,\"completion_tokens\":12}}\n\n",
          out);
  const Usage reported = s->consumed();
  EXPECT_EQ(reported.input_tokens, 90);
  EXPECT_EQ(reported.output_tokens, 12);
  EXPECT_EQ(reported.estimated_tokens, 0);
}

TEST(ConsumedUsageTest, AnthropicInputFromMessageStartIsKeptOnlyTheOutputIsEstimated) {
  auto o = make_usage_observer(Dialect::kAnthropicMessages, with_prompt(999));
  std::string out;
  o->feed(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":"
      "{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"" +
          std::string(40, 'y') + "\"}}\n\n",
      out);
  Usage u = o->consumed();
  EXPECT_EQ(u.input_tokens, 25);
  EXPECT_EQ(u.output_tokens, 10);
  EXPECT_EQ(u.estimated_tokens, 10);
  o->feed(
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":15}}\n\n",
      out);
  u = o->consumed();
  EXPECT_EQ(u.input_tokens, 25);
  EXPECT_EQ(u.output_tokens, 15);
  EXPECT_EQ(u.estimated_tokens, 0);
}

TEST(ConsumedUsageTest, ResponsesCountsDeltasNotTheirRepeats) {
  auto o = make_usage_observer(Dialect::kOpenAiResponses, with_prompt(50));
  std::string out;
  o->feed(
      "event: response.output_text.delta\ndata: "
      "{\"type\":\"response.output_text.delta\",\"delta\":\"abcd\"}\n\n"
      "event: response.output_text.delta\ndata: "
      "{\"type\":\"response.output_text.delta\",\"delta\":\"efgh\"}\n\n"
      "event: response.output_text.done\ndata: "
      "{\"type\":\"response.output_text.done\",\"text\":\"abcdefgh\"}\n\n",
      out);
  const Usage u = o->consumed();
  EXPECT_EQ(u.input_tokens, 50);
  EXPECT_EQ(u.output_tokens, 2);
  EXPECT_EQ(u.estimated_tokens, 52);
}

TEST(ConsumedUsageTest, TranslatedStreamsEstimateFromTheNeutralEvents) {
  // Chat provider, Anthropic caller: text and tool arguments count; no usage came.
  auto c =
      make_stream_converter(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, with_prompt(30));
  ASSERT_TRUE(c);
  std::string out;
  c->feed(chat_chunk(R"({"role":"assistant","content":"12345678"})"), out);
  Usage u = c->consumed();
  EXPECT_EQ(u.input_tokens, 30);
  EXPECT_EQ(u.output_tokens, 2);
  EXPECT_EQ(u.estimated_tokens, 32);
  c->feed("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":3}}\n\n",
          out);
  u = c->consumed();
  EXPECT_EQ(u.input_tokens, 20);
  EXPECT_EQ(u.output_tokens, 3);
  EXPECT_EQ(u.estimated_tokens, 0);
}

TEST(ConsumedUsageTest, AStreamThatSentNothingIsChargedItsPrompt) {
  auto o = make_usage_observer(Dialect::kOpenAiChat, with_prompt(12));
  const Usage u = o->consumed();
  EXPECT_TRUE(u.known);
  EXPECT_EQ(u.input_tokens, 12);
  EXPECT_EQ(u.output_tokens, 0);
  EXPECT_EQ(u.estimated_tokens, 12);
}

}  // namespace
}  // namespace aigw::translate
