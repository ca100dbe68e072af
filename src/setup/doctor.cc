#include "setup/doctor.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <sstream>

namespace aigw::setup {
namespace {

namespace json = boost::json;

struct Report {
  std::vector<Finding>& out;
  void ok(std::string line) { out.push_back({true, std::move(line)}); }
  void fix(std::string line) { out.push_back({false, std::move(line)}); }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return s;
}

// What is wrong with an x-portkey-provider value, or "".
std::string provider_problem(const std::optional<std::string>& value) {
  if (!value || value->empty())
    return "sends no x-portkey-provider header: every request is answered "
           "{\"error\": \"provider is not set\"}";
  if (value->find(',') != std::string::npos)
    return "x-portkey-provider is a comma-separated list (\"" + *value +
           "\"): name one provider per request";
  return "";
}

std::optional<json::object> json_file(const MachineView& m, const std::string& path) {
  const auto text = m.file(path);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<std::string> string_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// The value of `name` in "Name: value" lines (ANTHROPIC_CUSTOM_HEADERS).
std::optional<std::string> header_line(const std::string& lines, const std::string& name) {
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || lower(line.substr(0, colon)) != name) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    return value;
  }
  return std::nullopt;
}

struct ClaudeCode {
  std::optional<json::object> settings;
  std::optional<std::string> headers;  // ANTHROPIC_CUSTOM_HEADERS, environment first
  bool configured = false;
};

ClaudeCode read_claude_code(const MachineView& m) {
  ClaudeCode c;
  c.settings = json_file(m, m.home + "/.claude/settings.json");
  const json::object* env = nullptr;
  if (c.settings) {
    if (const auto* e = c.settings->if_contains("env"); e && e->is_object()) env = &e->as_object();
  }
  c.headers = m.env("ANTHROPIC_CUSTOM_HEADERS");
  if (!c.headers && env) c.headers = string_at(*env, "ANTHROPIC_CUSTOM_HEADERS");
  c.configured = m.env("ANTHROPIC_BASE_URL").has_value() ||
                 (env && env->contains("ANTHROPIC_BASE_URL")) ||
                 (c.settings && c.settings->contains("apiKeyHelper"));
  return c;
}

void check_claude_code(const MachineView& m, Report& r) {
  const ClaudeCode c = read_claude_code(m);
  if (!c.configured) return;
  bool good = true;
  const auto fix = [&](std::string line) {
    r.fix("claude-code: " + std::move(line));
    good = false;
  };
  const json::object* env = nullptr;
  if (c.settings) {
    if (const auto* e = c.settings->if_contains("env"); e && e->is_object()) env = &e->as_object();
  }
  if (env && env->contains("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"))
    fix("CLAUDE_CODE_API_KEY_HELPER_TTL_MS is in ~/.claude/settings.json's env block, where "
        "Claude Code ignores it: export it in your shell profile instead");
  const auto helper = c.settings ? string_at(*c.settings, "apiKeyHelper") : std::nullopt;
  if (!helper) {
    if (!m.env("ANTHROPIC_AUTH_TOKEN") && !m.env("ANTHROPIC_API_KEY"))
      fix("no apiKeyHelper in ~/.claude/settings.json and no token in the environment: run "
          "`aigw setup claude-code`");
  } else {
    const std::string program = helper->substr(0, helper->find(' '));
    if (program.find('/') != std::string::npos && !m.executable(program))
      fix("the token helper " + program +
          " is missing or not executable (chmod +x it, or run `aigw setup claude-code`)");
    if (!m.env("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"))
      fix("CLAUDE_CODE_API_KEY_HELPER_TTL_MS is not set in the environment: the token is "
          "fetched again only every 5 minutes or after a 401 (export "
          "CLAUDE_CODE_API_KEY_HELPER_TTL_MS=3000000)");
  }
  const auto provider = c.headers ? header_line(*c.headers, "x-portkey-provider") : std::nullopt;
  if (auto problem = provider_problem(provider); !problem.empty())
    fix(problem + " (set ANTHROPIC_CUSTOM_HEADERS=\"x-portkey-provider: NAME\")");
  if (good) r.ok("claude-code: settings, token helper and x-portkey-provider: " + *provider);
}

// The lines of each TOML table, by table name.
std::vector<std::pair<std::string, std::string>> toml_tables(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> tables{{"", ""}};
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line[start] == '[' && line.compare(start, 2, "[[") != 0) {
      const auto end = line.find(']', start);
      tables.emplace_back(line.substr(start + 1, end - start - 1), "");
      continue;
    }
    tables.back().second += line + "\n";
  }
  return tables;
}

// `"key" = "value"` (or key = "value") in TOML text: the value, or nullopt.
std::optional<std::string> toml_quoted_value(const std::string& text, const std::string& key) {
  for (const std::string& spelled : {"\"" + key + "\"", key}) {
    auto at = text.find(spelled);
    while (at != std::string::npos) {
      const auto eq = text.find_first_not_of(" \t", at + spelled.size());
      if (eq != std::string::npos && text[eq] == '=') {
        const auto open = text.find('"', eq);
        if (open == std::string::npos) return std::nullopt;
        return text.substr(open + 1, text.find('"', open + 1) - open - 1);
      }
      at = text.find(spelled, at + 1);
    }
  }
  return std::nullopt;
}

void check_codex(const MachineView& m, Report& r) {
  const auto text = m.file(m.home + "/.codex/config.toml");
  if (!text) return;
  bool good = true;
  const auto fix = [&](std::string line) {
    r.fix("codex: " + std::move(line));
    good = false;
  };
  std::vector<std::string> ids;
  for (const auto& [table, body] : toml_tables(*text)) {
    if (table.empty()) {
      if (toml_quoted_value(body, "model_provider") == "openai" && m.env("OPENAI_BASE_URL"))
        fix("model_provider = \"openai\" with OPENAI_BASE_URL: Codex is pointed at the built-in "
            "openai provider, which cannot be redirected; use a custom one (`aigw setup codex`)");
      continue;
    }
    if (!table.starts_with("model_providers.") ||
        table.find('.', sizeof "model_providers") != std::string::npos)
      continue;
    const std::string id = table.substr(sizeof "model_providers");
    if (id == "openai" || id == "ollama" || id == "lmstudio") {
      fix("[" + table + "] redefines a built-in provider, which Codex ignores: requests go to " +
          (id == "openai" ? "api.openai.com" : id) + "; use a custom id (`aigw setup codex`)");
      continue;
    }
    ids.push_back(id);
    if (body.find("env_http_headers") != std::string::npos) continue;  // set from a variable
    if (auto problem = provider_problem(toml_quoted_value(body, "x-portkey-provider"));
        !problem.empty())
      fix("[" + table + "] " + problem + " (http_headers = { \"x-portkey-provider\" = \"NAME\" })");
  }
  if (good && !ids.empty()) r.ok("codex: provider " + ids.front() + " sends x-portkey-provider");
}

void check_opencode(const MachineView& m, Report& r) {
  const std::string path = m.home + "/.config/opencode/opencode.json";
  const auto config = json_file(m, path);
  if (!config) return;
  const auto* providers = config->if_contains("provider");
  if (providers == nullptr || !providers->is_object()) return;
  bool good = true;
  for (const auto& [id, p] : providers->as_object()) {
    if (!p.is_object()) continue;
    const auto* options = p.as_object().if_contains("options");
    if (options == nullptr || !options->is_object() || !options->as_object().contains("baseURL"))
      continue;
    std::optional<std::string> value;
    if (const auto* h = options->as_object().if_contains("headers"); h && h->is_object())
      value = string_at(h->as_object(), "x-portkey-provider");
    if (auto problem = provider_problem(value); !problem.empty()) {
      r.fix("opencode: provider " + std::string(id) + " " + problem + " (options.headers in " +
            path + ")");
      good = false;
    }
  }
  if (good) r.ok("opencode: every provider with a baseURL sends x-portkey-provider");
}

void check_continue(const MachineView& m, Report& r) {
  const std::string path = m.home + "/.continue/config.yaml";
  const auto text = m.file(path);
  if (!text) return;
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception&) {
    r.fix("continue: " + path + " is not valid YAML");
    return;
  }
  if (!root.IsMap() || !root["models"] || !root["models"].IsSequence()) return;
  bool good = true;
  for (const auto& model : root["models"]) {
    if (!model["apiBase"]) continue;
    std::optional<std::string> value;
    // (Each step checked: yaml-cpp throws on a key looked up under a missing one.)
    if (const YAML::Node options = model["requestOptions"]; options && options.IsMap()) {
      if (const YAML::Node headers = options["headers"]; headers && headers.IsMap()) {
        const YAML::Node header = headers["x-portkey-provider"];
        if (header && header.IsScalar()) value = header.as<std::string>();
      }
    }
    if (auto problem = provider_problem(value); !problem.empty()) {
      r.fix("continue: model " + model["name"].as<std::string>("?") + " " + problem +
            " (requestOptions.headers)");
      good = false;
    }
  }
  if (good) r.ok("continue: every model with an apiBase sends x-portkey-provider");
}

void check_goose(const MachineView& m, Report& r) {
  std::optional<std::string> provider = m.env("GOOSE_PROVIDER");
  std::optional<std::string> host = m.env("OPENAI_HOST");
  if (const auto text = m.file(m.home + "/.config/goose/config.yaml")) {
    try {
      const YAML::Node root = YAML::Load(*text);
      if (!provider && root["GOOSE_PROVIDER"]) provider = root["GOOSE_PROVIDER"].as<std::string>();
      if (!host && root["OPENAI_HOST"]) host = root["OPENAI_HOST"].as<std::string>();
    } catch (const YAML::Exception&) {
    }
  }
  if (provider != "openai" || !host) return;
  bool good = true;
  const auto scheme = host->find("://");
  if (scheme != std::string::npos && host->find('/', scheme + 3) != std::string::npos &&
      host->find('/', scheme + 3) + 1 < host->size()) {
    r.fix("goose: OPENAI_HOST " + *host +
          " has a path: put only scheme and host there, the path in OPENAI_BASE_PATH");
    good = false;
  }
  std::optional<std::string> value;
  if (const auto headers = m.env("OPENAI_CUSTOM_HEADERS")) {
    const auto at = lower(*headers).find("x-portkey-provider=");
    if (at != std::string::npos) {
      const auto start = at + sizeof "x-portkey-provider";
      value = headers->substr(start, headers->find(',', start) - start);
    }
  }
  if (auto problem = provider_problem(value); !problem.empty()) {
    r.fix("goose: " + problem + " (OPENAI_CUSTOM_HEADERS=\"x-portkey-provider=NAME\")");
    good = false;
  }
  if (good) r.ok("goose: OPENAI_HOST and x-portkey-provider");
}

}  // namespace

std::vector<Finding> check_agents(const MachineView& machine) {
  std::vector<Finding> out;
  Report r{out};
  check_claude_code(machine, r);
  check_codex(machine, r);
  check_opencode(machine, r);
  check_continue(machine, r);
  check_goose(machine, r);
  if (out.empty()) r.fix("no agent configured for a gateway was found: run `aigw setup AGENT`");
  return out;
}

std::vector<std::string> providers_sent(const MachineView& m) {
  std::vector<std::string> out;
  const auto add = [&](const std::optional<std::string>& v) {
    if (v && !v->empty() && v->find(',') == std::string::npos) out.push_back(*v);
  };
  const ClaudeCode c = read_claude_code(m);
  if (c.configured && c.headers) add(header_line(*c.headers, "x-portkey-provider"));
  if (const auto text = m.file(m.home + "/.codex/config.toml"))
    add(toml_quoted_value(*text, "x-portkey-provider"));
  if (const auto config = json_file(m, m.home + "/.config/opencode/opencode.json")) {
    if (const auto* p = config->if_contains("provider"); p && p->is_object()) {
      for (const auto& [id, v] : p->as_object()) {
        const auto* h = v.is_object() ? v.as_object().if_contains("options") : nullptr;
        h = h && h->is_object() ? h->as_object().if_contains("headers") : nullptr;
        if (h && h->is_object()) add(string_at(h->as_object(), "x-portkey-provider"));
      }
    }
  }
  return out;
}

std::vector<Finding> check_gateway(const GatewayView& g,
                                   const std::vector<std::string>& providers_sent) {
  std::vector<Finding> out;
  Report r{out};
  if (g.root_status == 0) {
    r.fix("gateway: no answer from " + g.url +
          "/: the URL is wrong, the gateway is down, or a VPN is required");
    return out;
  }
  if (g.root_status != 200 || g.root_body.find("\"service\":\"aigw\"") == std::string::npos) {
    r.fix("gateway: " + g.url + "/ answered " + std::to_string(g.root_status) +
          " but is not aigw: check GATEWAY_URL");
    return out;
  }
  r.ok("gateway: " + g.url + " is aigw");
  if (!g.token_tried) return out;
  if (!g.token_error.empty()) {
    r.fix("token: " + g.token_error);
    return out;
  }
  if (g.token_seconds_left <= 0) {
    r.fix("token: expired " + std::to_string(-g.token_seconds_left / 60) +
          " minutes ago: get a new one (`aigw token --no-cache`)");
  } else if ((" " + g.token_scopes + " ").find(std::string(" ") + kInvokeScope + " ") ==
             std::string::npos) {
    r.fix(std::string("token: lacks the scope ") + kInvokeScope + " (has: " +
          (g.token_scopes.empty() ? "none" : g.token_scopes) + "): ask the gateway admin");
  } else {
    r.ok("token: valid for " + std::to_string(g.token_seconds_left / 60) +
         " more minutes, with the invoke scope");
  }
  if (!g.served) {
    if (!g.providers_error.empty()) r.fix("providers: " + g.providers_error);
    return out;
  }
  for (const auto& p : providers_sent) {
    const bool served = std::find(g.served->begin(), g.served->end(), p) != g.served->end();
    if (served) continue;
    std::string list;
    for (const auto& s : *g.served) list += (list.empty() ? "" : ", ") + s;
    r.fix("providers: agents send x-portkey-provider: " + p +
          ", which the gateway does not serve (it serves: " + list + ")");
  }
  return out;
}

}  // namespace aigw::setup
