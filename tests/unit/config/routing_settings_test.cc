// The `routing:` section, model aliases and team pins, as loaded from YAML (docs/routing.md).
#include <gtest/gtest.h>

#include "config/config.h"

namespace aigw::config {
namespace {

EnvLookup no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

std::string load_error(const std::string& yaml) {
  try {
    load_config_text(yaml, "test.yaml", no_env());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kProviders = R"(
providers:
  mock: {}
  openai: { api_key: sk-test }
  bedrock:
    dialect: anthropic
    base_url: http://127.0.0.1:9/v1
    models:
      claude-sonnet-4-5: anthropic.claude-sonnet-4-5-v1:0
      claude-haiku: anthropic.claude-haiku-v1:0
)";

TEST(RoutingSettingsTest, NamedConfigsSettingsAndTeamPins) {
  const auto cfg = load_config_text(std::string(kProviders) + R"(
routing:
  max_retry_after: 2s
  backoff_base: 10ms
  backoff_max: 100ms
  breaker: { consecutive_failures: 3, failure_rate: 0.25, min_requests: 8, window: 5s, open_for: 1s }
  virtual_keys: { openai-prod: openai }
  configs:
    portkey-style:
      strategy: { mode: fallback }
      targets: [ { virtual_key: openai-prod }, { provider: "@bedrock" } ]
    resilient:
      strategy: { mode: fallback, on_status_codes: [429, 503] }
      retry: { attempts: 2, use_retry_after_header: true }
      targets:
        - provider: openai
          override_params: { model: gpt-4o, temperature: 0.5 }
        - provider: bedrock
teams:
  platform: { config: resilient }
)",
                                    "test.yaml", no_env());
  EXPECT_EQ(cfg.routing.walk.max_retry_after, Millis(2000));
  EXPECT_EQ(cfg.routing.walk.backoff_base, Millis(10));
  EXPECT_EQ(cfg.routing.breaker.consecutive_failures, 3);
  EXPECT_DOUBLE_EQ(cfg.routing.breaker.failure_rate, 0.25);
  EXPECT_EQ(cfg.routing.breaker.open_for, Millis(1000));
  const auto& resilient = *cfg.routing.configs.at("resilient");
  EXPECT_EQ(resilient.fallback_on, (std::vector<int>{429, 503}));
  EXPECT_EQ(resilient.targets[0].retry.attempts, 2);
  EXPECT_TRUE(resilient.targets[1].retry.use_retry_after_header);
  // YAML scalars read as the JSON they stand for.
  EXPECT_EQ(resilient.targets[0].override_params.at("model"), "gpt-4o");
  EXPECT_EQ(resilient.targets[0].override_params.at("temperature").as_double(), 0.5);
  EXPECT_EQ(cfg.budget.teams.at("platform").config, "resilient");
  const auto& portkey_style = *cfg.routing.configs.at("portkey-style");
  EXPECT_EQ(portkey_style.targets[0].provider, "openai");
  EXPECT_EQ(portkey_style.targets[1].provider, "bedrock");
}

TEST(RoutingSettingsTest, ModelAliasesAreAdvertisedByTheirPublicNames) {
  const auto cfg = load_config_text(kProviders, "test.yaml", no_env());
  const auto& bedrock = cfg.providers.at("bedrock");
  EXPECT_EQ(bedrock.models, (std::vector<std::string>{"claude-sonnet-4-5", "claude-haiku"}));
  EXPECT_EQ(bedrock.model_ids.at("claude-sonnet-4-5"), "anthropic.claude-sonnet-4-5-v1:0");
  EXPECT_TRUE(cfg.providers.at("openai").model_ids.empty());
}

TEST(RoutingSettingsTest, ErrorsStopStartUpAndNameTheKey) {
  auto e = load_error(std::string(kProviders) + R"(
routing:
  configs:
    broken:
      strategy: { mode: fallback }
      targets: [ { provider: nowhere } ]
)");
  EXPECT_NE(e.find("routing.configs.broken"), std::string::npos) << e;
  EXPECT_NE(e.find("config.targets[0].provider: no provider named nowhere"), std::string::npos)
      << e;
  e = load_error(std::string(kProviders) + "teams:\n  platform: { config: ghost }\n");
  EXPECT_NE(e.find("teams.platform.config"), std::string::npos) << e;
  EXPECT_NE(e.find("no config named ghost"), std::string::npos) << e;
  e = load_error(std::string(kProviders) + "routing:\n  breaker: { failure_rate: 2 }\n");
  EXPECT_NE(e.find("routing.breaker.failure_rate"), std::string::npos) << e;
  e = load_error(std::string(kProviders) + "routing:\n  virtual_keys: { vk: nowhere }\n");
  EXPECT_NE(e.find("routing.virtual_keys.vk"), std::string::npos) << e;
  e = load_error(std::string(kProviders) + "routing:\n  retries: 3\n");
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
  // A config carrying a key needs the admin's opt-in, in the file as in a header.
  e = load_error(std::string(kProviders) +
                 "routing:\n  configs:\n    byok: { provider: openai, api_key: sk-x }\n");
  EXPECT_NE(e.find("allow_client_keys"), std::string::npos) << e;
  EXPECT_EQ(load_error(std::string(kProviders) +
                       "routing:\n  allow_client_keys: true\n  configs:\n    byok: { provider: "
                       "openai, api_key: sk-x }\n"),
            "");
}

}  // namespace
}  // namespace aigw::config
