// `aigw setup AGENT`: the configuration each coding agent needs to reach aigw, built from the
// agent's own mechanisms (docs/agents/): where it reads the base URL, how it sends the
// x-portkey-provider header, and how it gets a fresh one-hour token — a command it re-runs
// (Claude Code's apiKeyHelper, Codex's auth command) or `aigw token AGENT…`, which starts the
// agent with a fresh token in its environment for agents that read the key only at start.
//
// Pure: the plan (files with their merged content, shell lines, the launch command) is made
// here from the inputs and the files' current text; cli/setup_command.cc reads and writes
// the files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace aigw::setup {

enum class Agent { kClaudeCode, kCodex, kOpenCode, kGoose, kContinue, kLangChain };

std::optional<Agent> parse_agent(std::string_view name);
// "claude-code, codex, opencode, goose, continue, langchain".
std::string agent_names();

struct SetupInputs {
  Agent agent = Agent::kClaudeCode;
  std::string url;       // the gateway, e.g. https://gateway.example.com (no trailing slash)
  std::string provider;  // the x-portkey-provider value
  std::string model;     // the model the agent asks for (a default per agent when empty)
  std::string aigw;      // the command that runs aigw (absolute path), for `aigw token`
  std::string home;      // the user's home directory (files are placed under it)
};

// One configuration file the agent reads.
struct SetupFile {
  std::string path;     // absolute
  std::string format;   // "json", "toml", "yaml"
  std::string content;  // the whole file after the merge
};

struct SetupPlan {
  std::vector<SetupFile> files;
  // Lines for the shell profile (export …): what must be a real environment variable.
  std::vector<std::string> environment;
  std::string launch;                 // how to start the agent through the gateway
  std::vector<std::string> snippets;  // code to paste (LangChain)
  std::vector<std::string> notes;     // one line each: what the user should know
};

// The checked inputs: url is http(s)://host[:port][/path] and is returned without a trailing
// slash; provider passes x-portkey-provider's rules; model is a model id.
Result<SetupInputs> checked_inputs(SetupInputs inputs);

// `current(path)` gives a file's present text (nullopt: no such file). A file that exists but
// cannot be merged (not valid JSON / YAML) is an error naming it: nothing is overwritten.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
Result<SetupPlan> plan_setup(const SetupInputs& inputs, const FileReader& current);

// The plan as printed by `--print` (and after writing): files, environment, launch, notes.
std::string render_plan(const SetupPlan& plan);

// Merges for the file formats (exposed for tests). JSON: `patch`'s objects merged key by key
// into `existing`, its other values replacing. TOML: the tables named `table` and its
// sub-tables replaced by `block` (appended when absent), everything else kept as written.
Result<std::string> merge_json(const std::string& existing, const std::string& patch);
std::string merge_toml_table(const std::string& existing, const std::string& table,
                             const std::string& block);

}  // namespace aigw::setup
