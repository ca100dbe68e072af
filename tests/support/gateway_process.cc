#include "support/gateway_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace aigw::testing {

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "aigw-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

GatewayProcess::GatewayProcess(const std::string& yaml, std::vector<std::string> extra_args) : dir_(make_temp_dir()) {
  const std::string config_path = dir_ + "/aigw.yaml";
  std::string text = yaml;
  if (text.find("listen:") == std::string::npos) text = "listen: 127.0.0.1:0\n" + text;
  // Tests about something else run without tokens; auth tests configure `auth:` themselves.
  if (text.find("auth:") == std::string::npos) text += "\nauth: { enabled: false }\n";
  write_file(config_path, text);
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {AIGW_BINARY, "serve", "--config", config_path, "--port", "0"};
  for (auto& a : extra_args) args.push_back(std::move(a));
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (chdir(dir_.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_reader_ = std::thread([this, fd = out_pipe[0]] { read_stream(fd, true); });
  err_reader_ = std::thread([this, fd = err_pipe[0]] { read_stream(fd, false); });

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      for (const auto& line : stdout_lines_) {
        if (line.find("\"type\":\"start\"") == std::string::npos) continue;
        port_ = static_cast<std::uint16_t>(boost::json::parse(line).at("port").as_int64());
      }
    }
    if (wait_exit(std::chrono::milliseconds(10))) break;
  }
  if (port_ == 0) {
    // A constructor that throws runs no destructor: stop the process and readers here.
    const bool exited = exit_code_.has_value();
    stop();
    throw std::runtime_error(std::string(exited ? "aigw exited at start: " : "aigw did not start within 30s: ") +
                             stderr_text());
  }
}

GatewayProcess::~GatewayProcess() { stop(); }

void GatewayProcess::stop() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void GatewayProcess::read_stream(int fd, bool is_stdout) {
  std::string partial;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    if (!is_stdout) {
      stderr_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    partial.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      stdout_lines_.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  close(fd);
}

void GatewayProcess::send_signal(int sig) {
  if (!exit_code_) kill(pid_, sig);
}

std::optional<int> GatewayProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

std::vector<std::string> GatewayProcess::stdout_lines() const {
  std::lock_guard lock(mutex_);
  return stdout_lines_;
}

std::string GatewayProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

bool GatewayProcess::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    for (const auto& line : stdout_lines()) {
      if (line.find(needle) != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace aigw::testing
