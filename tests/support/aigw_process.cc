// Starts aigw with posix_spawn (no code runs between fork and exec in this threaded test
// process), its stdout and stderr on pipes read by two threads.
#include "support/aigw_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace aigw::testing {
namespace {

// True when `yaml` has `key:` at the start of a line (a top-level key).
bool has_top_level_key(const std::string& yaml, const std::string& key) {
  const std::string needle = key + ":";
  if (yaml.rfind(needle, 0) == 0) return true;
  return yaml.find("\n" + needle) != std::string::npos;
}

std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [n, v] : overrides) replaced |= n == name;
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [n, v] : overrides) env.push_back(n + "=" + v);
  return env;
}

}  // namespace

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "aigw-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void write_file(const std::string& path, const std::string& text) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

AigwProcess::AigwProcess(const std::string& yaml, AigwOptions options)
    : dir_(options.dir.empty() ? make_temp_dir() : options.dir), owns_dir_(options.dir.empty()) {
  std::string text = yaml;
  if (options.default_listen && !has_top_level_key(text, "listen"))
    text = "listen: 127.0.0.1:0\n" + text;
  // The core's tests read /admin/usage over loopback without tokens: through the explicit
  // opt-in, since with auth off the admin API is refused by default.
  if (options.disable_auth && !has_top_level_key(text, "auth"))
    text += "\nauth: { enabled: false, admin_without_auth: loopback }\n";
  if (options.default_mock && !has_top_level_key(text, "providers"))
    text += "\nproviders: { mock: {} }\n";
  write_file(config_path(), text);

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  std::vector<std::string> args = {AIGW_BINARY, "serve", "--config", config_path(), "--port", "0"};
  for (auto& a : options.extra_args) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = child_environment(options.env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  // Sockets of fake upstreams and other gateways must not leak into this one.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawn_file_actions_addchdir_np(&actions, dir_.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGPIPE);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::error_code ec;
    if (owns_dir_) std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error(std::string("cannot start " AIGW_BINARY ": ") + std::strerror(rc));
  }
  pid_ = pid;
  out_reader_ = std::thread([this, fd = out_pipe[0]] { read_output(fd, true); });
  err_reader_ = std::thread([this, fd = err_pipe[0]] { read_output(fd, false); });

  const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex_);
      if (port_ != 0) return;
    }
    if (wait_exit(std::chrono::milliseconds(10))) break;
  }
  {
    std::lock_guard lock(mutex_);
    if (port_ != 0) return;
  }
  // A constructor that throws runs no destructor: stop the process and the readers here.
  const bool exited = exit_code_.has_value();
  stop();
  throw std::runtime_error(
      std::string(exited ? "aigw exited at start: " : "aigw printed no start line: ") +
      stderr_text() + stdout_text());
}

AigwProcess::~AigwProcess() {
  const bool crashed = wait_exit(std::chrono::milliseconds(0)).value_or(0) != 0;
  stop();
  // A failing test shows what the gateway said on stderr (sanitizer reports, config errors).
  if (::testing::Test::HasFailure() || crashed) {
    std::string err = stderr_text();
    if (err.size() > 8000) err = err.substr(0, 6000) + "\n…\n" + err.substr(err.size() - 2000);
    if (!err.empty())
      std::fprintf(stderr, "--- aigw stderr (pid %d, exit %d) ---\n%s\n", pid_,
                   exit_code_.value_or(-1), err.c_str());
  }
}

void AigwProcess::stop() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  std::error_code ec;
  if (owns_dir_) std::filesystem::remove_all(dir_, ec);
}

void AigwProcess::read_output(int fd, bool is_stdout) {
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    if (!is_stdout) {
      stderr_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    stdout_.append(buf, static_cast<std::size_t>(n));
    stdout_partial_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = stdout_partial_.find('\n')) != std::string::npos) {
      std::string line = stdout_partial_.substr(0, nl);
      stdout_partial_.erase(0, nl + 1);
      if (port_ == 0 && line.find("\"type\":\"start\"") != std::string::npos) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object() && v.as_object().contains("port")) {
          start_ = v.as_object();
          port_ = static_cast<std::uint16_t>(v.at("port").to_number<std::int64_t>());
          continue;
        }
      }
      lines_.push_back(std::move(line));
    }
  }
  close(fd);
}

void AigwProcess::send_signal(int signal) {
  if (pid_ > 0 && !exit_code_) kill(pid_, signal);
}

std::optional<int> AigwProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<std::string> AigwProcess::log_lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::vector<boost::json::object> AigwProcess::access_lines() const {
  std::vector<boost::json::object> out;
  for (const auto& line : log_lines()) {
    if (line.find("\"type\":\"access\"") == std::string::npos) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

std::string AigwProcess::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string AigwProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

bool AigwProcess::wait_for_line(const std::string& needle,
                                std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const auto& line : log_lines()) {
      if (line.find(needle) != std::string::npos) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool AigwProcess::wait_for_access_lines(std::size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (access_lines().size() >= n) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::uint16_t free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace aigw::testing
