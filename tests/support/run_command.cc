#include "support/run_command.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "support/aigw_process.h"

namespace aigw::testing {
namespace {

std::string slurp(const std::string& path) {
  std::string s;
  if (std::FILE* f = std::fopen(path.c_str(), "r")) {
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
    std::fclose(f);
  }
  return s;
}

}  // namespace

CommandResult run_command(const std::string& env, const std::string& command) {
  const TempDir temp;
  const std::string& dir = temp.path();
  const std::string cmd = "cd '" + std::string(AIGW_SOURCE_DIR) + "' && env " + env + " " +
                          command + " >'" + dir + "/out' 2>'" + dir + "/err'";
  CommandResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r;
}

}  // namespace aigw::testing
