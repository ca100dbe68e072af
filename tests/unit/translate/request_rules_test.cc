// Request rules each provider enforces, and the fields that must survive or be dropped on
// purpose (PITFALLS.md: thinking budgets, cache_control, tool translation, images).
#include <gtest/gtest.h>

#include "translate_test_support.h"

namespace aigw::translate::testing {
namespace {

json::object to(Dialect from, Dialect target, std::string_view body) {
  auto r = convert_request(from, target, parse_object(body));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : json::object{};
}

TEST(TranslateRequestRulesTest, ThinkingBudgetBelowAnthropicsMinimumIsClamped) {
  // Claude Code on a Bifrost-like path once forwarded 512 and got a 400 (Bifrost #1479).
  const auto out = to(Dialect::kAnthropicMessages, Dialect::kAnthropicMessages,
                      R"({"model":"claude-sonnet-4-5","max_tokens":4000,"messages":[]})");
  EXPECT_EQ(out.at("max_tokens").as_int64(), 4000);  // passthrough is untouched
  const auto r = to(Dialect::kOpenAiResponses, Dialect::kAnthropicMessages,
                    R"({"model":"claude-sonnet-4-5","input":"hi","reasoning":{"effort":"low"}})");
  EXPECT_EQ(r.at("thinking").at("budget_tokens").as_int64(), 1024);
  const auto c = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                    R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],
                        "reasoning_effort":"minimal","max_tokens":100})");
  EXPECT_FALSE(c.contains("thinking")) << "minimal effort is no thinking";
}

TEST(TranslateRequestRulesTest, AnthropicAlwaysGetsMaxTokensAboveTheBudget) {
  const auto plain =
      to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
         R"({"model":"claude-opus-4-1","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(plain.at("max_tokens").as_int64(), 8192);
  const auto thinking = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                           R"({"model":"claude-opus-4-1","reasoning_effort":"high",
                               "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_GT(thinking.at("max_tokens").as_int64(),
            thinking.at("thinking").at("budget_tokens").as_int64());
  const auto tiny = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                       R"({"model":"claude-opus-4-1","reasoning_effort":"high","max_tokens":900,
                           "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FALSE(tiny.contains("thinking")) << "no room for the 1024-token minimum";
  EXPECT_EQ(tiny.at("max_tokens").as_int64(), 900);
}

TEST(TranslateRequestRulesTest, ThinkingDropsSamplingAndForcedToolsDropThinking) {
  const auto out = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                      R"({"model":"claude-sonnet-4-5","reasoning_effort":"medium","temperature":0.2,
                          "top_p":0.5,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_TRUE(out.contains("thinking"));
  EXPECT_FALSE(out.contains("temperature"));
  EXPECT_FALSE(out.contains("top_p"));
  const auto forced =
      to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
         R"({"model":"claude-sonnet-4-5","reasoning_effort":"medium","tool_choice":"required",
                             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
                             "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FALSE(forced.contains("thinking"));
  EXPECT_EQ(forced.at("tool_choice").at("type").as_string(), "any");
}

TEST(TranslateRequestRulesTest, AnthropicGetsTemperatureOrTopPNeverBoth) {
  // Claude Sonnet 4.5 answers 400 "temperature and top_p cannot both be specified".
  const auto both = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                       R"({"model":"claude-sonnet-4-5","temperature":0.5,"top_p":0.9,
                           "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(both.at("temperature").as_double(), 0.5);
  EXPECT_FALSE(both.contains("top_p"));
  const auto top_p = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                        R"({"model":"claude-sonnet-4-5","top_p":0.9,
                            "messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(top_p.at("top_p").as_double(), 0.9);
}

TEST(TranslateRequestRulesTest, CacheControlIsKeptWithAllItsFieldsForAnthropic) {
  const auto out = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, R"({
      "model":"claude-sonnet-4-5",
      "messages":[{"role":"system","content":[{"type":"text","text":"big","cache_control":{"type":"ephemeral","ttl":"1h"}}]},
                  {"role":"user","content":[{"type":"text","text":"q","cache_control":{"type":"ephemeral"}}]}],
      "tools":[{"type":"function","cache_control":{"type":"ephemeral","ttl":"5m"},"function":{"name":"f","parameters":{"type":"object"}}}]})");
  EXPECT_EQ(out.at("system").at(0).at("cache_control"),
            json::parse(R"({"type":"ephemeral","ttl":"1h"})"));
  EXPECT_EQ(out.at("messages").at(0).at("content").at(0).at("cache_control"),
            json::parse(R"({"type":"ephemeral"})"));
  EXPECT_EQ(out.at("tools").at(0).at("cache_control"),
            json::parse(R"({"type":"ephemeral","ttl":"5m"})"));
  // ...and never sent to a provider that would refuse the unknown field.
  const auto chat = to(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, R"({
      "model":"gpt-4o","max_tokens":10,
      "system":[{"type":"text","text":"big","cache_control":{"type":"ephemeral"}}],
      "messages":[{"role":"user","content":[{"type":"text","text":"q","cache_control":{"type":"ephemeral"}}]}]})");
  EXPECT_EQ(json::serialize(chat).find("cache_control"), std::string::npos);
}

TEST(TranslateRequestRulesTest, OpenAiToolsBecomeAnthropicToolsWithPairedResults) {
  // Bifrost #3511 broke every tool request: definitions, calls and results must all map.
  const auto out = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, R"({
      "model":"claude-sonnet-4-5",
      "tools":[{"type":"function","function":{"name":"get","description":"d","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}],
      "messages":[{"role":"user","content":"go"},
                  {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":\"x\"}"}}]},
                  {"role":"tool","tool_call_id":"call_1","content":"done"}]})");
  EXPECT_EQ(
      out.at("tools").at(0).at("input_schema").at("properties").at("a").at("type").as_string(),
      "string");
  const auto& call = out.at("messages").at(1).at("content").at(0);
  EXPECT_EQ(call.at("type").as_string(), "tool_use");
  EXPECT_EQ(call.at("id").as_string(), "call_1");
  EXPECT_EQ(call.at("input"), json::parse(R"({"a":"x"})"));
  const auto& result = out.at("messages").at(2).at("content").at(0);
  EXPECT_EQ(result.at("type").as_string(), "tool_result");
  EXPECT_EQ(result.at("tool_use_id").as_string(), "call_1");
}

TEST(TranslateRequestRulesTest, MalformedToolArgumentsBecomeAnEmptyInputNotAFailure) {
  const auto out = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, R"({
      "model":"claude-sonnet-4-5",
      "messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}]})");
  EXPECT_EQ(out.at("messages").at(0).at("content").at(0).at("input"), json::object{});
}

TEST(TranslateRequestRulesTest, ImagesSurviveEveryDirection) {
  const std::string_view anthropic =
      R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"QUJD"}},
      {"type":"image","source":{"type":"url","url":"https://x/y.jpg"}}]}]})";
  const auto chat = to(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, anthropic);
  EXPECT_EQ(chat.at("messages").at(0).at("content").at(0).at("image_url").at("url").as_string(),
            "data:image/png;base64,QUJD");
  EXPECT_EQ(chat.at("messages").at(0).at("content").at(1).at("image_url").at("url").as_string(),
            "https://x/y.jpg");
  const auto gemini = to(Dialect::kAnthropicMessages, Dialect::kGoogleGemini, anthropic);
  EXPECT_EQ(gemini.at("contents").at(0).at("parts").at(0).at("inlineData").at("data").as_string(),
            "QUJD");
  const auto back = to(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, json::serialize(chat));
  EXPECT_EQ(back.at("messages").at(0).at("content").at(0).at("source").at("data").as_string(),
            "QUJD");
}

TEST(TranslateRequestRulesTest, UnsignedThinkingIsDroppedForAnthropic) {
  // Thinking that came from another provider has no Anthropic signature: sending it is a 400.
  const auto out = to(Dialect::kOpenAiResponses, Dialect::kAnthropicMessages, R"({
      "model":"claude-sonnet-4-5","input":[
        {"type":"reasoning","summary":[{"type":"summary_text","text":"x"}]},
        {"type":"reasoning","summary":[{"type":"summary_text","text":"y"}],"encrypted_content":"gAAAAABoOpenAI"},
        {"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
        {"type":"function_call_output","call_id":"c","output":"ok"}]})");
  EXPECT_EQ(json::serialize(out).find("thinking"), std::string::npos);
}

TEST(TranslateRequestRulesTest, UnknownDirectionsAndStoredStateAreRefusedAsValues) {
  auto r = convert_request(Dialect::kOpenAiChat, Dialect::kOpenAiResponses,
                           parse_object(R"({"messages":[]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 400);
  auto p =
      convert_request(Dialect::kOpenAiResponses, Dialect::kAnthropicMessages,
                      parse_object(R"({"model":"m","input":"x","previous_response_id":"resp_1"})"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("previous_response_id"), std::string::npos);
  auto bad = convert_request(Dialect::kAnthropicMessages, Dialect::kOpenAiChat,
                             parse_object(R"({"model":"m"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 400);
}

TEST(TranslateRequestRulesTest, ProviderPathsAndTranslatablePairs) {
  EXPECT_EQ(provider_path(Dialect::kGoogleGemini, "gemini-2.5-flash", true),
            "/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(provider_path(Dialect::kGoogleGemini, "gemini-2.5-flash", false),
            "/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(provider_path(Dialect::kAnthropicMessages, "x", true), "/messages");
  EXPECT_TRUE(can_translate(Dialect::kOpenAiResponses, Dialect::kAnthropicMessages));
  EXPECT_TRUE(can_translate(Dialect::kAnthropicMessages, Dialect::kGoogleGemini));
  EXPECT_FALSE(can_translate(Dialect::kOpenAiChat, Dialect::kOpenAiResponses));
  EXPECT_FALSE(can_translate(Dialect::kGoogleGemini, Dialect::kOpenAiChat));
  EXPECT_EQ(make_stream_converter(Dialect::kOpenAiResponses, Dialect::kOpenAiChat, test_context()),
            nullptr);
}

TEST(TranslateRequestRulesTest, ContextFromRequestReadsStreamUsageAndEstimate) {
  const auto chat = context_from_request(
      Dialect::kOpenAiChat,
      parse_object(
          R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]})"));
  EXPECT_TRUE(chat.stream);
  EXPECT_TRUE(chat.include_usage);
  EXPECT_EQ(chat.model, "m");
  const auto anthropic = context_from_request(
      Dialect::kAnthropicMessages,
      parse_object(R"({"model":"m","messages":[{"role":"user","content":"hello there"}]})"));
  EXPECT_GT(anthropic.estimated_input_tokens, 0);
}

}  // namespace
}  // namespace aigw::translate::testing
