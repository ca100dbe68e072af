// The one writer of each dialect's error body: the gateway's own errors, converted provider
// errors and stream error events all come out of it in the same shape.
#include "translate/error_body.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "router/render_error.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

TEST(ErrorBodyTest, OpenAiShapeHasMessageTypeParamAndCode) {
  const json::object body =
      openai_error_body("no such model", "invalid_request_error", "model_not_found");
  const auto& err = body.at("error").as_object();
  EXPECT_EQ(err.at("message").as_string(), "no such model");
  EXPECT_EQ(err.at("type").as_string(), "invalid_request_error");
  EXPECT_TRUE(err.at("param").is_null());
  EXPECT_EQ(err.at("code").as_string(), "model_not_found");
  EXPECT_TRUE(openai_error_body("x", "").at("error").as_object().at("code").is_null());
  EXPECT_EQ(openai_error_body("x", "").at("error").as_object().at("type").as_string(), "api_error");
}

TEST(ErrorBodyTest, AnthropicShapeAndTypesByStatus) {
  const json::object body = anthropic_error_body("rate_limit_error", "slow down");
  EXPECT_EQ(body.at("type").as_string(), "error");
  EXPECT_EQ(body.at("error").as_object().at("type").as_string(), "rate_limit_error");
  EXPECT_EQ(anthropic_error_type(401), "authentication_error");
  EXPECT_EQ(anthropic_error_type(413), "request_too_large");
  EXPECT_EQ(anthropic_error_type(503), "overloaded_error");
  EXPECT_EQ(anthropic_error_type(502), "api_error");
  EXPECT_EQ(anthropic_error_type(422), "invalid_request_error");
}

// The gateway's own error, a converted provider error and a stream's error event agree.
TEST(ErrorBodyTest, EveryRendererWritesTheSameShape) {
  const ApiError limited{429, "rate_limit_error", "team over its limit", 30, {}, {}};
  const auto own =
      json::parse(router::render_error(ErrorStyle::kAnthropic, limited).body).as_object();
  const ApiError converted =
      convert_error(Dialect::kOpenAiChat, Dialect::kAnthropicMessages, 429,
                    R"({"error":{"message":"team over its limit","type":"requests"}})");
  const auto theirs = json::parse(*converted.literal_body).as_object();
  EXPECT_EQ(own.at("type"), theirs.at("type"));
  EXPECT_EQ(own.at("error").as_object().at("type"), theirs.at("error").as_object().at("type"));
  EXPECT_EQ(own.at("error").as_object().at("message"),
            theirs.at("error").as_object().at("message"));
  const std::string event = router::render_stream_error(ErrorStyle::kAnthropic, limited);
  EXPECT_EQ(event.rfind("event: error\ndata: ", 0), 0u) << event;
  EXPECT_EQ(json::parse(event.substr(event.find('{'))).as_object(), own);
  const std::string openai_event = router::render_stream_error(ErrorStyle::kOpenAi, limited);
  EXPECT_EQ(openai_event.rfind("data: {\"error\":", 0), 0u) << openai_event;
}

}  // namespace
}  // namespace aigw::translate
