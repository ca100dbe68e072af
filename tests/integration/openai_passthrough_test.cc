// OpenAI-style endpoints passed through to a fake OpenAI: the body unchanged, the gateway's key
// as a Bearer token, the caller's credentials and gateway headers stripped, the answer unchanged.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;

constexpr const char* kResponsesAnswer =
    R"({"id":"resp_1","object":"response","status":"completed","model":"gpt-4o","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]}],"usage":{"input_tokens":11,"output_tokens":4,"total_tokens":15}})";
constexpr const char* kEmbeddingsAnswer =
    R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}})";
constexpr const char* kModelsAnswer =
    R"({"object":"list","data":[{"id":"gpt-4o","object":"model","owned_by":"openai"},{"id":"o3","object":"model","owned_by":"openai"}]})";

Reply openai_answer(const UpstreamRequest& r) {
  if (r.path() == "/v1/chat/completions") return Reply::json(200, openai_chat_answer());
  if (r.path() == "/v1/responses") return Reply::json(200, kResponsesAnswer);
  if (r.path() == "/v1/embeddings") return Reply::json(200, kEmbeddingsAnswer);
  if (r.path() == "/v1/models") return Reply::json(200, kModelsAnswer);
  return Reply::json(404, R"({"error":{"message":"no such path","type":"invalid_request_error"}})");
}

class OpenAiPassthroughTest : public ::testing::Test {
 protected:
  FakeUpstream openai_{openai_answer};
  AigwProcess gw_{providers_yaml(&openai_)};

  // The caller's headers: its own credentials, gateway headers, and a custom one that must pass.
  static Headers caller_headers() {
    return {{"x-portkey-provider", "openai"},
            {"Authorization", std::string("Bearer ") + kClientToken},
            {"x-api-key", kClientToken},
            {"api-key", kClientToken},
            {"Cookie", "session=abc"},
            {"x-portkey-trace-id", "trace-1"},
            {"x-aigw-mock-latency-ms", "1"},
            {"Accept-Encoding", "gzip, br"},
            {"Content-Type", "application/json"},
            {"OpenAI-Beta", "responses=v1"},
            {"x-custom-header", "kept"}};
  }
};

// What every request reaching the fake OpenAI must look like.
void expect_forwarded_as_openai(const UpstreamRequest& seen, const FakeUpstream& provider) {
  EXPECT_EQ(seen.header("authorization"), std::string("Bearer ") + kProviderKey);
  for (const char* stripped : {"x-api-key", "api-key", "cookie", "x-portkey-provider",
                               "x-portkey-trace-id", "x-aigw-mock-latency-ms"}) {
    EXPECT_FALSE(seen.has_header(stripped)) << stripped << " reached the provider";
  }
  for (const auto& [name, value] : seen.headers) {
    EXPECT_EQ(value.find(kClientToken), std::string::npos) << name << " carries the client's token";
  }
  const auto encoding = seen.header("accept-encoding");
  EXPECT_TRUE(encoding.empty() || encoding == "identity") << encoding;
  EXPECT_EQ(seen.header("host"),
            "127.0.0.1:" + std::to_string(provider.port()));  // the provider's, not the caller's
  EXPECT_EQ(seen.header("x-custom-header"), "kept");
  EXPECT_EQ(seen.header("openai-beta"), "responses=v1");
}

TEST_F(OpenAiPassthroughTest, ChatCompletionsReachTheProviderWithTheGatewayKeyAndTheBodyUnchanged) {
  // Unusual spacing and key order: passthrough must not re-serialise.
  const std::string body =
      R"({ "model" : "gpt-4o",  "messages":[{"role":"user","content":"héllo \u00e9"}], "temperature":0.5 })";
  const auto r = http_request(gw_.port(), "POST", "/v1/chat/completions", caller_headers(), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, openai_chat_answer());
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  ASSERT_EQ(openai_.requests().size(), 1u);
  const auto seen = openai_.requests()[0];
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.body, body);
  expect_forwarded_as_openai(seen, openai_);
}

TEST_F(OpenAiPassthroughTest, ResponsesApiPassesThroughForCodex) {
  const std::string body =
      R"({"model":"gpt-4o","input":[{"role":"user","content":"hi"}],"store":false,"reasoning":{"effort":"low"},"tools":[{"type":"function","name":"f","parameters":{}}]})";
  const auto r = http_request(gw_.port(), "POST", "/v1/responses", caller_headers(), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kResponsesAnswer);
  const auto seen = openai_.requests().at(0);
  EXPECT_EQ(seen.target, "/v1/responses");
  EXPECT_EQ(seen.body, body);
  expect_forwarded_as_openai(seen, openai_);
}

TEST_F(OpenAiPassthroughTest, EmbeddingsPassThrough) {
  const std::string body = R"({"model":"text-embedding-3-small","input":"hello"})";
  const auto r = http_request(gw_.port(), "POST", "/v1/embeddings", caller_headers(), body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kEmbeddingsAnswer);
  const auto seen = openai_.requests().at(0);
  EXPECT_EQ(seen.target, "/v1/embeddings");
  EXPECT_EQ(seen.body, body);
  expect_forwarded_as_openai(seen, openai_);
}

TEST_F(OpenAiPassthroughTest,
       ModelsOfAProviderWithoutConfiguredModelsComeFromItsOwnModelsEndpoint) {
  const auto r = http_request(gw_.port(), "GET", "/v1/models", caller_headers());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"o3\""), std::string::npos) << r.body;
  const auto seen = openai_.requests().at(0);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/v1/models");
  expect_forwarded_as_openai(seen, openai_);
}

TEST_F(OpenAiPassthroughTest, QueryStringIsKept) {
  ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/chat/completions?api-version=2024-10-21&x=1",
                         caller_headers(), "{}")
                .status,
            200);
  EXPECT_EQ(openai_.requests().at(0).target, "/v1/chat/completions?api-version=2024-10-21&x=1");
}

TEST_F(OpenAiPassthroughTest, ProviderErrorsOtherThanKeyAndRateProblemsKeepStatusAndBody) {
  FakeUpstream failing([](const UpstreamRequest& r) {
    if (r.body.find("missing-model") != std::string::npos) {
      return Reply::json(
          404,
          R"({"error":{"message":"The model `missing-model` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}})");
    }
    if (r.body.find("bad") != std::string::npos) {
      return Reply::json(
          400,
          R"({"error":{"message":"bad temperature","type":"invalid_request_error","param":"temperature","code":null}})");
    }
    return Reply::json(
        500,
        R"({"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})");
  });
  AigwProcess gw(providers_yaml(&failing));
  const auto not_found = http_request(gw.port(), "POST", "/v1/chat/completions",
                                      with_provider("openai"), R"({"model":"missing-model"})");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.error_message(), "The model `missing-model` does not exist");
  const auto bad = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                                R"({"model":"bad"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.error_message(), "bad temperature");
  const auto broken = http_request(gw.port(), "POST", "/v1/chat/completions",
                                   with_provider("openai"), R"({"model":"x"})");
  EXPECT_EQ(broken.status, 500);
  EXPECT_EQ(broken.error_message(), "The server had an error");
}

TEST(ModelsTest, ConfiguredModelsAreListedWithoutAskingTheProvider) {
  FakeUpstream openai(openai_answer);
  AigwProcess gw(
      "providers:\n" +
      provider_entry("openai", "openai", openai.base_url(), kProviderKey,
                     "models: [ gpt-4o-mini, o4-mini ]") +
      provider_entry("local", "openai", "http://127.0.0.1:9/v1", "", "models: [ qwen3-coder ]"));
  const auto one = http_request(gw.port(), "GET", "/v1/models", with_provider("openai"));
  ASSERT_EQ(one.status, 200) << one.body;
  const auto v = one.json();
  EXPECT_EQ(v.at("object"), "list");
  std::vector<std::string> ids;
  for (const auto& m : v.at("data").as_array()) ids.emplace_back(m.at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"gpt-4o-mini", "o4-mini"}));
  EXPECT_TRUE(openai.requests().empty());

  const auto all = http_request(gw.port(), "GET", "/v1/models");
  ASSERT_EQ(all.status, 200) << all.body;
  for (const char* id : {"gpt-4o-mini", "o4-mini", "qwen3-coder"}) {
    EXPECT_NE(all.body.find(std::string("\"") + id + "\""), std::string::npos)
        << id << " in " << all.body;
  }
}

}  // namespace
}  // namespace aigw::testing
