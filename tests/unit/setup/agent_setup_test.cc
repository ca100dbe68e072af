// `aigw setup`: each agent's configuration uses the agent's own mechanism (AGENTS.md facts),
// merges into what the user already has, refuses to clobber a file it cannot read, and keeps
// out the pitfalls of the troubleshooting page (the TTL in settings.json's env block, the
// built-in `openai` id in Codex, a comma-separated x-portkey-provider).
#include "setup/agent_setup.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <map>

namespace aigw::setup {
namespace {

namespace json = boost::json;

SetupInputs inputs(Agent agent, std::string provider = "anthropic") {
  SetupInputs in;
  in.agent = agent;
  in.url = "https://gateway.example.com/";
  in.provider = std::move(provider);
  in.aigw = "/usr/local/bin/aigw";
  in.home = "/home/dev";
  auto checked = checked_inputs(in);
  EXPECT_TRUE(checked) << checked.error().message;
  return *checked;
}

FileReader files(std::map<std::string, std::string> present) {
  return [present](const std::string& path) -> std::optional<std::string> {
    const auto it = present.find(path);
    if (it == present.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AgentSetupTest, ClaudeCodeMergesSettingsAndKeepsTheTtlARealEnvironmentVariable) {
  auto plan = plan_setup(
      inputs(Agent::kClaudeCode),
      files({{"/home/dev/.claude/settings.json",
              R"({"permissions":{"allow":["Bash"]},"env":{"DISABLE_TELEMETRY":"1"}})"}}));
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_EQ(plan->files[0].path, "/home/dev/.claude/settings.json");
  const auto settings = json::parse(plan->files[0].content).as_object();
  EXPECT_EQ(settings.at("apiKeyHelper"), "/usr/local/bin/aigw token");
  const auto& env = settings.at("env").as_object();
  EXPECT_EQ(env.at("ANTHROPIC_BASE_URL"), "https://gateway.example.com");  // no /v1
  EXPECT_EQ(env.at("ANTHROPIC_CUSTOM_HEADERS"), "x-portkey-provider: anthropic");
  EXPECT_EQ(env.at("DISABLE_TELEMETRY"), "1");                      // kept
  EXPECT_EQ(settings.at("permissions").at("allow").at(0), "Bash");  // kept
  EXPECT_FALSE(env.contains("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"));  // bug #7660: not here
  const std::string text = render_plan(*plan);
  EXPECT_NE(text.find("export CLAUDE_CODE_API_KEY_HELPER_TTL_MS=3000000"), std::string::npos);
  EXPECT_NE(text.find("export GATEWAY_TOKEN_ENDPOINT=\"https://gateway.example.com/oauth2/token\""),
            std::string::npos);
}

TEST(AgentSetupTest, AFileThatIsNotJsonIsNeverOverwritten) {
  auto plan = plan_setup(inputs(Agent::kClaudeCode),
                         files({{"/home/dev/.claude/settings.json", "{ not json"}}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("/home/dev/.claude/settings.json"), std::string::npos);
  EXPECT_NE(plan.error().message.find("nothing was changed"), std::string::npos);
}

TEST(AgentSetupTest, CodexGetsACustomProviderWithHeaderAndTokenCommandOthersKept) {
  const std::string existing =
      "model = \"o3\"\n\n[model_providers.gateway]\nbase_url = \"http://old/v1\"\n\n"
      "[model_providers.gateway.auth]\ncommand = \"old\"\n\n[mcp_servers.docs]\ncommand = "
      "\"docs-mcp\"\n";
  auto in = inputs(Agent::kCodex, "openai");
  auto plan = plan_setup(in, files({{"/home/dev/.codex/config.toml", existing}}));
  ASSERT_TRUE(plan);
  const std::string& toml = plan->files.at(0).content;
  EXPECT_NE(toml.find("model = \"o3\""), std::string::npos);
  EXPECT_NE(toml.find("[mcp_servers.docs]\ncommand = \"docs-mcp\""), std::string::npos);
  EXPECT_EQ(toml.find("http://old/v1"), std::string::npos);
  EXPECT_EQ(toml.find("command = \"old\""), std::string::npos);
  EXPECT_NE(toml.find("base_url = \"https://gateway.example.com/v1\""), std::string::npos);
  EXPECT_NE(toml.find("wire_api = \"responses\""), std::string::npos);
  EXPECT_NE(toml.find("http_headers = { \"x-portkey-provider\" = \"openai\" }"), std::string::npos);
  EXPECT_NE(toml.find("[model_providers.gateway.auth]\ncommand = \"/usr/local/bin/aigw\"\n"
                      "args = [\"token\"]\nrefresh_interval_ms = 3000000"),
            std::string::npos);
  EXPECT_EQ(toml.find("[model_providers.openai]"), std::string::npos);
  // The profile is a file of its own (Codex refuses --profile with a [profiles.*] table left
  // in config.toml: an earlier setup's is removed).
  EXPECT_EQ(toml.find("[profiles."), std::string::npos);
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_EQ(plan->files[1].path, "/home/dev/.codex/gateway.config.toml");
  EXPECT_EQ(plan->files[1].content, "model_provider = \"gateway\"\nmodel = \"gpt-4.1\"\n");
  EXPECT_EQ(plan->launch, "codex --profile gateway");
  // Running it again changes nothing; an old [profiles.gateway] table goes.
  auto again = plan_setup(
      in, files({{"/home/dev/.codex/config.toml", toml + "\n[profiles.gateway]\nmodel = \"o3\"\n"},
                 {"/home/dev/.codex/gateway.config.toml",
                  "model = \"o3\"\nmodel_reasoning_effort = \"high\"\n"}}));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->files.at(0).content, toml);
  EXPECT_EQ(
      again->files.at(1).content,
      "model_provider = \"gateway\"\nmodel = \"gpt-4.1\"\nmodel_reasoning_effort = \"high\"\n");
}

TEST(AgentSetupTest, OpenCodeAddsItsProviderBesideTheOthers) {
  auto plan = plan_setup(
      inputs(Agent::kOpenCode, "openai"),
      files({{"/home/dev/.config/opencode/opencode.json",
              R"({"provider":{"ollama":{"npm":"@ai-sdk/openai-compatible"}},"theme":"dark"})"}}));
  ASSERT_TRUE(plan);
  const auto config = json::parse(plan->files.at(0).content).as_object();
  EXPECT_EQ(config.at("theme"), "dark");
  EXPECT_TRUE(config.at("provider").as_object().contains("ollama"));
  const auto& gateway = config.at("provider").at("gateway").as_object();
  EXPECT_EQ(gateway.at("npm"), "@ai-sdk/openai-compatible");
  EXPECT_EQ(gateway.at("options").at("baseURL"), "https://gateway.example.com/v1");
  EXPECT_EQ(gateway.at("options").at("apiKey"), "{env:OPENAI_API_KEY}");
  EXPECT_EQ(gateway.at("options").at("headers").at("x-portkey-provider"), "openai");
  EXPECT_TRUE(gateway.at("models").as_object().contains("gpt-4.1"));
  EXPECT_EQ(plan->launch, "/usr/local/bin/aigw token opencode -m gateway/gpt-4.1");
}

TEST(AgentSetupTest, ContinueReplacesOnlyItsOwnModelEntry) {
  const std::string existing =
      "name: mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: local\n    provider: ollama\n"
      "    model: llama3\n";
  auto in = inputs(Agent::kContinue, "openai");
  const auto first = plan_setup(in, files({{"/home/dev/.continue/config.yaml", existing}}));
  ASSERT_TRUE(first);
  const auto second =
      plan_setup(in, files({{"/home/dev/.continue/config.yaml", first->files.at(0).content}}));
  ASSERT_TRUE(second);
  const YAML::Node root = YAML::Load(second->files.at(0).content);
  EXPECT_EQ(root["name"].as<std::string>(), "mine");
  ASSERT_EQ(root["models"].size(), 2u);  // local, and one aigw entry after two runs
  const YAML::Node ours = root["models"][1];
  EXPECT_EQ(ours["provider"].as<std::string>(), "openai");
  EXPECT_EQ(ours["apiBase"].as<std::string>(), "https://gateway.example.com/v1/");
  EXPECT_EQ(ours["requestOptions"]["headers"]["x-portkey-provider"].as<std::string>(), "openai");
  EXPECT_EQ(ours["apiKey"].as<std::string>(), "${{ secrets.OPENAI_API_KEY }}");
}

TEST(AgentSetupTest, GooseGetsHostBasePathAndTheHeaderVariable) {
  auto plan = plan_setup(inputs(Agent::kGoose, "openai"),
                         files({{"/home/dev/.config/goose/config.yaml", "extensions: {}\n"}}));
  ASSERT_TRUE(plan);
  const YAML::Node root = YAML::Load(plan->files.at(0).content);
  EXPECT_TRUE(root["extensions"].IsMap());
  EXPECT_EQ(root["OPENAI_HOST"].as<std::string>(), "https://gateway.example.com");
  EXPECT_EQ(root["OPENAI_BASE_PATH"].as<std::string>(), "v1/chat/completions");
  EXPECT_NE(render_plan(*plan).find("export OPENAI_CUSTOM_HEADERS=\"x-portkey-provider=openai\""),
            std::string::npos);
}

TEST(AgentSetupTest, LangChainIsSnippetsWithARefreshingKey) {
  auto plan = plan_setup(inputs(Agent::kLangChain, "openai"), files({}));
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->files.empty());
  ASSERT_EQ(plan->snippets.size(), 2u);
  EXPECT_NE(plan->snippets[0].find("api_key=gateway_token"), std::string::npos);
  EXPECT_NE(plan->snippets[0].find("\"x-portkey-provider\": \"openai\""), std::string::npos);
  EXPECT_NE(plan->snippets[1].find("apiKey: gatewayToken"), std::string::npos);
}

TEST(AgentSetupTest, InputsThatWouldBreakTheAgentAreRefused) {
  SetupInputs in;
  in.home = "/home/dev";
  in.provider = "anthropic";
  in.url = "gateway.example.com";
  EXPECT_FALSE(checked_inputs(in));  // no scheme
  in.url = "https://gateway.example.com";
  in.provider = "anthropic,openai";  // one provider per request
  EXPECT_FALSE(checked_inputs(in));
  in.provider = "anthropic";
  in.home = "";
  EXPECT_FALSE(checked_inputs(in));
  EXPECT_FALSE(parse_agent("cursor").has_value());
  EXPECT_EQ(parse_agent("claude-code"), Agent::kClaudeCode);
}

}  // namespace
}  // namespace aigw::setup
