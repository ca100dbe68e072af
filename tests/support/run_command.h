// Runs a command line of ours (a script, or the aigw binary's client commands) from the
// source tree with extra environment, capturing its exit code, stdout and stderr.
#pragma once

#include <string>

namespace aigw::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // trailing newlines removed
  std::string err;
};

// `env`: space-separated NAME=value pairs put before the command (through env(1)).
CommandResult run_command(const std::string& env, const std::string& command);

}  // namespace aigw::testing
