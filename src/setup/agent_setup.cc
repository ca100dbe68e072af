#include "setup/agent_setup.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <boost/json.hpp>
#include <functional>
#include <sstream>

#include "router/caller_values.h"

namespace aigw::setup {
namespace {

namespace json = boost::json;

constexpr std::array<std::pair<std::string_view, Agent>, 6> kAgents = {{
    {"claude-code", Agent::kClaudeCode},
    {"codex", Agent::kCodex},
    {"opencode", Agent::kOpenCode},
    {"goose", Agent::kGoose},
    {"continue", Agent::kContinue},
    {"langchain", Agent::kLangChain},
}};

// Codex may not redefine `openai` (troubleshooting: requests would go to api.openai.com);
// the same id is used for OpenCode's custom provider.
constexpr const char* kProviderId = "gateway";
// Claude Code re-runs its apiKeyHelper this often: 50 minutes, inside the token's hour.
constexpr const char* kHelperTtlMs = "3000000";

std::string quoted_toml(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// `existing` TOML with the top-level `keys` set (lines of the same keys before the first table
// are replaced; everything else is kept).
std::string merge_toml_keys(const std::string& existing,
                            const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string out;
  for (const auto& [key, value] : keys) out += key + " = " + value + "\n";
  std::istringstream lines(existing);
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line[start] == '[') in_table = true;
    bool replaced = false;
    for (const auto& [key, value] : keys) {
      if (in_table || start == std::string::npos || line.compare(start, key.size(), key) != 0)
        continue;
      const auto after = line.find_first_not_of(" \t", start + key.size());
      replaced = replaced || (after != std::string::npos && line[after] == '=');
    }
    if (!replaced) out += line + "\n";
  }
  return out;
}

// The lines every agent needs for `aigw token`: where to ask, and the client's credentials.
std::vector<std::string> token_environment(const SetupInputs& in) {
  return {"export GATEWAY_TOKEN_ENDPOINT=\"" + in.url + "/oauth2/token\"",
          "export GATEWAY_CLIENT_ID=\"<your client id>\"",
          "export GATEWAY_CLIENT_SECRET=\"<your client secret>\""};
}

Result<SetupFile> json_file(const std::string& path, const json::object& patch,
                            const FileReader& current) {
  const auto existing = current(path);
  auto merged = merge_json(existing.value_or("{}"), json::serialize(patch));
  if (!merged) return bad_request(path + ": " + merged.error().message);
  return SetupFile{path, "json", *merged};
}

Result<SetupPlan> claude_code(const SetupInputs& in, const FileReader& current) {
  SetupPlan plan;
  const json::object patch{{"apiKeyHelper", in.aigw + " token"},
                           {"env",
                            {{"ANTHROPIC_BASE_URL", in.url},
                             {"ANTHROPIC_CUSTOM_HEADERS", "x-portkey-provider: " + in.provider}}}};
  auto file = json_file(in.home + "/.claude/settings.json", patch, current);
  if (!file) return file.take_error();
  plan.files.push_back(std::move(*file));
  plan.environment = token_environment(in);
  // Claude Code reads the helper's TTL from its own environment only (not the settings `env`).
  plan.environment.push_back(std::string("export CLAUDE_CODE_API_KEY_HELPER_TTL_MS=") +
                             kHelperTtlMs);
  plan.environment.push_back("export ENABLE_TOOL_SEARCH=true");
  plan.launch = "claude";
  plan.notes.push_back(
      "the token helper runs every 50 minutes and after any 401; no restart is needed");
  return plan;
}

Result<SetupPlan> codex(const SetupInputs& in, const FileReader& current) {
  SetupPlan plan;
  const std::string path = in.home + "/.codex/config.toml";
  std::string table = std::string("model_providers.") + kProviderId;
  const std::string block =
      "[" + table + "]\n" + "name = \"aigw\"\n" + "base_url = " + quoted_toml(in.url + "/v1") +
      "\n" + "wire_api = \"responses\"\n" +
      "http_headers = { \"x-portkey-provider\" = " + quoted_toml(in.provider) + " }\n\n" + "[" +
      table + ".auth]\n" + "command = " + quoted_toml(in.aigw) + "\nargs = [\"token\"]\n" +
      "refresh_interval_ms = " + kHelperTtlMs + "\n";
  std::string text = merge_toml_table(current(path).value_or(""), table, block);
  // A profile is a file of its own now: Codex refuses --profile while config.toml still
  // holds a legacy [profiles.NAME] table (an earlier aigw setup wrote one there).
  text = merge_toml_table(text, std::string("profiles.") + kProviderId, "");
  plan.files.push_back({path, "toml", text});
  const std::string profile_path = in.home + "/.codex/" + kProviderId + ".config.toml";
  plan.files.push_back({profile_path, "toml",
                        merge_toml_keys(current(profile_path).value_or(""),
                                        {{"model_provider", quoted_toml(kProviderId)},
                                         {"model", quoted_toml(in.model)}})});
  plan.environment = token_environment(in);
  plan.launch = std::string("codex --profile ") + kProviderId;
  plan.notes.push_back(std::string("a custom provider id (") + kProviderId +
                       "): the built-in `openai` cannot be pointed at a gateway");
  return plan;
}

Result<SetupPlan> opencode(const SetupInputs& in, const FileReader& current) {
  SetupPlan plan;
  const json::object patch{{"$schema", "https://opencode.ai/config.json"},
                           {"provider",
                            {{kProviderId,
                              {{"npm", "@ai-sdk/openai-compatible"},
                               {"name", "aigw"},
                               {"options",
                                {{"baseURL", in.url + "/v1"},
                                 {"apiKey", "{env:OPENAI_API_KEY}"},
                                 {"headers", {{"x-portkey-provider", in.provider}}}}},
                               {"models", {{in.model, json::object{}}}}}}}}};
  auto file = json_file(in.home + "/.config/opencode/opencode.json", patch, current);
  if (!file) return file.take_error();
  plan.files.push_back(std::move(*file));
  plan.environment = token_environment(in);
  plan.launch = in.aigw + " token opencode -m " + kProviderId + "/" + in.model;
  plan.notes.push_back(
      "OpenCode reads the key once at start: `aigw token` starts it with a fresh token; "
      "start it again within the hour");
  plan.notes.push_back("an opencode.json in the project root takes precedence over this one");
  return plan;
}

Result<std::string> merge_yaml_map(const std::string& existing,
                                   const std::function<void(YAML::Node&)>& change,
                                   const std::string& path) {
  YAML::Node root;
  try {
    root = existing.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(existing);
  } catch (const YAML::Exception& e) {
    return bad_request(path + ": not valid YAML (" + e.what() + "); nothing was changed");
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return bad_request(path + ": expected a YAML mapping; nothing was changed");
  change(root);
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

Result<SetupPlan> goose(const SetupInputs& in, const FileReader& current) {
  SetupPlan plan;
  const std::string path = in.home + "/.config/goose/config.yaml";
  auto text = merge_yaml_map(
      current(path).value_or(""),
      [&](YAML::Node& root) {
        root["GOOSE_PROVIDER"] = "openai";
        root["GOOSE_MODEL"] = in.model;
        root["OPENAI_HOST"] = in.url;  // scheme and host (and port): no path
        root["OPENAI_BASE_PATH"] = "v1/chat/completions";
      },
      path);
  if (!text) return text.take_error();
  plan.files.push_back({path, "yaml", *text});
  plan.environment = token_environment(in);
  // Goose takes extra headers only from this variable, as k=v pairs.
  plan.environment.push_back("export OPENAI_CUSTOM_HEADERS=\"x-portkey-provider=" + in.provider +
                             "\"");
  plan.launch = in.aigw + " token goose session";
  plan.notes.push_back(
      "Goose reads OPENAI_API_KEY at start: `aigw token` starts it with a fresh token");
  return plan;
}

Result<SetupPlan> continue_cli(const SetupInputs& in, const FileReader& current) {
  SetupPlan plan;
  const std::string path = in.home + "/.continue/config.yaml";
  const std::string name = "aigw " + in.model;
  auto text = merge_yaml_map(
      current(path).value_or(""),
      [&](YAML::Node& root) {
        if (!root["name"]) root["name"] = "aigw";
        if (!root["version"]) root["version"] = "0.0.1";
        if (!root["schema"]) root["schema"] = "v1";
        YAML::Node models(YAML::NodeType::Sequence);
        if (root["models"] && root["models"].IsSequence()) {
          for (const auto& m : root["models"]) {
            if (!(m["name"] && m["name"].as<std::string>("") == name)) models.push_back(m);
          }
        }
        YAML::Node model;
        model["name"] = name;
        model["provider"] = "openai";
        model["model"] = in.model;
        model["apiBase"] = in.url + "/v1/";
        model["apiKey"] = "${{ secrets.OPENAI_API_KEY }}";
        model["requestOptions"]["headers"]["x-portkey-provider"] = in.provider;
        models.push_back(model);
        root["models"] = models;
      },
      path);
  if (!text) return text.take_error();
  plan.files.push_back({path, "yaml", *text});
  plan.environment = token_environment(in);
  plan.launch = in.aigw + " token cn";
  plan.notes.push_back(
      "Continue reads the key once at start: `aigw token` starts it with a fresh token");
  return plan;
}

SetupPlan langchain(const SetupInputs& in) {
  SetupPlan plan;
  plan.environment = token_environment(in);
  plan.snippets.push_back(
      "# Python (langchain-openai): the key is a function, called for every request\n"
      "import subprocess\n"
      "from langchain_openai import ChatOpenAI\n\n"
      "def gateway_token() -> str:  # cached by aigw until shortly before it expires\n"
      "    return subprocess.run([\"" +
      in.aigw +
      "\", \"token\"], check=True, capture_output=True, text=True).stdout.strip()\n\n"
      "llm = ChatOpenAI(model=\"" +
      in.model + "\", base_url=\"" + in.url +
      "/v1\", api_key=gateway_token,\n"
      "                 default_headers={\"x-portkey-provider\": \"" +
      in.provider + "\"})\n");
  plan.snippets.push_back(
      "// JavaScript (@langchain/openai): the key is a function, called for every request\n"
      "import { execFileSync } from \"node:child_process\";\n"
      "import { ChatOpenAI } from \"@langchain/openai\";\n\n"
      "const gatewayToken = async () => execFileSync(\"" +
      in.aigw +
      "\", [\"token\"]).toString().trim();\n"
      "const llm = new ChatOpenAI({\n"
      "  model: \"" +
      in.model +
      "\",\n"
      "  configuration: { baseURL: \"" +
      in.url + "/v1\", apiKey: gatewayToken,\n" +
      "                   defaultHeaders: { \"x-portkey-provider\": \"" + in.provider +
      "\" } },\n"
      "});\n");
  plan.notes.push_back("LangChain has no config file: paste a snippet");
  return plan;
}

std::string default_model(Agent agent) {
  return agent == Agent::kClaudeCode ? "claude-sonnet-4-5" : "gpt-4.1";
}

}  // namespace

std::optional<Agent> parse_agent(std::string_view name) {
  for (const auto& [n, agent] : kAgents) {
    if (n == name) return agent;
  }
  return std::nullopt;
}

std::string agent_names() {
  std::string out;
  for (const auto& [n, agent] : kAgents) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

Result<SetupInputs> checked_inputs(SetupInputs in) {
  while (!in.url.empty() && in.url.back() == '/') in.url.pop_back();
  if (!in.url.starts_with("http://") && !in.url.starts_with("https://"))
    return bad_request("--url: expected http:// or https://, e.g. https://gateway.example.com");
  if (auto parsed = router::parse_custom_host(in.url); !parsed)
    return bad_request("--url: " + parsed.error().message);
  if (auto bad = router::check_provider_name(in.provider)) return *bad;
  if (in.model.empty()) in.model = default_model(in.agent);
  if (auto bad = router::check_model_id(in.model, "--model")) return *bad;
  if (in.home.empty() || in.home.front() != '/')
    return bad_request("no home directory (set HOME or pass --home)");
  return in;
}

Result<SetupPlan> plan_setup(const SetupInputs& in, const FileReader& current) {
  switch (in.agent) {
    case Agent::kClaudeCode:
      return claude_code(in, current);
    case Agent::kCodex:
      return codex(in, current);
    case Agent::kOpenCode:
      return opencode(in, current);
    case Agent::kGoose:
      return goose(in, current);
    case Agent::kContinue:
      return continue_cli(in, current);
    case Agent::kLangChain:
      return langchain(in);
  }
  return bad_request("unknown agent");
}

std::string render_plan(const SetupPlan& plan) {
  std::ostringstream out;
  for (const auto& f : plan.files) out << "# " << f.path << "\n" << f.content << "\n";
  for (const auto& s : plan.snippets) out << s << "\n";
  if (!plan.environment.empty()) {
    out << "# in your shell profile (real environment variables):\n";
    for (const auto& line : plan.environment) out << line << "\n";
    out << "\n";
  }
  if (!plan.launch.empty()) out << "# start it with:\n" << plan.launch << "\n";
  for (const auto& note : plan.notes) out << "# note: " << note << "\n";
  return out.str();
}

Result<std::string> merge_json(const std::string& existing, const std::string& patch) {
  boost::system::error_code ec;
  json::value base = json::parse(existing.empty() ? "{}" : existing, ec);
  if (ec || !base.is_object()) return bad_request("not a JSON object; nothing was changed");
  const std::function<void(json::object&, const json::object&)> merge =
      [&](json::object& into, const json::object& from) {
        for (const auto& [key, value] : from) {
          auto* present = into.if_contains(key);
          if (present && present->is_object() && value.is_object()) {
            merge(present->as_object(), value.as_object());
          } else {
            into[key] = value;
          }
        }
      };
  merge(base.as_object(), json::parse(patch).as_object());
  // Indented like the agents write their own files, so a person can still read it.
  std::string out;
  const std::function<void(const json::value&, int)> write = [&](const json::value& v, int depth) {
    const std::string pad(static_cast<std::size_t>(depth + 1) * 2, ' ');
    const std::string end_pad(static_cast<std::size_t>(depth) * 2, ' ');
    if (v.is_object() && !v.as_object().empty()) {
      out += "{\n";
      bool first = true;
      for (const auto& [key, member] : v.as_object()) {
        out += (first ? "" : ",\n") + pad + json::serialize(json::string_view(key)) + ": ";
        first = false;
        write(member, depth + 1);
      }
      out += "\n" + end_pad + "}";
    } else {
      out += json::serialize(v);
    }
  };
  write(base, 0);
  return out + "\n";
}

std::string merge_toml_table(const std::string& existing, const std::string& table,
                             const std::string& block) {
  // A header line "[table]" or "[table.sub]" starts what is replaced; the next other header
  // ends it. Arrays of tables ("[[…]]") and comments are kept as they are.
  std::istringstream lines(existing);
  std::string line, kept;
  bool skipping = false;
  while (std::getline(lines, line)) {
    std::string trimmed = line.substr(0, line.find('#'));
    while (!trimmed.empty() &&
           (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\r'))
      trimmed.pop_back();
    const auto start = trimmed.find_first_not_of(" \t");
    if (start != std::string::npos && trimmed[start] == '[' && trimmed.back() == ']' &&
        trimmed.compare(start, 2, "[[") != 0) {
      std::string name = trimmed.substr(start + 1, trimmed.size() - start - 2);
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      skipping = name == table || name.starts_with(table + ".");
    }
    if (!skipping) kept += line + "\n";
  }
  while (kept.size() >= 2 && kept.ends_with("\n\n")) kept.pop_back();
  if (!kept.empty() && !block.empty()) kept += "\n";
  return kept + block;
}

}  // namespace aigw::setup
