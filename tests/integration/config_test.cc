// The config file at start: ${VAR} interpolation, built-in provider names, key_style, --port over
// listen, and a bad file stopping start-up with the key and its line.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

// The message of the exception a failed start throws ("" when it started).
std::string start_failure(const std::string& yaml, AigwOptions options = {}) {
  try {
    AigwProcess gw(yaml, std::move(options));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, ApiKeyComesFromTheEnvironment) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwOptions options;
  options.env = {{"AIGW_TEST_OPENAI_KEY", kProviderKey}};
  AigwProcess gw("providers:\n  openai: { dialect: openai, base_url: \"" + openai.base_url() +
                     "\", api_key: \"${AIGW_TEST_OPENAI_KEY}\" }\n",
                 options);
  ASSERT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}").status,
      200);
  EXPECT_EQ(openai.requests().at(0).header("authorization"), std::string("Bearer ") + kProviderKey);
}

TEST(ConfigTest, DefaultAppliesWhenTheVariableIsUnset) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw("providers:\n  openai: { dialect: openai, base_url: \"${AIGW_TEST_UNSET_URL:-" +
                 openai.base_url() + "}\", api_key: \"${AIGW_TEST_UNSET_KEY:-fallback-key}\" }\n");
  ASSERT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}").status,
      200);
  EXPECT_EQ(openai.requests().at(0).header("authorization"), "Bearer fallback-key");
}

TEST(ConfigTest, BuiltInNamesNeedOnlyBaseUrlAndKey) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  FakeUpstream anthropic(
      [](const UpstreamRequest&) { return Reply::json(200, anthropic_message_answer()); });
  FakeUpstream groq(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("groq")); });
  AigwProcess gw(
      "providers:\n"
      "  openai: { base_url: \"" +
      openai.base_url() +
      "\", api_key: k1 }\n"
      "  anthropic: { base_url: \"" +
      anthropic.base_url() +
      "\", api_key: k2 }\n"
      "  groq: { base_url: \"" +
      groq.base_url() + "\", api_key: k3 }\n");
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}").status,
      200);
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"), "{}").status,
      200);
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("groq"), "{}").status,
      200);
  EXPECT_EQ(openai.requests().at(0).header("authorization"), "Bearer k1");
  EXPECT_EQ(anthropic.requests().at(0).header("x-api-key"), "k2");
  EXPECT_EQ(groq.requests().at(0).header("authorization"), "Bearer k3");
}

TEST(ConfigTest, KeyStyleChoosesHowTheKeyIsSent) {
  FakeUpstream azure([](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw("providers:\n" + provider_entry("azure", "openai", azure.base_url(), "az-key",
                                                 "key_style: api-key"));
  ASSERT_EQ(http_request(gw.port(), "POST", "/v1/chat/completions",
                         with_provider("azure", {{"api-key", kClientToken}}), "{}")
                .status,
            200);
  const auto seen = azure.requests().at(0);
  EXPECT_EQ(seen.header("api-key"), "az-key");
  EXPECT_FALSE(seen.has_header("authorization"));
}

TEST(ConfigTest, PortFlagOverridesTheListenPort) {
  // Port 1 is privileged: aigw can only start because --port 0 replaces it.
  AigwProcess gw("listen: 127.0.0.1:1\n");
  EXPECT_NE(gw.port(), 1);
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
  EXPECT_EQ(gw.start_line().at("msg"), "listening");
  EXPECT_EQ(gw.start_line().at("address"), "127.0.0.1");
}

TEST(ConfigTest, UnknownKeyStopsStartUpNamingTheKeyAndLine) {
  const auto error = start_failure("server:\n  max_bdy_bytes: 5\n");
  EXPECT_NE(error.find("server.max_bdy_bytes (line 3)"), std::string::npos)
      << error;  // line 1 is the added listen
}

TEST(ConfigTest, WrongBaseUrlStopsStartUpNamingTheKey) {
  const auto error =
      start_failure("providers:\n  local: { dialect: openai, base_url: \"ftp://x/v1\" }\n");
  EXPECT_NE(error.find("providers.local.base_url"), std::string::npos) << error;
  EXPECT_NE(error.find("http:// or https://"), std::string::npos) << error;
}

TEST(ConfigTest, WrongTypeStopsStartUpNamingTheKey) {
  const auto error = start_failure("server: { max_in_flight: lots }\n");
  EXPECT_NE(error.find("server.max_in_flight"), std::string::npos) << error;
}

}  // namespace
}  // namespace aigw::testing
