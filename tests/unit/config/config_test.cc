// Config loading: interpolation, validation errors that name the key and line, defaults.
#include "config/config.h"

#include <gtest/gtest.h>

#include <map>

namespace aigw::config {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string load_error(const std::string& yaml) {
  try {
    load_config_text(yaml, "test.yaml", fake_env({}));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, InterpolatesVariablesAndDefaults) {
  const auto env = fake_env({{"KEY", "sk-123"}});
  EXPECT_EQ(interpolate("Bearer ${KEY}", env), "Bearer sk-123");
  EXPECT_EQ(interpolate("${MISSING:-fallback}", env), "fallback");
  EXPECT_EQ(interpolate("${MISSING}", env), "");
  EXPECT_EQ(interpolate("no vars", env), "no vars");
}

TEST(ConfigTest, ParsesTheDocumentedShape) {
  const auto cfg =
      load_config_text(R"(
listen: 0.0.0.0:8787
providers:
  openai:    { dialect: openai,    base_url: https://api.openai.com/v1,    api_key: "${OPENAI_API_KEY}" }
  anthropic: { dialect: anthropic, base_url: https://api.anthropic.com/v1, api_key: "${ANTHROPIC_API_KEY}" }
  local:     { dialect: openai,    base_url: http://127.0.0.1:11434/v1 }
)",
                       "t", fake_env({{"OPENAI_API_KEY", "sk-o"}, {"ANTHROPIC_API_KEY", "sk-a"}}));
  EXPECT_EQ(cfg.server.port, 8787);
  EXPECT_EQ(cfg.providers.at("openai").api_key, "sk-o");
  EXPECT_EQ(cfg.providers.at("openai").key_style, KeyStyle::kBearer);
  EXPECT_EQ(cfg.providers.at("anthropic").api, ProviderApi::kAnthropic);
  EXPECT_EQ(cfg.providers.at("anthropic").key_style, KeyStyle::kXApiKey);
  EXPECT_EQ(cfg.providers.at("local").base_url, "http://127.0.0.1:11434/v1");
  EXPECT_TRUE(cfg.providers.at("local").api_key.empty());
  EXPECT_FALSE(cfg.providers.count("mock"));  // served only where the config names it
}

TEST(ConfigTest, MockIsServedOnlyWhenNamed) {
  EXPECT_TRUE(
      load_config_text("providers:\n  mock: {}\n", "t", fake_env({})).providers.count("mock"));
  const auto none = load_config_text("listen: 127.0.0.1:1\n", "t", fake_env({}));
  EXPECT_TRUE(none.providers.empty());
  ASSERT_FALSE(none.warnings.empty());
  EXPECT_NE(none.warnings.back().find("no providers configured"), std::string::npos);
}

TEST(ConfigTest, AKeyWithAControlCharacterStopsStartUpWithoutShowingIt) {
  const auto cfg = [](const std::string& key) {
    return load_config_text("providers:\n  openai: {}\n", "t", fake_env({{"OPENAI_API_KEY", key}}));
  };
  EXPECT_NO_THROW(cfg("sk-fine"));
  for (const std::string& key :
       {std::string("sk-SECRET\r"), std::string("sk-SECRET\r\nx-injected: 1"),
        std::string("sk-\0SECRET", 10)}) {
    try {
      cfg(key);
      ADD_FAILURE() << "accepted a key with a control character";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("control character"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigTest, BuiltinProviderNeedsOnlyItsKey) {
  const auto cfg =
      load_config_text("providers:\n  groq: {}\n", "t", fake_env({{"GROQ_API_KEY", "gk"}}));
  EXPECT_EQ(cfg.providers.at("groq").base_url, "https://api.groq.com/openai/v1");
  EXPECT_EQ(cfg.providers.at("groq").api_key, "gk");
}

TEST(ConfigTest, UnknownKeyIsNamedWithItsLine) {
  const auto error = load_error("server:\n  max_bdy_bytes: 5\n");
  EXPECT_NE(error.find("server.max_bdy_bytes (line 2)"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown key"), std::string::npos) << error;
}

// A section no part reads would be silently ignored: it stops start-up like any typo.
TEST(ConfigTest, ATopLevelSectionNothingReadsIsRefused) {
  for (const char* section : {"admin", "metrics", "teamz"}) {
    const auto error = load_error(std::string(section) + ":\n  anything: 1\n");
    EXPECT_NE(error.find("unknown key"), std::string::npos) << section << ": " << error;
    EXPECT_NE(error.find(section), std::string::npos) << error;
  }
}

TEST(ConfigTest, CustomProviderWithoutDialectIsRejected) {
  const auto error = load_error("providers:\n  local:\n    base_url: http://x/v1\n");
  EXPECT_NE(error.find("providers.local"), std::string::npos) << error;
  EXPECT_NE(error.find("dialect"), std::string::npos) << error;
}

TEST(ConfigTest, BadBaseUrlNamesKey) {
  const auto error = load_error("providers:\n  local: { dialect: openai, base_url: ftp://x }\n");
  EXPECT_NE(error.find("providers.local.base_url (line 2)"), std::string::npos) << error;
}

TEST(ConfigTest, BadDurationAndSizeNameKey) {
  EXPECT_NE(load_error("server: { idle_timeout: soon }").find("server.idle_timeout"),
            std::string::npos);
  EXPECT_NE(load_error("server: { max_body_bytes: lots }").find("server.max_body_bytes"),
            std::string::npos);
  EXPECT_NE(load_error("listen: nowhere:abc").find("listen"), std::string::npos);
}

TEST(ConfigTest, InvalidYamlNamesLine) {
  const auto error = load_error("providers:\n  a: [\n");
  EXPECT_NE(error.find("invalid YAML"), std::string::npos) << error;
}

TEST(ConfigTest, SizesAndDurationsParse) {
  const auto cfg = load_config_text(
      "server: { max_body_bytes: 1KiB, request_timeout: 250ms, drain_timeout: 2m }\n", "t",
      fake_env({}));
  EXPECT_EQ(cfg.server.max_body_bytes, 1024u);
  EXPECT_EQ(cfg.server.request_timeout, Millis(250));
  EXPECT_EQ(cfg.server.drain_timeout, Millis(120'000));
}

TEST(ConfigTest, EmbeddedDefaultServesMockAndProvidersWithKeys) {
  const auto none = embedded_default_config(fake_env({}));
  EXPECT_EQ(none.providers.size(), 1u);
  EXPECT_TRUE(none.providers.count("mock"));
  const auto some =
      embedded_default_config(fake_env({{"OPENAI_API_KEY", "k"}, {"GEMINI_API_KEY", "g"}}));
  EXPECT_TRUE(some.providers.count("openai"));
  EXPECT_TRUE(some.providers.count("google"));
  EXPECT_FALSE(some.providers.count("anthropic"));
  EXPECT_EQ(some.server.port, 8787);
}

}  // namespace
}  // namespace aigw::config
