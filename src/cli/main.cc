// aigw's command line: `aigw serve` runs the gateway (more subcommands join as they land).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <pthread.h>
#include <thread>

#include "cli/serve.h"

int main(int argc, char** argv) {
  CLI::App app{"aigw: a self-hosted AI gateway for coding agents"};
  app.require_subcommand(1);

  aigw::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway (embedded default without --config)");
  serve_cmd->add_option("-c,--config", serve.config_path, "YAML config file")->check(CLI::ExistingFile);
  serve_cmd->add_option("-p,--port", serve.port, "Listen on this port (0: any free port)");
  serve_cmd->add_option("--threads", serve.threads, "Worker threads (default: one per core)");

  CLI11_PARSE(app, argc, argv);
  if (serve_cmd->parsed()) return aigw::cli::run_serve(serve);
  return 0;
}
