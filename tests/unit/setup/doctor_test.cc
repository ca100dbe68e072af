// `aigw doctor`: every pitfall of the troubleshooting page it can see on a machine is one FIX
// line naming what to change; a machine set up by `aigw setup` is all "ok".
#include "setup/doctor.h"

#include <gtest/gtest.h>

#include <map>

namespace aigw::setup {
namespace {

struct FakeMachine {
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> env;
  std::vector<std::string> executables = {"/usr/local/bin/aigw"};
  MachineView view() const {
    MachineView m;
    m.home = "/home/dev";
    m.file = [this](const std::string& p) -> std::optional<std::string> {
      const auto it = files.find(p);
      return it == files.end() ? std::nullopt : std::optional(it->second);
    };
    m.env = [this](const std::string& n) -> std::optional<std::string> {
      const auto it = env.find(n);
      return it == env.end() ? std::nullopt : std::optional(it->second);
    };
    m.executable = [this](const std::string& p) {
      return std::find(executables.begin(), executables.end(), p) != executables.end();
    };
    return m;
  }
};

std::vector<std::string> fixes(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings)
    if (!f.ok) out.push_back(f.line);
  return out;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

// What `aigw setup AGENT` writes for this machine.
void set_up(FakeMachine& machine, Agent agent) {
  SetupInputs in;
  in.agent = agent;
  in.url = "https://gw.example.com";
  in.provider = "anthropic";
  in.aigw = "/usr/local/bin/aigw";
  in.home = "/home/dev";
  auto checked = checked_inputs(in);
  ASSERT_TRUE(checked);
  auto plan = plan_setup(*checked, machine.view().file);
  ASSERT_TRUE(plan);
  for (const auto& f : plan->files) machine.files[f.path] = f.content;
}

TEST(DoctorTest, AMachineSetUpByAigwSetupIsAllOk) {
  FakeMachine machine;
  for (Agent a : {Agent::kClaudeCode, Agent::kCodex, Agent::kOpenCode, Agent::kContinue})
    set_up(machine, a);
  machine.env["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"] = "3000000";
  const auto findings = check_agents(machine.view());
  EXPECT_TRUE(fixes(findings).empty()) << fixes(findings).front();
  EXPECT_EQ(findings.size(), 4u);
  EXPECT_EQ(providers_sent(machine.view()),
            (std::vector<std::string>{"anthropic", "anthropic", "anthropic"}));
}

TEST(DoctorTest, ClaudeCodePitfallsAreNamed) {
  FakeMachine machine;
  machine.files["/home/dev/.claude/settings.json"] =
      R"({"apiKeyHelper":"/home/dev/bin/get-token.sh","env":{"ANTHROPIC_BASE_URL":"https://gw",)"
      R"("CLAUDE_CODE_API_KEY_HELPER_TTL_MS":"3000000"}})";
  const auto found = fixes(check_agents(machine.view()));
  EXPECT_TRUE(any_contains(
      found, "CLAUDE_CODE_API_KEY_HELPER_TTL_MS is in ~/.claude/settings.json's env block"));
  EXPECT_TRUE(any_contains(found, "/home/dev/bin/get-token.sh is missing or not executable"));
  EXPECT_TRUE(
      any_contains(found, "CLAUDE_CODE_API_KEY_HELPER_TTL_MS is not set in the environment"));
  EXPECT_TRUE(any_contains(found, "sends no x-portkey-provider header"));

  machine.env["ANTHROPIC_CUSTOM_HEADERS"] = "x-portkey-provider: anthropic,openai";
  EXPECT_TRUE(any_contains(fixes(check_agents(machine.view())), "comma-separated list"));
}

TEST(DoctorTest, CodexOnTheBuiltInOpenaiProviderOrWithoutTheHeaderIsNamed) {
  FakeMachine machine;
  machine.files["/home/dev/.codex/config.toml"] =
      "model_provider = \"openai\"\n[model_providers.openai]\nbase_url = \"https://gw/v1\"\n"
      "[model_providers.gw]\nbase_url = \"https://gw/v1\"\n";
  machine.env["OPENAI_BASE_URL"] = "https://gw/v1";
  const auto found = fixes(check_agents(machine.view()));
  EXPECT_TRUE(any_contains(found, "Codex is pointed at the built-in openai provider"));
  EXPECT_TRUE(any_contains(found, "[model_providers.openai] redefines a built-in provider"));
  EXPECT_TRUE(any_contains(found, "[model_providers.gw] sends no x-portkey-provider header"));
}

TEST(DoctorTest, OpenCodeContinueAndGooseWithoutTheHeaderAreNamed) {
  FakeMachine machine;
  machine.files["/home/dev/.config/opencode/opencode.json"] =
      R"({"provider":{"gw":{"options":{"baseURL":"https://gw/v1"}}}})";
  machine.files["/home/dev/.continue/config.yaml"] =
      "models:\n  - name: gw\n    provider: openai\n    apiBase: https://gw/v1/\n";
  machine.env["GOOSE_PROVIDER"] = "openai";
  machine.env["OPENAI_HOST"] = "https://gw/v1";
  const auto found = fixes(check_agents(machine.view()));
  EXPECT_TRUE(any_contains(found, "opencode: provider gw sends no x-portkey-provider"));
  EXPECT_TRUE(any_contains(found, "continue: model gw sends no x-portkey-provider"));
  EXPECT_TRUE(any_contains(found, "goose: OPENAI_HOST https://gw/v1 has a path"));
  EXPECT_TRUE(any_contains(found, "goose: sends no x-portkey-provider"));
}

TEST(DoctorTest, NothingConfiguredSaysSo) {
  EXPECT_TRUE(any_contains(fixes(check_agents(FakeMachine().view())), "run `aigw setup AGENT`"));
}

TEST(DoctorTest, TheGatewayTokenAndProvidersAreChecked) {
  GatewayView g;
  g.url = "https://gw";
  EXPECT_TRUE(any_contains(fixes(check_gateway(g, {})), "no answer from https://gw/"));
  g.root_status = 200;
  g.root_body = "<html>login</html>";
  EXPECT_TRUE(any_contains(fixes(check_gateway(g, {})), "is not aigw"));
  g.root_body = R"({"status":"ok","service":"aigw","version":"0.1.0"})";
  g.token_tried = true;
  g.token_seconds_left = -600;
  EXPECT_TRUE(any_contains(fixes(check_gateway(g, {})), "token: expired 10 minutes ago"));
  g.token_seconds_left = 3000;
  g.token_scopes = "https://gateway.internal/admin";
  EXPECT_TRUE(
      any_contains(fixes(check_gateway(g, {})), "lacks the scope https://gateway.internal/invoke"));
  g.token_scopes = "https://gateway.internal/invoke";
  g.served = std::vector<std::string>{"openai", "anthropic"};
  EXPECT_TRUE(fixes(check_gateway(g, {"anthropic"})).empty());
  EXPECT_TRUE(any_contains(fixes(check_gateway(g, {"bedrock"})),
                           "x-portkey-provider: bedrock, which the gateway does not serve (it "
                           "serves: openai, anthropic)"));
  g.token_error = "token request failed (HTTP 401): {\"error\": \"invalid_client\"}";
  EXPECT_TRUE(any_contains(fixes(check_gateway(g, {})), "invalid_client"));
}

}  // namespace
}  // namespace aigw::setup
