// Starts the real aigw binary for an integration test: a temp dir with the config, `serve
// --port 0`, the port read from its start line, stdout (the access log) kept for assertions.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace aigw::testing {

class GatewayProcess {
 public:
  // `yaml` is the config file's text; `listen: 127.0.0.1:0` is added when it has no listen key,
  // and `auth: { enabled: false }` when it has no auth key.
  explicit GatewayProcess(const std::string& yaml, std::vector<std::string> extra_args = {});
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  void send_signal(int sig);
  // The exit code, or nullopt when still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::vector<std::string> stdout_lines() const;
  std::string stderr_text() const;
  // Waits until some stdout line contains `needle` (access lines are written asynchronously).
  bool wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  void read_stream(int fd, bool is_stdout);
  void stop();

  std::string dir_;
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> stdout_lines_;
  std::string stderr_;
  std::thread out_reader_;
  std::thread err_reader_;
};

// Writes `text` to `path` (creating directories), for configs, certificates, JWKS files.
void write_file(const std::string& path, const std::string& text);
std::string make_temp_dir();

}  // namespace aigw::testing
