// The one validator of caller values that reach an upstream request line, host or header, a log
// or a ledger row: each class of hostile spelling is refused with a 400 naming the field.
#include "router/caller_values.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/text.h"
#include "translate/translate.h"

namespace aigw::router {
namespace {

TEST(CallerValuesTest, RealModelIdsPass) {
  for (const char* model :
       {"gpt-4o", "claude-sonnet-4-5-20250929", "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "ft:gpt-4o-mini-2024-07-18:org:custom:9abc", "meta-llama/Llama-3.3-70B-Instruct",
        "llama3.1:8b", "gemini-2.5-pro", "models/gemini-2.5-flash", "openai/gpt-4o@2024-08-06",
        "accounts/fireworks/models/qwen3+coder"}) {
    EXPECT_EQ(check_model_id(model), std::nullopt) << model;
  }
}

TEST(CallerValuesTest, ModelIdsThatCouldReachAnotherUrlOrRequestAreRefused) {
  const std::string nul("gpt\0x", 5);
  for (const std::string& model :
       {std::string("gemini-pro:generateContent HTTP/1.1\r\nHost: evil\r\n\r\nGET /"),
        std::string("../files"), std::string("a/../../v1beta/files"), std::string("x?key=1"),
        std::string("x#frag"), std::string("x%2F..%2F"), std::string("/abs"), std::string("a//b"),
        std::string("a/."), std::string("tab\there"), std::string("sp ace"), nul,
        std::string("\xc3\xa9t\xc3\xa9"), std::string(""),
        std::string(kMaxModelIdLength + 1, 'a')}) {
    const auto error = check_model_id(model);
    ASSERT_TRUE(error.has_value()) << model;
    EXPECT_EQ(error->status, 400);
    EXPECT_EQ(error->message.rfind("invalid model: ", 0), 0u) << error->message;
    // The error quotes a short, printable form only.
    EXPECT_LT(error->message.size(), 300u);
    EXPECT_EQ(error->message.find('\r'), std::string::npos);
    EXPECT_EQ(error->message.find('\n'), std::string::npos);
  }
}

TEST(CallerValuesTest, OnlyAWellFormedTraceparentGivesATraceId) {
  EXPECT_EQ(trace_id_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // A later version may carry more after the flags; version 00 may not.
  EXPECT_EQ(trace_id_of("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"}) {
    EXPECT_FALSE(trace_id_of(bad).has_value()) << bad;
  }
}

TEST(CallerValuesTest, BodyModelMustBeAStringWhenPresent) {
  EXPECT_EQ(check_body_model(boost::json::object{}), std::nullopt);
  EXPECT_EQ(check_body_model(boost::json::object{{"model", "gpt-4o"}}), std::nullopt);
  const auto not_string = check_body_model(boost::json::object{{"model", 42}});
  ASSERT_TRUE(not_string.has_value());
  EXPECT_EQ(not_string->message, "invalid model: must be a string");
  const auto huge = check_body_model(boost::json::object{{"model", std::string(400 * 1024, 'm')}});
  ASSERT_TRUE(huge.has_value());
  EXPECT_NE(huge->message.find("longer than 256"), std::string::npos);
}

TEST(CallerValuesTest, GeminiPathKeepsTheModelInOneSegment) {
  using translate::Dialect;
  EXPECT_EQ(translate::provider_path(Dialect::kGoogleGemini, "gemini-2.5-pro", false),
            "/models/gemini-2.5-pro:generateContent");
  EXPECT_EQ(translate::provider_path(Dialect::kGoogleGemini, "models/gemini-2.5-pro", true),
            "/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
  // Even a value that slipped past the validator cannot leave its segment.
  EXPECT_EQ(translate::provider_path(Dialect::kGoogleGemini, "../x?y#z", false),
            "/models/..%2Fx%3Fy%23z:generateContent");
  EXPECT_EQ(translate::provider_path(Dialect::kGoogleGemini, "a\r\nb", false),
            "/models/a%0D%0Ab:generateContent");
  EXPECT_EQ(encode_path_segment(".."), "%2E%2E");
}

TEST(CallerValuesTest, ProviderNamesAreShortAndPlain) {
  EXPECT_EQ(check_provider_name("openai"), std::nullopt);
  EXPECT_EQ(check_provider_name("azure-openai.eu_1"), std::nullopt);
  for (const std::string& name : {std::string("open ai"), std::string("openai\r\nx: y"),
                                  std::string(65, 'a'), std::string("a,b"), std::string("../x")}) {
    const auto error = check_provider_name(name);
    ASSERT_TRUE(error.has_value()) << name;
    EXPECT_NE(error->message.find("x-portkey-provider"), std::string::npos);
  }
}

TEST(CallerValuesTest, HeaderValuesWithControlCharactersNeverCross) {
  EXPECT_EQ(check_header_value("anthropic-beta", "tools-2024-04-04,\tpdfs"), std::nullopt);
  for (const std::string& value :
       {std::string("a\r\nx-goog-api-key: stolen"), std::string("a\nb"), std::string("a\rb"),
        std::string("a\0b", 3), std::string("a\x7f"),
        std::string(kMaxForwardedHeaderValue + 1, 'v')}) {
    const auto error = check_header_value("anthropic-beta", value);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->message.find("header anthropic-beta"), std::string::npos) << error->message;
  }
}

TEST(CallerValuesTest, CustomHostParsesStrictly) {
  const auto ok = parse_custom_host("https://LLM.internal:8443/v1/");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->host, "llm.internal");
  EXPECT_EQ(ok->port, "8443");
  EXPECT_EQ(ok->path, "/v1");
  EXPECT_EQ(ok->host_header, "LLM.internal:8443");
  const auto v6 = parse_custom_host("http://[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "9000");
  EXPECT_FALSE(parse_custom_host("https://llm.internal:0").ok());
  EXPECT_FALSE(parse_custom_host("https://llm.internal:65536").ok());
  EXPECT_FALSE(parse_custom_host("ftp://llm.internal").ok());
  EXPECT_FALSE(parse_custom_host("https://").ok());
}

}  // namespace
}  // namespace aigw::router
