// A small blocking HTTP/1.1 client for tests: whole responses, streamed responses with the
// arrival time of every chunk, kept-alive connections and raw bytes for malformed input.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aigw::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Clock = std::chrono::steady_clock;

struct TestResponse {
  int status = 0;                             // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<std::pair<Clock::time_point, std::string>> chunks;  // as they arrived
  bool keep_alive = false;
  std::string error;  // why there was no (complete) response
  std::string header(const std::string& name) const;
};

class TestConnection {
 public:
  explicit TestConnection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~TestConnection();
  TestResponse request(const std::string& method, const std::string& target, const Headers& headers = {},
                       const std::string& body = "");
  void send_raw(const std::string& bytes);
  // Reads one response (after send_raw).
  TestResponse read_response(bool head_request = false);
  // True when the server closed the connection (reads EOF) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
TestResponse http(std::uint16_t port, const std::string& method, const std::string& target,
                  const Headers& headers = {}, const std::string& body = "");

}  // namespace aigw::testing
