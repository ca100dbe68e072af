// Measuring an event's text without a JSON tree: the keys counted at any depth, escapes
// decoded, keys whose value is not a string ignored, invalid JSON refused.
#include "translate/output_meter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <span>
#include <utility>

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

// The one-pass scan (used for events that are JSON objects) against a JSON tree walked here:
// every shape providers stream, with escapes, whitespace, raw UTF-8 and Unicode escapes.
std::int64_t tree_bytes(const boost::json::value& v, std::span<const std::string_view> keys) {
  std::int64_t n = 0;
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      const bool text_key =
          std::find(keys.begin(), keys.end(), std::string_view(kv.key())) != keys.end();
      if (text_key && kv.value().is_string()) n += kv.value().get_string().size();
      n += tree_bytes(kv.value(), keys);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& x : *a) n += tree_bytes(x, keys);
  }
  return n;
}

TEST(OutputMeterTest, TheScanAgreesWithAJsonTreeOnEveryStreamShape) {
  constexpr std::string_view chat[] = {"content", "reasoning_content", "name", "arguments"};
  constexpr std::string_view anthropic[] = {"text", "thinking", "partial_json", "name"};
  const std::pair<const char*, std::span<const std::string_view>> events[] = {
      {R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null})",
       chat},
      {R"({"choices":[{"delta":{"content":"Line one\nLine \"two\"\t\\ end"}}]})", chat},
      {R"({ "choices" : [ { "delta" : { "content" : "spaced" } } ] , "usage" : { "prompt_tokens" : 3 } })",
       chat},
      {R"({"choices":[{"delta":{"content":"héllo — 日本"}}]})", chat},
      {R"({"choices":[{"delta":{"content":"caf\u00e9 \ud83d\ude00"}}]})", chat},
      {R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"call_1","function":{"name":"read_file","arguments":"{\"path\":\"a.txt\"}"}}]}}]})",
       chat},
      {R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \"there\""}})",
       anthropic},
      {R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\": 1"}})",
       anthropic},
      {R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})",
       anthropic},
      {R"({"a":"name","b":["name",{"name":"x"}],"name":{"text":"y"},"text":null})", anthropic},
      {R"({"text":"a\/b\\c\"d\be\ff\ng\rh\ti"})", anthropic},
  };
  for (const auto& [text, keys] : events) {
    const auto m = measure_event(text, keys, "usage");
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(m->text_bytes, tree_bytes(boost::json::parse(text), keys)) << text;
    EXPECT_EQ(has_object_under(text, "usage"), m->has_object) << text;
  }
}

// The search for a key's object agrees with the full scan, where the key's name also appears as
// text, escaped, after escaped backslashes, spaced, or holds something else than an object.
TEST(OutputMeterTest, FindingAnObjectByItsKeyAgreesWithTheScan) {
  constexpr std::string_view keys[] = {"content"};
  const char* events[] = {
      R"({"choices":[{"delta":{"content":"usage"}}],"usage":null})",
      R"({"choices":[{"delta":{"content":"\"usage\":{\"a\":1}"}}]})",
      R"({"choices":[{"delta":{"content":"x\\"}}],"usage":{"prompt_tokens":1}})",
      R"({"choices":[{"delta":{"content":"\\\"usage\": {}"}}]})",
      R"({"usage" :  {"total_tokens":2}})",
      R"({"usage":[{"a":1}],"usage_x":{"a":1},"x_usage":{"b":2}})",
      R"({"message":{"usage":{"input_tokens":3}},"usage":"text"})",
      R"({"usage":"{\"a\":1}"})",
      R"({"choices":[]})",
      R"({"\u0075sage":{"prompt_tokens":1}})",
  };
  for (const char* text : events) {
    const auto m = measure_event(text, keys, "usage");
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(has_object_under(text, "usage"), m->has_object) << text;
  }
}

// Two measures of `text` say the same: both none, or the same text bytes and object.
void expect_same_measure(const std::optional<EventMeasure>& a, const std::optional<EventMeasure>& b,
                         std::string_view text) {
  ASSERT_EQ(a.has_value(), b.has_value()) << text;
  if (!a) return;
  EXPECT_EQ(a->text_bytes, b->text_bytes) << text;
  EXPECT_EQ(a->has_object, b->has_object) << text;
}

// The one-pass scan reads what a JSON parser reads, where a key's name also appears as
// text, escaped, after escaped backslashes, twice, as a longer key, or holds no string.
TEST(OutputMeterTest, TheScanAgreesWithTheParser) {
  constexpr std::string_view keys[] = {"content", "text", "name"};
  const char* events[] = {
      R"({"content":"a","content":"bc"})",
      R"({"x":"\"content\":\"hidden\"","content":"seen"})",
      R"({"x":"end\\","content":"after escaped backslashes"})",
      R"({"contents":"no","my_content":"no","content" : "yes"})",
      R"({"content":null,"text":1,"name":["a"],"x":{"content":{"text":"deep"}}})",
      R"({"a":"content","b":"content:","c":["content"]})",
      R"({"text":"tab\tand\/slash","name":"","content":"\"quoted\""})",
      R"({"usage":{"content":"inside usage"},"message":{"text":"m"}})",
      "{\"content\"\t:\n\"spaced\"}",
  };
  for (const char* text : events) {
    const auto scanned = measure_event(text, keys, "usage");
    const auto parsed = parse_and_measure_event(text, keys, "usage");
    ASSERT_TRUE(scanned && parsed) << text;
    expect_same_measure(scanned, parsed, text);
  }
}

// The scan reads sixteen bytes at a time: an escape, a quote or a key cut by a block's edge
// reads as it does anywhere else, at every offset the padding puts it.
TEST(OutputMeterTest, TheScanAgreesWithTheParserAcrossBlockEdges) {
  constexpr std::string_view keys[] = {"content", "text"};
  const std::string bodies[] = {
      R"("content":"a\"b\\","x":"\\\\","text":"\n\t")",
      R"("usage":{"text":"\\"},"content":"\/\"")",
      R"("x":"content\\\"","content":"" ,"text" : "yz")",
  };
  for (const auto& body : bodies) {
    for (std::size_t pad = 0; pad < 40; ++pad) {
      const std::string text = "{\"p\":\"" + std::string(pad, 'p') + "\"," + body + "}";
      const auto scanned = measure_event(text, keys, "usage");
      const auto parsed = parse_and_measure_event(text, keys, "usage");
      ASSERT_TRUE(scanned && parsed) << text;
      expect_same_measure(scanned, parsed, text);
    }
  }
}

// A stream's meter starts each event where the last one's envelope ended, when the bytes
// before are the same: whatever follows there (another text, null, an escape the parser must
// read, a changed envelope, a usage object) measures as the event does alone.
TEST(OutputMeterTest, AStreamsMeterMeasuresEachEventAsItDoesAlone) {
  constexpr std::string_view keys[] = {"content", "refusal"};
  const std::string envelope = R"({"id":"c1","model":"m","choices":[{"delta":{"content":)";
  const std::string events[] = {
      envelope + R"("Hello"}}],"usage":null})",
      envelope + R"(" world"}}],"usage":null})",
      envelope + R"(null,"refusal":"no"}}],"usage":null})",
      envelope + R"("tab\there","refusal":"\"q\""}}]})",
      envelope + R"("caf\u00e9"}}]})",
      R"({"id":"c2","model":"m","choices":[{"delta":{"content":"new id"}}]})",
      R"({"id":"c2","model":"m","choices":[{"delta":{"content":"same again"}}]})",
      envelope + R"("x"}}],"usage":{"prompt_tokens":3}})",
      envelope + R"( "space before"}}]})",  // the same bytes, then not the quote
      envelope + R"("after the space"}}]})",
      envelope,  // cut at the envelope: not JSON
      R"({"id":"c2","model":"m","choices":[]})",
  };
  EventMeter meter(keys, "usage");
  for (const auto& event : events) {
    expect_same_measure(measure_event(event, keys, "usage"), meter.measure(event), event);
  }
  EXPECT_EQ(meter.measure(events[0])->text_bytes, 5);
  EXPECT_EQ(meter.measure(events[3])->text_bytes, 8 + 3);
  EXPECT_EQ(meter.measure(events[4])->text_bytes, 5);  // é: two bytes
}

}  // namespace
}  // namespace aigw::translate
