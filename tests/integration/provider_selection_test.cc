// Choosing the provider: x-portkey-provider missing, unknown, or speaking another API; bodies that
// are not JSON; x-portkey-custom-host allowed or refused by upstream.allowed_custom_hosts.
#include <gtest/gtest.h>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

class ProviderSelectionTest : public ::testing::Test {
 protected:
  FakeUpstream openai_{
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); }};
  FakeUpstream anthropic_{
      [](const UpstreamRequest&) { return Reply::json(200, anthropic_message_answer()); }};
  AigwProcess gw_{providers_yaml(&openai_, &anthropic_)};
};

TEST_F(ProviderSelectionTest, MissingProviderHeaderIs400WithTheExactTroubleshootingBody) {
  for (const char* path : {"/v1/chat/completions", "/v1/responses", "/v1/embeddings",
                           "/v1/messages", "/v1/messages/count_tokens"}) {
    const auto r = http_request(gw_.port(), "POST", path, {{"Content-Type", "application/json"}},
                                R"({"model":"x","messages":[]})");
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.body, R"({"error": "provider is not set"})") << path;
  }
  EXPECT_TRUE(openai_.requests().empty());
  EXPECT_TRUE(anthropic_.requests().empty());
}

TEST_F(ProviderSelectionTest, UnknownProviderIs400NamingTheKnownOnes) {
  const auto r =
      http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("opneai"), "{}");
  EXPECT_TRUE(is_openai_error(r, 400, "unknown provider \"opneai\"; known providers: "));
  for (const char* name : {"openai", "anthropic"}) {
    EXPECT_NE(r.error_message().find(name), std::string::npos) << name << " missing in " << r.body;
  }
  EXPECT_TRUE(is_anthropic_error(
      http_request(gw_.port(), "POST", "/v1/messages", with_provider("nope"), "{}"), 400,
      "unknown provider \"nope\""));
}

TEST_F(ProviderSelectionTest, EmbeddingsOnAnAnthropicProviderIs400NamingTheApis) {
  const auto r = http_request(gw_.port(), "POST", "/v1/embeddings", with_provider("anthropic"),
                              R"({"model":"claude","input":"hi"})");
  EXPECT_TRUE(is_openai_error(r, 400, "provider \"anthropic\" speaks the"));
  EXPECT_TRUE(anthropic_.requests().empty());
}

TEST_F(ProviderSelectionTest, BodyThatIsNotJsonIs400AndNeverReachesTheProvider) {
  EXPECT_TRUE(is_openai_error(http_request(gw_.port(), "POST", "/v1/chat/completions",
                                           with_provider("openai"), "{\"model\": nope"),
                              400, "request body is not valid JSON"));
  EXPECT_TRUE(is_anthropic_error(http_request(gw_.port(), "POST", "/v1/messages?beta=true",
                                              with_provider("anthropic"), "not json at all"),
                                 400, "request body is not valid JSON"));
  EXPECT_TRUE(openai_.requests().empty());
  EXPECT_TRUE(anthropic_.requests().empty());
}

TEST(CustomHostTest, AllowedCustomHostReceivesTheRequestInsteadOfTheBaseUrl) {
  FakeUpstream configured(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("configured")); });
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("custom")); });
  AigwProcess gw("upstream: { allowed_custom_hosts: [ \"http://127.0.0.1:" +
                 std::to_string(custom.port()) + "\" ] }\n" + providers_yaml(&configured));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions",
                   with_provider("openai", {{"x-portkey-custom-host", custom.base_url()}}),
                   R"({"model":"gpt-4o"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("custom"), std::string::npos);
  ASSERT_EQ(custom.requests().size(), 1u);
  EXPECT_EQ(custom.requests()[0].target, "/v1/chat/completions");
  EXPECT_EQ(custom.requests()[0].header("authorization"), std::string("Bearer ") + kProviderKey);
  EXPECT_FALSE(custom.requests()[0].has_header("x-portkey-custom-host"));
  EXPECT_TRUE(configured.requests().empty());
}

TEST(CustomHostTest, HostPortEntryAllowsOnlyThatPort) {
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(
      "upstream: { allowed_custom_hosts: [ \"http://127.0.0.1:" + std::to_string(custom.port()) +
      "\" ] }\n" + "providers:\n" + provider_entry("openai", "openai", "http://127.0.0.1:9/v1"));
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions",
                   with_provider("openai", {{"x-portkey-custom-host", custom.base_url()}}), "{}")
          .status,
      200);
  const auto other_port = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1";
  EXPECT_TRUE(is_openai_error(
      http_request(gw.port(), "POST", "/v1/chat/completions",
                   with_provider("openai", {{"x-portkey-custom-host", other_port}}), "{}"),
      400, "is not in upstream.allowed_custom_hosts"));
}

TEST(CustomHostTest, HostNotInTheAllowListIs400AndNothingIsSent) {
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(
      "upstream: { allowed_custom_hosts: [ \"https://llm.internal\", \"https://*.corp.example\" ] "
      "}\n" +
      providers_yaml(&custom, &custom));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions",
                   with_provider("openai", {{"x-portkey-custom-host", custom.base_url()}}), "{}");
  EXPECT_TRUE(is_openai_error(r, 400, "custom host \"127.0.0.1"));
  EXPECT_NE(r.error_message().find("is not in upstream.allowed_custom_hosts"), std::string::npos);
  const auto anthropic = http_request(
      gw.port(), "POST", "/v1/messages",
      with_provider("anthropic", {{"x-portkey-custom-host", "http://evil.example/v1"}}),
      R"({"model":"m","max_tokens":5,"messages":[]})");
  EXPECT_TRUE(is_anthropic_error(anthropic, 400, "is not in upstream.allowed_custom_hosts"));
  EXPECT_TRUE(custom.requests().empty());
}

TEST(CustomHostTest, AnEntryLimitedToOneProviderTakesOnlyThatProvidersKey) {
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, anthropic_message_answer()); });
  AigwProcess gw("upstream:\n  allowed_custom_hosts:\n    - { url: \"http://127.0.0.1:" +
                 std::to_string(custom.port()) + "\", providers: [ anthropic ] }\n" +
                 providers_yaml(&custom, &custom));
  const Headers to_custom = {{"x-portkey-custom-host", custom.base_url()}};
  EXPECT_EQ(http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic", to_custom),
                         R"({"model":"m","max_tokens":5,"messages":[]})")
                .status,
            200);
  EXPECT_TRUE(is_openai_error(http_request(gw.port(), "POST", "/v1/chat/completions",
                                           with_provider("openai", to_custom), "{}"),
                              400,
                              "is not in upstream.allowed_custom_hosts for provider \"openai\""));
  ASSERT_EQ(custom.requests().size(), 1u);
  EXPECT_EQ(custom.requests()[0].header("x-api-key"), kProviderKey);
}

TEST(CustomHostTest, SpellingsThatDecodeToAnAllowedHostAreRefused) {
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  const std::string port = std::to_string(custom.port());
  AigwProcess gw("upstream: { allowed_custom_hosts: [ \"http://127.0.0.1:" + port + "\" ] }\n" +
                 providers_yaml(&custom));
  for (const std::string& url :
       {"http://127.0.0.1%3A" + port, "http://127%2e0.0.1:" + port,
        "http://evil.example@127.0.0.1:" + port, "http://127.0.0.1:" + port + "@evil.example",
        "https://127.0.0.1:" + port, "http://127.0.0.1:" + port + "/v1/../../admin",
        "http://127.0.0.1:" + port + "/v1?x=1"}) {
    const auto r = http_request(gw.port(), "POST", "/v1/chat/completions",
                                with_provider("openai", {{"x-portkey-custom-host", url}}), "{}");
    EXPECT_EQ(r.status, 400) << url << ": " << r.body;
    EXPECT_NE(r.error_message().find("custom"), std::string::npos)
        << r.body;  // names the header or list
  }
  EXPECT_TRUE(custom.requests().empty());
}

TEST(CustomHostTest, NoAllowListRefusesEveryCustomHost) {
  FakeUpstream custom(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&custom));
  EXPECT_TRUE(is_openai_error(
      http_request(gw.port(), "POST", "/v1/chat/completions",
                   with_provider("openai", {{"x-portkey-custom-host", custom.base_url()}}), "{}"),
      400, "is not in upstream.allowed_custom_hosts"));
  EXPECT_TRUE(custom.requests().empty());
}

}  // namespace
}  // namespace aigw::testing
