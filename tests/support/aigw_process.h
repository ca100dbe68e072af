// Runs the real aigw binary for one test: its config in a temp dir, `serve --port 0`, the port
// read from the start line, stdout (the JSON access log) and stderr kept for assertions.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace aigw::testing {

struct AigwOptions {
  std::vector<std::string> extra_args;                   // after `serve --config FILE --port 0`
  std::vector<std::pair<std::string, std::string>> env;  // set (or replaced) for the child
  // Adds `listen: 127.0.0.1:0` when the config has no top-level `listen:` key.
  bool default_listen = true;
  // Adds `auth: { enabled: false }` when the config has no top-level `auth:` key (the gateway
  // core's tests run without tokens; the auth tests configure `auth:` themselves).
  bool disable_auth = true;
  // Adds `providers: { mock: {} }` when the config has no top-level `providers:` key (aigw
  // serves the mock only where the config names it).
  bool default_mock = true;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(30);
  // Runs in this existing directory (its working dir: ./data/aigw.db, ./keys, …) instead of a
  // fresh temp dir, and leaves it in place at the end, so a second gateway can start on the
  // state of the first (restart tests). Empty: a fresh temp dir, removed at the end.
  std::string dir;
};

class AigwProcess {
 public:
  // Writes `yaml` to DIR/aigw.yaml and starts aigw; throws (with its stderr) when aigw exits or
  // prints no start line within the start timeout.
  explicit AigwProcess(const std::string& yaml, AigwOptions options = {});
  // Kills aigw (SIGKILL) if still running and removes the temp dir (not a given `dir`).
  ~AigwProcess();
  AigwProcess(const AigwProcess&) = delete;
  AigwProcess& operator=(const AigwProcess&) = delete;

  std::uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  const std::string& dir() const { return dir_; }  // the process's working and temp dir
  std::string config_path() const { return dir_ + "/aigw.yaml"; }
  // The start line, parsed.
  const boost::json::object& start_line() const { return start_; }

  void send_signal(int signal);
  // The exit code (128 + signal when killed), or nullopt when still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // Every stdout line but the start line (the access log and other JSON events).
  std::vector<std::string> log_lines() const;
  // The log lines with "type":"access", parsed.
  std::vector<boost::json::object> access_lines() const;
  std::string stdout_text() const;  // every byte read from stdout, start line included
  std::string stderr_text() const;
  // Waits until a log line contains `needle` (the access log is written asynchronously).
  bool wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) const;
  // Waits until there are at least `n` access lines.
  bool wait_for_access_lines(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void read_output(int fd, bool is_stdout);
  void stop();

  std::string dir_;
  bool owns_dir_ = true;  // false: AigwOptions::dir, left in place
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::uint16_t port_ = 0;
  boost::json::object start_;
  mutable std::mutex mutex_;
  std::string stdout_;
  std::string stdout_partial_;
  std::vector<std::string> lines_;
  std::string stderr_;
  std::thread out_reader_;
  std::thread err_reader_;
};

// A TCP port on 127.0.0.1 that nothing listens on right now (for a server a test starts).
std::uint16_t free_local_port();
// True when something accepts a TCP connection on 127.0.0.1:`port`.
bool accepts_connections(std::uint16_t port);

// A fresh directory under the system temp dir ("aigw-test-XXXXXX"); the caller removes it.
std::string make_temp_dir();
// Writes `text` to `path`, creating parent directories.
void write_file(const std::string& path, const std::string& text);

// A temp dir removed (recursively) when the object goes.
class TempDir {
 public:
  TempDir() : path_(make_temp_dir()) {}
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace aigw::testing
