// `aigw setup` as a user runs it: files written into a home directory (merged, with a backup
// of what was there), and the configuration it wrote followed the way the agent follows it —
// Claude Code's apiKeyHelper run for a token, then a Messages request with the base URL and
// custom headers from settings.json; Codex's auth command and provider table for a Responses
// request — against a real aigw with its built-in issuer; and `aigw doctor` on that home.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "support/aigw_process.h"
#include "support/http_client.h"
#include "support/run_command.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of `key = "…"` in the TOML text after the line `[table]`.
std::string toml_string(const std::string& toml, const std::string& table, const std::string& key) {
  const auto at = toml.find("[" + table + "]\n");
  if (at == std::string::npos) return "";
  const auto line = toml.find("\n" + key + " = \"", at);
  if (line == std::string::npos) return "";
  const auto start = line + key.size() + 5;
  return toml.substr(start, toml.find('"', start) - start);
}

class SetupTest : public ::testing::Test {
 protected:
  std::string url() const { return "http://127.0.0.1:" + std::to_string(gw_.port()); }
  CommandResult setup(const std::string& args) const {
    return run_command("", std::string(AIGW_BINARY) + " setup " + args + " --url " + url() +
                               " --home " + home_.path());
  }
  // The environment the printed shell lines ask for, with this client's credentials.
  std::string token_env() const {
    return "GATEWAY_TOKEN_ENDPOINT=" + url() +
           "/oauth2/token GATEWAY_CLIENT_ID=dev GATEWAY_CLIENT_SECRET=dev-secret "
           "GATEWAY_TOKEN_CACHE=" +
           cache_.path();
  }

  AigwProcess gw_{
      "providers:\n  mock: {}\n"
      "auth:\n  builtin_issuer: { keys_dir: ./keys }\n  clients:\n"
      "    - { client_id: dev, team: eng, client_secret: dev-secret }\n"};
  TempDir home_;
  TempDir cache_;
};

TEST_F(SetupTest, ClaudeCodeFollowingTheWrittenSettingsReachesTheGateway) {
  const std::string path = home_.path() + "/.claude/settings.json";
  write_file(path, R"({"permissions":{"allow":["Bash"]}})");
  const auto done = setup("claude-code --provider mock");
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.out.find("export CLAUDE_CODE_API_KEY_HELPER_TTL_MS=3000000"), std::string::npos);
  EXPECT_EQ(read_file(path + ".aigw-backup"), R"({"permissions":{"allow":["Bash"]}})");
  EXPECT_NE(done.out.find("# wrote " + path + " (what was there: " + path + ".aigw-backup)"),
            std::string::npos)
      << done.out;
  // Run again: nothing to change, nothing backed up over the first backup.
  const auto again = setup("claude-code --provider mock");
  EXPECT_NE(again.out.find("# " + path + " is already set up"), std::string::npos) << again.out;
  EXPECT_EQ(read_file(path + ".aigw-backup"), R"({"permissions":{"allow":["Bash"]}})");
  const auto settings = json::parse(read_file(path)).as_object();
  EXPECT_EQ(settings.at("permissions").at("allow").at(0), "Bash");

  // What Claude Code does: run the helper for a key, send it as x-api-key and Bearer.
  const auto helper = std::string(settings.at("apiKeyHelper").as_string());
  const auto token = run_command(token_env(), helper);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const auto& env = settings.at("env").as_object();
  const std::string base = std::string(env.at("ANTHROPIC_BASE_URL").as_string());
  ASSERT_EQ(base, url());
  const std::string custom = std::string(env.at("ANTHROPIC_CUSTOM_HEADERS").as_string());
  const auto colon = custom.find(": ");
  ASSERT_NE(colon, std::string::npos) << custom;
  const auto r = http_request(
      gw_.port(), "POST", "/v1/messages?beta=true",
      {{custom.substr(0, colon), custom.substr(colon + 2)},
       {"x-api-key", token.out},
       {"Authorization", "Bearer " + token.out},
       {"anthropic-version", "2023-06-01"},
       {"Content-Type", "application/json"}},
      R"({"model":"claude-sonnet-4-5","max_tokens":32,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SetupTest, CodexFollowingTheWrittenProviderReachesTheResponsesApi) {
  const auto done = setup("codex --provider mock --model gpt-4.1");
  ASSERT_EQ(done.exit_code, 0) << done.err;
  // Nothing was there: no backup is claimed.
  EXPECT_NE(done.out.find("# wrote " + home_.path() + "/.codex/config.toml (a new file)"),
            std::string::npos)
      << done.out;
  EXPECT_EQ(done.out.find(".aigw-backup"), std::string::npos) << done.out;
  const std::string toml = read_file(home_.path() + "/.codex/config.toml");
  const std::string base = toml_string(toml, "model_providers.gateway", "base_url");
  ASSERT_EQ(base, url() + "/v1");
  const std::string command = toml_string(toml, "model_providers.gateway.auth", "command");
  const auto token = run_command(token_env(), command + " token");
  ASSERT_EQ(token.exit_code, 0) << token.err;
  ASSERT_NE(toml.find("http_headers = { \"x-portkey-provider\" = \"mock\" }"), std::string::npos);
  const auto r = http_request(gw_.port(), "POST", "/v1/responses",
                              {{"x-portkey-provider", "mock"},
                               {"Authorization", "Bearer " + token.out},
                               {"Content-Type", "application/json"}},
                              R"({"model":"gpt-4.1","input":"hi"})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SetupTest, PrintWritesNothingAndBadInputOrAnUnreadableFileChangesNothing) {
  const auto printed = setup("opencode --provider mock --print");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("\"baseURL\": \"" + url() + "/v1\""), std::string::npos)
      << printed.out;
  EXPECT_FALSE(std::ifstream(home_.path() + "/.config/opencode/opencode.json").good());

  const auto comma = setup("claude-code --provider anthropic,openai");
  EXPECT_EQ(comma.exit_code, 2);
  EXPECT_NE(comma.err.find("x-portkey-provider"), std::string::npos) << comma.err;
  const auto unknown = setup("cursor --provider mock");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("claude-code, codex, opencode, goose, continue, langchain"),
            std::string::npos);

  const std::string path = home_.path() + "/.claude/settings.json";
  write_file(path, "{ broken");
  const auto refused = setup("claude-code --provider mock");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("nothing was changed"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(path), "{ broken");
}

TEST_F(SetupTest, DoctorIsContentAfterSetupAndNamesWhatBreaksAfter) {
  ASSERT_EQ(setup("claude-code --provider mock").exit_code, 0);
  ASSERT_EQ(setup("codex --provider mock").exit_code, 0);
  const std::string doctor =
      std::string(AIGW_BINARY) + " doctor --url " + url() + " --home " + home_.path();
  const auto healthy =
      run_command(token_env() + " CLAUDE_CODE_API_KEY_HELPER_TTL_MS=3000000", doctor);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  EXPECT_NE(healthy.out.find("ok   gateway: " + url() + " is aigw"), std::string::npos);
  EXPECT_NE(healthy.out.find("ok   token: valid for"), std::string::npos) << healthy.out;
  EXPECT_NE(healthy.out.find("ok   claude-code:"), std::string::npos) << healthy.out;
  EXPECT_NE(healthy.out.find("ok   codex:"), std::string::npos) << healthy.out;

  // The TTL only in settings.json, and a provider the gateway does not serve.
  const std::string path = home_.path() + "/.claude/settings.json";
  auto settings = json::parse(read_file(path)).as_object();
  settings["env"].as_object()["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"] = "3000000";
  settings["env"].as_object()["ANTHROPIC_CUSTOM_HEADERS"] = "x-portkey-provider: bedrock";
  write_file(path, json::serialize(settings));
  const auto sick = run_command(token_env(), doctor);
  EXPECT_EQ(sick.exit_code, 1) << sick.out;
  EXPECT_NE(sick.out.find("FIX  claude-code: CLAUDE_CODE_API_KEY_HELPER_TTL_MS is in"),
            std::string::npos)
      << sick.out;
  EXPECT_NE(sick.out.find("FIX  providers: agents send x-portkey-provider: bedrock, which the "
                          "gateway does not serve (it serves: mock)"),
            std::string::npos)
      << sick.out;

  const auto unreachable =
      run_command("", std::string(AIGW_BINARY) + " doctor --url http://127.0.0.1:" +
                          std::to_string(free_local_port()) + " --home " + home_.path());
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.out.find("FIX  gateway: no answer from"), std::string::npos);
}

}  // namespace
}  // namespace aigw::testing
