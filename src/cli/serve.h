// `aigw serve`: load the config, start the server, drain on SIGTERM.
#pragma once

#include <optional>
#include <string>

namespace aigw::cli {

struct ServeOptions {
  std::string config_path;
  std::optional<int> port;
  std::optional<int> threads;
};

int run_serve(const ServeOptions& options);

}  // namespace aigw::cli
