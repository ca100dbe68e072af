// The pure request-path decisions: routes, provider choice, upstream URL, header policy,
// and errors rendered in each caller's format.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/config.h"
#include "router/gateway_errors.h"
#include "router/render_error.h"
#include "router/routes.h"
#include "router/upstream_target.h"

namespace aigw::router {
namespace {

namespace json = boost::json;

config::Config test_config() {
  return config::load_config_text(R"(
upstream:
  allowed_custom_hosts:
    - http://127.0.0.1:9000
    - https://llm.internal:8443
    - https://*.corp.example
    - { url: "https://vllm.internal", providers: [ anthropic ] }
providers:
  openai:    { dialect: openai,    base_url: https://api.openai.com/v1, api_key: sk-o }
  anthropic: { dialect: anthropic, base_url: https://api.anthropic.com/v1, api_key: sk-a }
  mock: {}
)",
                                  "t", [](std::string_view) { return std::nullopt; });
}

TEST(RoutesTest, MatchesEveryEndpoint) {
  EXPECT_EQ(match_route("POST", "/v1/chat/completions").endpoint, Endpoint::kChatCompletions);
  EXPECT_EQ(match_route("POST", "/v1/responses").endpoint, Endpoint::kResponses);
  EXPECT_EQ(match_route("POST", "/v1/embeddings").endpoint, Endpoint::kEmbeddings);
  EXPECT_EQ(match_route("GET", "/v1/models").endpoint, Endpoint::kModels);
  EXPECT_EQ(match_route("POST", "/v1/messages").endpoint, Endpoint::kMessages);
  EXPECT_EQ(match_route("POST", "/v1/messages/count_tokens").endpoint, Endpoint::kCountTokens);
  EXPECT_EQ(match_route("GET", "/ui").kind, RouteKind::kUi);
  EXPECT_EQ(match_route("GET", "/ui/").kind, RouteKind::kUi);
  EXPECT_EQ(match_route("HEAD", "/ui/app.js").kind, RouteKind::kUi);
  EXPECT_EQ(match_route("POST", "/ui/").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(match_route("POST", "/ui/").allowed_methods, "GET, HEAD");
  EXPECT_EQ(match_route("GET", "/uix").kind, RouteKind::kNotFound);
  EXPECT_EQ(match_route("HEAD", "/").kind, RouteKind::kHealth);
  EXPECT_EQ(match_route("GET", "/").kind, RouteKind::kHealth);
}

TEST(RoutesTest, WrongMethodIsNotAllowedAndUnknownPathIsNotFound) {
  const auto r = match_route("GET", "/v1/chat/completions");
  EXPECT_EQ(r.kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(r.allowed_methods, "POST");
  EXPECT_EQ(match_route("POST", "/v1/nope").kind, RouteKind::kNotFound);
}

TEST(RoutesTest, SplitTargetKeepsQuery) {
  const auto t = split_target("/v1/messages?beta=true");
  EXPECT_EQ(t.path, "/v1/messages");
  EXPECT_EQ(t.query, "beta=true");
  EXPECT_EQ(match_route("POST", "/v1/messages/").endpoint, Endpoint::kMessages);
}

TEST(SelectProviderTest, MissingHeaderGivesTheExactTroubleshootingBody) {
  const auto cfg = test_config();
  const auto r =
      select_provider(cfg, std::nullopt, Endpoint::kChatCompletions, "/v1/chat/completions");
  ASSERT_FALSE(r.ok());
  const auto rendered = render_error(ErrorStyle::kOpenAi, r.error());
  EXPECT_EQ(rendered.status, 400);
  EXPECT_EQ(rendered.body, R"({"error": "provider is not set"})");
}

TEST(SelectProviderTest, UnknownProviderNamesTheKnownOnes) {
  const auto cfg = test_config();
  const auto r = select_provider(cfg, "opneai", Endpoint::kChatCompletions, "/v1/chat/completions");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_NE(r.error().message.find("anthropic, mock, openai"), std::string::npos)
      << r.error().message;
}

TEST(SelectProviderTest, EndpointsThatCannotBeTranslatedNameTheApiMismatch) {
  const auto cfg = test_config();
  const auto r = select_provider(cfg, "anthropic", Endpoint::kEmbeddings, "/v1/embeddings");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("speaks the anthropic API"), std::string::npos);
  EXPECT_TRUE(select_provider(cfg, "mock", Endpoint::kMessages, "/v1/messages").ok());
  EXPECT_TRUE(select_provider(cfg, "anthropic", Endpoint::kMessages, "/v1/messages").ok());
}

TEST(SelectProviderTest, ModelEndpointsOfAnotherDialectAreTranslated) {
  const auto cfg = test_config();
  EXPECT_TRUE(
      select_provider(cfg, "anthropic", Endpoint::kChatCompletions, "/v1/chat/completions").ok());
  EXPECT_TRUE(select_provider(cfg, "anthropic", Endpoint::kResponses, "/v1/responses").ok());
  EXPECT_TRUE(select_provider(cfg, "openai", Endpoint::kMessages, "/v1/messages").ok());
  EXPECT_TRUE(
      select_provider(cfg, "openai", Endpoint::kCountTokens, "/v1/messages/count_tokens").ok());
}

TEST(UpstreamTargetTest, BuildsUrlFromBaseUrlAndKeepsQuery) {
  const auto cfg = test_config();
  const auto t = build_upstream_target(cfg.providers.at("anthropic"), "/messages", "beta=true",
                                       std::nullopt, {});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "api.anthropic.com");
  EXPECT_EQ(t->port, "443");
  EXPECT_EQ(t->target, "/v1/messages?beta=true");
  EXPECT_EQ(t->host_header, "api.anthropic.com");
}

TEST(UpstreamTargetTest, CustomHostMustBeAllowed) {
  const auto cfg = test_config();
  const auto& allowed = cfg.upstream.allowed_custom_hosts;
  const auto ok = build_upstream_target(cfg.providers.at("openai"), "/chat/completions", "",
                                        "http://127.0.0.1:9000/v1", allowed);
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->tls);
  EXPECT_EQ(ok->port, "9000");
  EXPECT_EQ(ok->target, "/v1/chat/completions");
  EXPECT_TRUE(build_upstream_target(cfg.providers.at("openai"), "/x", "",
                                    "https://a.corp.example/v1", allowed)
                  .ok());
  EXPECT_TRUE(build_upstream_target(cfg.providers.at("openai"), "/x", "",
                                    "https://llm.internal:8443", allowed)
                  .ok());
  const auto refused = build_upstream_target(cfg.providers.at("openai"), "/x", "",
                                             "https://llm.internal:9999", allowed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("allowed_custom_hosts"), std::string::npos);
  EXPECT_FALSE(build_upstream_target(cfg.providers.at("openai"), "/x", "",
                                     "https://evilcorp.example", allowed)
                   .ok());
  EXPECT_FALSE(
      build_upstream_target(cfg.providers.at("openai"), "/x", "", "not a url", allowed).ok());
}

TEST(UpstreamTargetTest, CustomHostMatchesSchemeAndPortAndTheEntrysProviders) {
  const auto cfg = test_config();
  const auto& allowed = cfg.upstream.allowed_custom_hosts;
  const auto& openai = cfg.providers.at("openai");
  const auto& anthropic = cfg.providers.at("anthropic");
  // Same host, other scheme or port: refused.
  EXPECT_FALSE(build_upstream_target(openai, "/x", "", "https://127.0.0.1:9000", allowed).ok());
  EXPECT_FALSE(build_upstream_target(openai, "/x", "", "http://127.0.0.1", allowed).ok());
  EXPECT_FALSE(build_upstream_target(openai, "/x", "", "http://a.corp.example", allowed).ok());
  // An entry limited to anthropic takes only anthropic's key.
  EXPECT_TRUE(build_upstream_target(anthropic, "/x", "", "https://vllm.internal/v1", allowed).ok());
  const auto refused = build_upstream_target(openai, "/x", "", "https://vllm.internal/v1", allowed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("for provider \"openai\""), std::string::npos);
}

TEST(UpstreamTargetTest, CustomHostIsMatchedAsWrittenNeverDecoded) {
  const auto cfg = test_config();
  const auto& allowed = cfg.upstream.allowed_custom_hosts;
  const auto& openai = cfg.providers.at("openai");
  for (const char* url :
       {"https://llm%2einternal:8443", "https://evil.example%2f.corp.example",
        "https://evil.example#.corp.example", "https://a.corp.example@evil.example",
        "https://user:pw@llm.internal:8443", "https://llm.internal:8443?x=1",
        "https://llm.internal:8443/v1/../../admin", "https://llm.internal:8443/v1/%2e%2e/x",
        "https://llm.internal:8443\r\nx-injected: 1", "https://llm.internal: 8443",
        "https://.corp.example", "https://llm.internal:08443x", "https://[::1"}) {
    EXPECT_FALSE(build_upstream_target(openai, "/x", "", url, allowed).ok()) << url;
  }
}

TEST(UpstreamTargetTest, QueryIsCheckedBeforeItCrosses) {
  const auto cfg = test_config();
  const auto& openai = cfg.providers.at("openai");
  EXPECT_TRUE(build_upstream_target(openai, "/x", "beta=true&a=%20b", std::nullopt, {}).ok());
  for (const char* q : {"a=b\r\nHost: evil", "a=%zz", "a=%2", "a b", "a=\x01", "a=b#frag"}) {
    EXPECT_FALSE(build_upstream_target(openai, "/x", q, std::nullopt, {}).ok()) << q;
  }
}

TEST(UpstreamTargetTest, ConfigEntriesNeedASchemeAndAHost) {
  const auto load = [](const std::string& entry) {
    return config::load_config_text("upstream: { allowed_custom_hosts: [ " + entry + " ] }\n", "t",
                                    [](std::string_view) { return std::nullopt; });
  };
  EXPECT_THROW(load("llm.internal"), config::ConfigError);
  EXPECT_THROW(load("\"https://llm.internal/v1\""), config::ConfigError);
  EXPECT_THROW(load("\"https://llm.internal:x\""), config::ConfigError);
  const auto c = load("{ url: \"http://LLM.internal:8080\", providers: [ a, b ] }");
  ASSERT_EQ(c.upstream.allowed_custom_hosts.size(), 1u);
  EXPECT_EQ(c.upstream.allowed_custom_hosts[0].host, "llm.internal");
  EXPECT_EQ(c.upstream.allowed_custom_hosts[0].port, "8080");
  EXPECT_FALSE(c.upstream.allowed_custom_hosts[0].tls);
  EXPECT_EQ(c.upstream.allowed_custom_hosts[0].providers.size(), 2u);
}

TEST(HeaderPolicyTest, ClientCredentialsAndControlHeadersNeverCross) {
  for (const char* h : {"authorization", "x-api-key", "api-key", "x-goog-api-key",
                        "x-portkey-provider", "x-portkey-custom-host", "x-aigw-mock-status", "host",
                        "content-length", "connection", "cookie", "accept-encoding"}) {
    EXPECT_FALSE(forward_request_header(h)) << h;
  }
  for (const char* h :
       {"anthropic-version", "anthropic-beta", "content-type", "user-agent", "openai-beta"}) {
    EXPECT_TRUE(forward_request_header(h)) << h;
  }
  EXPECT_TRUE(forward_response_header("retry-after"));
  EXPECT_TRUE(forward_response_header("content-type"));
  EXPECT_TRUE(forward_response_header("x-should-retry"));
  for (const char* h :
       {"transfer-encoding", "openai-organization", "openai-project", "anthropic-organization-id",
        "x-ratelimit-remaining-tokens", "set-cookie", "server", "openai-processing-ms", "via"}) {
    EXPECT_FALSE(forward_response_header(h)) << h;
  }
}

TEST(HeaderPolicyTest, GatewayKeyInTheProvidersOwnForm) {
  const auto cfg = test_config();
  EXPECT_EQ(provider_auth_headers(cfg.providers.at("openai")).at(0).second, "Bearer sk-o");
  EXPECT_EQ(provider_auth_headers(cfg.providers.at("anthropic")).at(0).first, "x-api-key");
}

TEST(RenderErrorTest, AnthropicShapeOnMessagesAndOpenAiShapeElsewhere) {
  const ApiError e = overloaded(3);
  const auto a = render_error(ErrorStyle::kAnthropic, e);
  const auto av = json::parse(a.body).as_object();
  EXPECT_EQ(av.at("type"), "error");
  EXPECT_EQ(av.at("error").at("type"), "overloaded_error");
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0], (std::pair<std::string, std::string>{"Retry-After", "3"}));
  const auto o = json::parse(render_error(ErrorStyle::kOpenAi, e).body).as_object();
  EXPECT_NE(std::string(o.at("error").at("message").as_string()).find("gateway overloaded"),
            std::string::npos);
  EXPECT_EQ(render_stream_error(ErrorStyle::kAnthropic, e).rfind("event: error\ndata: {", 0), 0u);
}

TEST(GatewayErrorsTest, ProviderFailuresSayWhatTheTroubleshootingPageSays) {
  EXPECT_EQ(provider_key_rejected("openai", 401).status, 502);
  EXPECT_NE(provider_key_rejected("openai", 401).message.find("invalid or revoked"),
            std::string::npos);
  EXPECT_EQ(provider_unreachable("openai", "Connection refused").status, 502);
  EXPECT_EQ(provider_timeout("openai", Millis(500)).status, 504);
  EXPECT_NE(provider_timeout("openai", Millis(500)).message.find("500ms"), std::string::npos);
  EXPECT_EQ(body_too_large(1024).status, 413);
  EXPECT_EQ(headers_too_large(1024).status, 431);
}

}  // namespace
}  // namespace aigw::router
