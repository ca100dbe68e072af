// Measuring an event's text without a JSON tree: the keys counted at any depth, escapes
// decoded, keys whose value is not a string ignored, invalid JSON refused.
#include "translate/output_meter.h"

#include <gtest/gtest.h>

namespace aigw::translate {
namespace {

TEST(OutputMeterTest, CountsTheStringsUnderTheKeysAtAnyDepth) {
  const char* chunk =
      R"({"id":"c","choices":[{"index":0,"delta":{"content":"Hello","tool_calls":[{"index":0,)"
      R"("function":{"name":"read","arguments":"{\"p\":1}"}}]}}]})";
  EXPECT_EQ(string_bytes_under(chunk, {"content", "name", "arguments"}), 5 + 4 + 7);
  EXPECT_EQ(string_bytes_under(chunk, {"content"}), 5);
  EXPECT_EQ(string_bytes_under(chunk, {"missing"}), 0);
}

TEST(OutputMeterTest, EscapesAreDecodedAndNonStringsIgnored) {
  EXPECT_EQ(string_bytes_under(R"({"text":"a\nb\u00e9"})", {"text"}), 5);  // a \n b é(2 bytes)
  EXPECT_EQ(string_bytes_under(R"({"text":null,"n":{"text":3},"x":"text"})", {"text"}), 0);
  EXPECT_EQ(string_bytes_under(R"({"text":{"inner":"xyz"}})", {"text"}), 0);
}

TEST(OutputMeterTest, InvalidJsonIsRefused) {
  EXPECT_FALSE(string_bytes_under(R"({"text":"unterminated)", {"text"}));
  EXPECT_FALSE(string_bytes_under("[DONE]", {"text"}));
}

// Providers put "usage": null on every chunk: only an object counts as the usage event.
TEST(OutputMeterTest, FindsAnObjectUnderItsKeyButNotANull) {
  constexpr std::string_view keys[] = {"content"};
  auto m = measure_event(R"({"choices":[{"delta":{"content":"hi"}}],"usage":null})", keys, "usage");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text_bytes, 2);
  EXPECT_FALSE(m->has_object);
  m = measure_event(R"({"choices":[],"usage":{"prompt_tokens":3}})", keys, "usage");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->has_object);
  m = measure_event(R"({"type":"message_start","message":{"usage":{"input_tokens":3}}})", keys,
                    "usage");
  EXPECT_TRUE(m && m->has_object);  // at any depth
  m = measure_event(R"({"usage":[{"a":1}]})", keys, "usage");
  EXPECT_TRUE(m && !m->has_object);  // an array holding an object is not one
}

}  // namespace
}  // namespace aigw::translate
