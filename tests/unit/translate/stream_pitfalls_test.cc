// The stream bugs other gateways shipped (shared/PITFALLS.md), each pinned by a named test over
// the golden inputs: what official SDKs and Claude Code/Codex rely on.
#include <gtest/gtest.h>

#include <map>

#include "translate_test_support.h"

namespace aigw::translate::testing {
namespace {

std::string golden_input(std::string_view cell, std::string_view name) {
  return read_file(data_dir() / cell / (std::string(name) + ".in.sse"));
}

std::string convert(Dialect provider, Dialect caller, std::string_view input,
                    RequestContext ctx = test_context()) {
  auto c = make_stream_converter(provider, caller, ctx);
  return run_stream(*c, input, {7});
}

// Checks the Anthropic framing rules over a whole converted stream.
void expect_valid_anthropic_stream(const std::vector<ParsedEvent>& events) {
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().event, "message_start");
  EXPECT_EQ(events.back().event, "message_stop");
  int starts = 0;
  int open = -1;
  int next = 0;
  std::map<int, std::string> block_types;
  for (const auto& e : events) {
    const auto& d = e.data.as_object();
    EXPECT_EQ(e.event, d.at("type").as_string()) << "event name and type differ";
    if (e.event == "message_start") {
      ++starts;
      const auto& usage = d.at("message").at("usage").as_object();
      EXPECT_TRUE(usage.contains("input_tokens")) << "message_start without usage";
      EXPECT_TRUE(usage.contains("output_tokens"));
    } else if (e.event == "content_block_start") {
      EXPECT_EQ(open, -1) << "a block started before the previous one stopped";
      open = static_cast<int>(d.at("index").as_int64());
      EXPECT_EQ(open, next++) << "block indexes must count up from 0";
      block_types[open] = std::string(d.at("content_block").at("type").as_string());
    } else if (e.event == "content_block_stop") {
      EXPECT_EQ(d.at("index").as_int64(), open);
      open = -1;
    } else if (e.event == "content_block_delta") {
      const int index = static_cast<int>(d.at("index").as_int64());
      EXPECT_EQ(index, open) << "delta outside its open block";
      const std::string type(d.at("delta").at("type").as_string());
      const std::string& block = block_types[index];
      std::string expected = "text";
      if (type == "thinking_delta" || type == "signature_delta") expected = "thinking";
      if (type == "input_json_delta") expected = "tool_use";
      EXPECT_EQ(block, expected) << type << " in a " << block << " block";
    } else if (e.event == "message_delta") {
      EXPECT_TRUE(d.at("delta").as_object().contains("stop_reason"));
      EXPECT_TRUE(d.at("usage").as_object().contains("output_tokens"));
    }
  }
  EXPECT_EQ(starts, 1) << "message_start must be sent exactly once";
  EXPECT_EQ(open, -1);
}

TEST(TranslateStreamPitfallsTest, MessageStartCarriesUsageWhenTheProviderReportsItLate) {
  RequestContext ctx = test_context();
  ctx.estimated_input_tokens = 321;
  const auto events = parse_events(convert(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                                           golden_input("anthropic_to_chat", "stream_text"), ctx));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().data.at("message").at("usage").at("input_tokens").as_int64(), 321);
  // The provider's real count arrives in message_delta.
  const auto& last_delta = events[events.size() - 2].data;
  EXPECT_EQ(last_delta.at("usage").at("input_tokens").as_int64(), 7);
  EXPECT_EQ(last_delta.at("usage").at("cache_read_input_tokens").as_int64(), 2);
}

TEST(TranslateStreamPitfallsTest, AnthropicFramingHoldsForEveryProviderStream) {
  const std::pair<const char*, const char*> cases[] = {
      {"anthropic_to_chat", "stream_text"},
      {"anthropic_to_chat", "stream_parallel_tools"},
      {"anthropic_to_chat", "stream_reasoning_crlf"},
      {"anthropic_to_chat", "stream_no_done"},
      {"anthropic_to_gemini", "stream_function_calls"}};
  for (const auto& [cell, name] : cases) {
    SCOPED_TRACE(std::string(cell) + "/" + name);
    const Dialect provider =
        std::string_view(cell).ends_with("gemini") ? Dialect::kGoogleGemini : Dialect::kOpenAiChat;
    expect_valid_anthropic_stream(
        parse_events(convert(provider, Dialect::kAnthropicMessages, golden_input(cell, name))));
  }
}

TEST(TranslateStreamPitfallsTest, ThinkingDeltasNeverLandInATextBlock) {
  // A provider that sends text on its thinking block's index: the text gets its own block.
  const std::string input =
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\","
      "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n"
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":4}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  // Anthropic -> chat -> Anthropic round trip through two converters.
  const std::string chat = convert(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, input);
  expect_valid_anthropic_stream(
      parse_events(convert(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, chat)));
}

TEST(TranslateStreamPitfallsTest, StreamedToolArgumentsAreAssembledAcrossChunks) {
  const std::string input = golden_input("chat_to_anthropic", "stream_parallel_tool_use");
  // Chat callers: the argument pieces of each index concatenate to the whole input.
  std::map<std::int64_t, std::string> args;
  for (const auto& e :
       parse_events(convert(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, input))) {
    if (e.data.is_null() || !e.data.as_object().contains("choices")) continue;
    for (const auto& ch : e.data.at("choices").as_array()) {
      const auto* calls = ch.at("delta").as_object().if_contains("tool_calls");
      if (!calls) continue;
      for (const auto& c : calls->as_array()) {
        args[c.at("index").as_int64()] += c.at("function").at("arguments").as_string();
      }
    }
  }
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(json::parse(args[0]),
            json::parse(R"({"location":"San Francisco, CA","unit":"fahrenheit"})"));
  EXPECT_EQ(json::parse(args[1]), json::parse(R"({"tz":"PST"})"));
  // Responses callers: the .done event and the finished item carry the whole arguments, never
  // an empty object (LiteLLM #25321).
  std::map<std::string, std::string> deltas;
  int done_items = 0;
  for (const auto& e :
       parse_events(convert(Dialect::kAnthropicMessages, Dialect::kOpenAiResponses, input))) {
    const auto& d = e.data.as_object();
    if (e.event == "response.function_call_arguments.delta") {
      deltas[std::string(d.at("item_id").as_string())] += d.at("delta").as_string();
    } else if (e.event == "response.function_call_arguments.done") {
      EXPECT_EQ(d.at("arguments").as_string(), deltas[std::string(d.at("item_id").as_string())]);
    } else if (e.event == "response.output_item.done" &&
               d.at("item").at("type").as_string() == "function_call") {
      ++done_items;
      EXPECT_NE(d.at("item").at("arguments").as_string(), "{}");
    }
  }
  EXPECT_EQ(done_items, 2);
}

TEST(TranslateStreamPitfallsTest, ParallelToolCallsKeepTheirOwnIndexAndId) {
  const auto events =
      parse_events(convert(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                           golden_input("anthropic_to_chat", "stream_parallel_tools")));
  std::vector<std::string> ids;
  for (const auto& e : events) {
    if (e.event == "content_block_start") {
      ids.emplace_back(e.data.at("content_block").at("id").as_string());
    }
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"call_DdmO9pD3xa9XTPNJ32zg2hcA", "call_xyz"}));
}

TEST(TranslateStreamPitfallsTest, InterleavedChatToolDeltasStayWithTheirCall) {
  // Two calls whose argument pieces alternate: each piece keeps its call's block index.
  const std::string input =
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
      "{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":\"}},"
      "{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"y\\\":\"}}]}}]}"
      "\n\n"
      "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
      "{\"index\":0,\"function\":{\"arguments\":\"1}\"}},{\"index\":1,\"function\":{\"arguments\":"
      "\"2}\"}}]},"
      "\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";
  std::map<std::int64_t, std::string> by_index;
  for (const auto& e :
       parse_events(convert(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, input))) {
    if (e.event != "content_block_delta") continue;
    by_index[e.data.at("index").as_int64()] += e.data.at("delta").at("partial_json").as_string();
  }
  EXPECT_EQ(by_index[0], "{\"x\":1}");
  EXPECT_EQ(by_index[1], "{\"y\":2}");
}

TEST(TranslateStreamPitfallsTest, OnlyTheFirstChatChunkCarriesTheRole) {
  const auto events = parse_events(convert(Dialect::kAnthropicMessages, Dialect::kOpenAiChat,
                                           golden_input("chat_to_anthropic", "stream_thinking")));
  int with_role = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].data.is_null()) {
      EXPECT_EQ(i, events.size() - 1) << "[DONE] must be last";
      continue;
    }
    const auto& choices = events[i].data.at("choices").as_array();
    if (choices.empty()) continue;
    if (choices[0].at("delta").as_object().contains("role")) {
      EXPECT_EQ(i, 0u);
      ++with_role;
    }
  }
  EXPECT_EQ(with_role, 1);
}

// Anthropic's content_block_delta (nearly every event) is read without a JSON tree; any shape
// of it — keys in another order, spaces, escapes, fields it does not know, a non-integer index,
// a null text, no "type" in the data — gives what reading it as a tree gives.
TEST(TranslateStreamPitfallsTest, AnthropicTextDeltasReadTheSameInEveryShape) {
  const std::string start =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
      "\"model\":\"claude\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  const char* deltas[] = {
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"A"}})",
      R"({"delta":{"text":"B","type":"text_delta"},"index":0,"type":"content_block_delta"})",
      R"({ "type" : "content_block_delta" , "index" : 0 , "delta" : { "type" : "text_delta" , "text" : "C" } })",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"d\"\u00e9\n"}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}})",
      R"({"type":"content_block_delta","index":0.0,"delta":{"type":"text_delta","text":"E"}})",
      R"({"type":"content_block_delta","meta":[{"text":"no"}],"index":0,"delta":{"type":"text_delta","x":{"text":"no"},"text":"F"}})",
      R"({"index":0,"delta":{"type":"text_delta","text":"G"}})",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"no"}})",
      R"({"type":"ping"})",
      R"(not json {"text":"no"})",
  };
  std::string input = start;
  for (const char* d : deltas)
    input += "event: content_block_delta\ndata: " + std::string(d) + "\n\n";
  input +=
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: "
      "{\"type\":\"message_stop\"}\n\n";
  std::string text;
  for (const auto& e :
       parse_events(convert(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, input))) {
    if (e.data.is_null() || e.data.at("choices").as_array().empty()) continue;
    const auto& delta = e.data.at("choices").at(0).at("delta").as_object();
    if (const auto* c = delta.if_contains("content"); c && c->is_string()) text += c->as_string();
  }
  EXPECT_EQ(text, "ABCd\"\xc3\xa9\nEFG");
}

TEST(TranslateStreamPitfallsTest, ResponsesEventsAreNumberedFromCreatedToCompleted) {
  const auto events =
      parse_events(convert(Dialect::kAnthropicMessages, Dialect::kOpenAiResponses,
                           golden_input("responses_to_anthropic", "stream_thinking")));
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().event, "response.created");
  EXPECT_EQ(events[1].event, "response.in_progress");
  EXPECT_EQ(events.back().event, "response.completed");
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].data.at("sequence_number").as_int64(), static_cast<std::int64_t>(i));
    EXPECT_EQ(events[i].event, events[i].data.at("type").as_string());
  }
  const auto& usage = events.back().data.at("response").at("usage");
  EXPECT_EQ(usage.at("input_tokens").as_int64(), 30);
  EXPECT_EQ(usage.at("output_tokens").as_int64(), 15);
}

TEST(TranslateStreamPitfallsTest, ABrokenStreamEndsWithAnErrorInTheCallersDialect) {
  const std::string input = golden_input("chat_to_anthropic", "stream_parallel_tool_use");
  const std::string partial = input.substr(0, input.size() / 2);
  struct Case {
    Dialect caller;
    std::string_view expected_tail;
  };
  for (const Case& c :
       {Case{Dialect::kOpenAiChat, "data: {\"error\":{\"message\":\"upstream reset\""},
        Case{Dialect::kOpenAiResponses, "event: response.failed\n"},
        Case{Dialect::kAnthropicMessages, "event: error\ndata: {\"type\":\"error\""}}) {
    RequestContext ctx = test_context();
    // Anthropic -> Anthropic is passthrough: the observer writes the error event.
    auto conv = make_stream_converter(Dialect::kAnthropicMessages, c.caller, ctx);
    std::string out;
    conv->feed(partial, out);
    const std::size_t before = out.size();
    conv->fail("upstream reset", out);
    const std::string tail = out.substr(before);
    EXPECT_TRUE(tail.starts_with(c.expected_tail)) << tail;
    EXPECT_NE(tail.find("upstream reset"), std::string::npos);
    // Nothing follows the error, and the tokens seen so far are kept for accounting.
    const std::size_t after = out.size();
    conv->finish(out);
    conv->fail("again", out);
    EXPECT_EQ(out.size(), after);
    EXPECT_EQ(conv->usage().input_tokens, 472);
  }
}

TEST(TranslateStreamPitfallsTest, UsageObserverPassesBytesThroughAndCountsTokens) {
  const std::string input = golden_input("chat_to_anthropic", "stream_thinking");
  auto obs = make_usage_observer(Dialect::kAnthropicMessages);
  EXPECT_EQ(run_stream(*obs, input, {5}), input);
  EXPECT_EQ(obs->usage().input_tokens, 30);
  EXPECT_EQ(obs->usage().cached_tokens, 5);
  EXPECT_EQ(obs->usage().output_tokens, 15);

  auto chat = make_usage_observer(Dialect::kOpenAiChat);
  run_stream(*chat, golden_input("anthropic_to_chat", "stream_text"), {3});
  EXPECT_EQ(chat->usage().input_tokens, 9);
  EXPECT_EQ(chat->usage().cached_tokens, 2);

  auto gemini = make_usage_observer(Dialect::kGoogleGemini);
  run_stream(*gemini, golden_input("chat_to_gemini", "stream_function_calls"), {11});
  EXPECT_EQ(gemini->usage().output_tokens, 32);

  auto responses = make_usage_observer(Dialect::kOpenAiResponses);
  const std::string resp = convert(Dialect::kAnthropicMessages, Dialect::kOpenAiResponses, input);
  EXPECT_EQ(run_stream(*responses, resp, {13}), resp);
  EXPECT_EQ(responses->usage().input_tokens, 30);
  EXPECT_EQ(responses->usage().output_tokens, 15);
}

}  // namespace
}  // namespace aigw::translate::testing
