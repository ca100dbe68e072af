// `aigw setup AGENT --url URL --provider NAME [--model M] [--print]`: the files are read and
// written here; what goes in them is planned by agent_setup.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "auth/private_file.h"
#include "cli/commands.h"
#include "setup/agent_setup.h"

namespace aigw::cli {
namespace {

namespace fs = std::filesystem;
using setup::agent_names;
using setup::checked_inputs;
using setup::parse_agent;
using setup::plan_setup;
using setup::render_plan;
using setup::SetupInputs;

// This binary's absolute path, so the agent can run `aigw token` whatever its PATH.
std::string own_path() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "aigw";
}

// What writing one file did: its line for the user, or an error message.
struct Written {
  std::string error;
  std::string note;
};

Written failed(std::string error) { return {std::move(error), ""}; }

// Writes `text` to `path` whole or not at all (a temp file renamed over it), after copying
// what was there to `path.aigw-backup`.
Written write_with_backup(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec)
    return failed("cannot create " + fs::path(path).parent_path().string() + ": " + ec.message());
  const auto before = auth::read_text_file(path);
  if (before && *before == text) return {"", "# " + path + " is already set up: left as it was"};
  if (before) {
    fs::copy_file(path, path + ".aigw-backup", fs::copy_options::overwrite_existing, ec);
    if (ec) return failed("cannot back up " + path + ": " + ec.message());
  }
  const std::string temp = path + ".aigw-tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return failed("cannot write " + temp);
  }
  if (before) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) ::chmod(temp.c_str(), st.st_mode & 07777);
  }
  fs::rename(temp, path, ec);
  if (ec) return failed("cannot replace " + path + ": " + ec.message());
  if (!before) return {"", "# wrote " + path + " (a new file)"};
  return {"", "# wrote " + path + " (what was there: " + path + ".aigw-backup)"};
}

}  // namespace

int run_setup(const SetupOptions& options) {
  const auto agent = parse_agent(options.agent);
  if (!agent) {
    std::fprintf(stderr, "aigw setup: unknown agent \"%s\" (known: %s)\n", options.agent.c_str(),
                 agent_names().c_str());
    return 2;
  }
  SetupInputs in{*agent, options.url, options.provider, options.model, own_path(), options.home};
  if (in.home.empty()) {
    if (const char* home = std::getenv("HOME")) in.home = home;
  }
  auto checked = checked_inputs(std::move(in));
  if (!checked) {
    std::fprintf(stderr, "aigw setup: %s\n", checked.error().message.c_str());
    return 2;
  }
  auto plan = plan_setup(*checked, auth::read_text_file);
  if (!plan) {
    std::fprintf(stderr, "aigw setup: %s\n", plan.error().message.c_str());
    return 1;
  }
  if (!options.print) {
    for (const auto& file : plan->files) {
      const Written written = write_with_backup(file.path, file.content);
      if (!written.error.empty()) {
        std::fprintf(stderr, "aigw setup: %s\n", written.error.c_str());
        return 1;
      }
      std::cout << written.note << '\n';
    }
  }
  std::cout << render_plan(*plan);
  return 0;
}

}  // namespace aigw::cli
