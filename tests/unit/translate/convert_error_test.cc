// Provider errors rendered in the caller's dialect, usage extraction, and the token estimate.
#include <gtest/gtest.h>

#include "translate_test_support.h"

namespace aigw::translate::testing {
namespace {

json::value body_of(const ApiError& e) { return json::parse(*e.literal_body); }

TEST(ConvertErrorTest, OpenAiErrorBecomesAnthropicShaped) {
  const auto e =
      convert_error(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, 429,
                    R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests",
                                   "param":null,"code":"rate_limit_exceeded"}})");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(body_of(e), json::parse(R"({"type":"error","error":{"type":"rate_limit_error",
                                        "message":"Rate limit reached for gpt-4o"}})"));
}

TEST(ConvertErrorTest, AnthropicOverloadedBecomesOpenAiShapedAndKeepsItsStatus) {
  const auto e =
      convert_error(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, 529,
                    R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},
                                   "request_id":"req_1"})");
  EXPECT_EQ(e.status, 529);  // SDKs retry on it
  EXPECT_EQ(body_of(e), json::parse(R"({"error":{"message":"Overloaded","type":"server_error",
                                        "param":null,"code":"server_overloaded"}})"));
}

TEST(ConvertErrorTest, AnthropicInvalidRequestReachesResponsesCaller) {
  const auto e = convert_error(Dialect::kAnthropicMessages, Dialect::kOpenAiResponses, 400,
                               R"({"type":"error","error":{"type":"invalid_request_error",
                                   "message":"max_tokens: 100000 > 64000"}})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(body_of(e).at("error").at("message").as_string(), "max_tokens: 100000 > 64000");
}

TEST(ConvertErrorTest, GeminiErrorsAlsoWhenWrappedInAnArray) {
  const auto e = convert_error(
      Dialect::kGoogleGemini, Dialect::kOpenAiChat, 400,
      R"([{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}])");
  EXPECT_EQ(body_of(e).at("error").at("message").as_string(), "API key not valid.");
  EXPECT_EQ(body_of(e).at("error").at("type").as_string(), "invalid_request_error");
  const auto busy = convert_error(
      Dialect::kGoogleGemini, Dialect::kAnthropicMessages, 503,
      R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})");
  EXPECT_EQ(body_of(busy).at("error").at("type").as_string(), "overloaded_error");
  const auto quota =
      convert_error(Dialect::kGoogleGemini, Dialect::kAnthropicMessages, 429,
                    R"({"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}})");
  EXPECT_EQ(body_of(quota).at("error").at("type").as_string(), "rate_limit_error");
}

TEST(ConvertErrorTest, NonJsonOrEmptyBodiesStillGiveAMessage) {
  const auto html = convert_error(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, 502,
                                  "<html>Bad Gateway</html>");
  EXPECT_EQ(body_of(html).at("error").at("message").as_string(), "<html>Bad Gateway</html>");
  EXPECT_EQ(body_of(html).at("error").at("type").as_string(), "api_error");
  const auto empty = convert_error(Dialect::kAnthropicMessages, Dialect::kOpenAiChat, 500, "");
  EXPECT_EQ(body_of(empty).at("error").at("message").as_string(),
            "anthropic-messages provider answered HTTP 500");
}

TEST(ConvertUsageTest, EachDialectsUsageCountsCachedTokensAsInput) {
  const auto a = usage_from_response(Dialect::kAnthropicMessages, parse_object(R"({"usage":{
      "input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":7}})"));
  EXPECT_EQ(a.input_tokens, 115);
  EXPECT_EQ(a.cached_tokens, 100);
  EXPECT_EQ(a.output_tokens, 7);
  const auto c = usage_from_response(Dialect::kOpenAiChat, parse_object(R"({"usage":{
      "prompt_tokens":50,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":32}}})"));
  EXPECT_EQ(c.input_tokens, 50);
  EXPECT_EQ(c.cached_tokens, 32);
  const auto g = usage_from_response(Dialect::kGoogleGemini, parse_object(R"({"usageMetadata":{
      "promptTokenCount":9,"candidatesTokenCount":3,"thoughtsTokenCount":4,"cachedContentTokenCount":2}})"));
  EXPECT_EQ(g.input_tokens, 9);
  EXPECT_EQ(g.output_tokens, 7);
  EXPECT_EQ(g.cached_tokens, 2);
  EXPECT_FALSE(usage_from_response(Dialect::kOpenAiChat, parse_object("{}")).known);
}

TEST(ConvertUsageTest, AnswerWithoutChoicesIsABadGatewayValue) {
  Usage u;
  auto r = convert_response(Dialect::kOpenAiChat, Dialect::kAnthropicMessages,
                            parse_object(R"({"id":"x"})"), u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 502);
}

TEST(TranslateEstimateTokensTest, GrowsWithTextToolsAndImages) {
  const auto base =
      estimate_input_tokens(parse_object(R"({"messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_GT(base, 0);
  const std::string long_text(4000, 'a');
  const auto longer = estimate_input_tokens(
      parse_object(R"({"messages":[{"role":"user","content":")" + long_text + R"("}]})"));
  EXPECT_NEAR(static_cast<double>(longer - base), 1000.0, 5.0);
  const auto with_tools =
      estimate_input_tokens(parse_object(R"({"messages":[{"role":"user","content":"hi"}],
      "tools":[{"name":"Read","description":"Reads a file from disk","input_schema":{"type":"object"}}]})"));
  EXPECT_GT(with_tools, base + 16);
  const auto with_image =
      estimate_input_tokens(parse_object(R"({"messages":[{"role":"user","content":[
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"QUJD"}}]}]})"));
  EXPECT_GE(with_image, 1600);
  const auto with_system = estimate_input_tokens(
      parse_object(R"({"system":[{"type":"text","text":")" + long_text + R"("}],"messages":[]})"));
  EXPECT_GE(with_system, 1000);
}

}  // namespace
}  // namespace aigw::translate::testing
