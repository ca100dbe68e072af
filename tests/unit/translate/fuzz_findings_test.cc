// Inputs fuzz/translate_fuzz.cc found. Each ran into undefined behaviour (the sanitizer build of
// the unit tests aborts on it) or a crash before its fix.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

constexpr Dialect kAll[] = {Dialect::kOpenAiChat, Dialect::kOpenAiResponses,
                            Dialect::kAnthropicMessages, Dialect::kGoogleGemini};

// Found by translate_fuzz: a token count of 1e93 was converted double → int64 (undefined).
// A count out of int64's range is now no count at all.
TEST(TranslateFuzzFindingsTest, TokenCountsOutOfRangeAreIgnored) {
  RequestContext ctx;
  ctx.model = "m";
  ctx.stream = true;
  auto stream = make_stream_converter(Dialect::kAnthropicMessages, Dialect::kOpenAiResponses, ctx);
  ASSERT_TRUE(stream);
  std::string out;
  stream->feed(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
      "\"usage\":{\"input_tokens\":1e93,\"output_tokens\":18446744073709551615}}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"end_turn\"},\"usage\":{\"output_tokens\":-4.4e92}}\n\n",
      out);
  stream->finish(out);
  EXPECT_GE(stream->usage().input_tokens, 0);
  EXPECT_GE(stream->usage().output_tokens, 0);

  const auto huge = json::parse(R"({
    "usage": {"input_tokens": 1e93, "output_tokens": 1e93, "prompt_tokens": 1e93,
              "completion_tokens": 1e93},
    "usageMetadata": {"promptTokenCount": 1e93, "candidatesTokenCount": 1e93},
    "max_tokens": 1e93, "max_completion_tokens": 1e93, "max_output_tokens": 1e93,
    "model": "m", "messages": [{"role": "user", "content": "hi"}], "input": "hi",
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}]})")
                        .as_object();
  // int64 counts near the limit overflowed when added (input + cache reads, total_tokens).
  const auto near_limit = json::parse(R"({
    "usage": {"input_tokens": 9000000000000000000, "output_tokens": 9000000000000000000,
              "cache_read_input_tokens": 9000000000000000000,
              "cache_creation_input_tokens": 9000000000000000000,
              "prompt_tokens": 9000000000000000000, "completion_tokens": 9000000000000000000},
    "content": [{"type": "text", "text": "hi"}], "role": "assistant", "type": "message",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
    "output": [], "candidates": []})")
                              .as_object();
  for (const auto* body : {&huge, &near_limit}) {
    for (const Dialect a : kAll) {
      const Usage direct = usage_from_response(a, *body);
      EXPECT_GE(direct.input_tokens, 0);
      for (const Dialect b : kAll) {
        Usage usage;
        (void)convert_response(a, b, *body, usage, ctx);
        EXPECT_GE(usage.input_tokens, 0);
        (void)convert_request(a, b, *body);
      }
    }
  }
}

}  // namespace
}  // namespace aigw::translate
