// A small blocking HTTP/1.1 client for tests (Beast over plain TCP): whole responses, each body
// piece with its arrival time, kept-alive connections, raw bytes, and a deadline on every wait.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/fake_upstream.h"  // Clock, Headers

namespace aigw::testing {

// One piece of a response body as it came off the socket.
struct BodyChunk {
  Clock::time_point at;
  std::string data;
};

struct HttpResponse {
  int status = 0;    // 0: no response (refused, closed or timed out; see `error`)
  Headers headers;   // as received
  std::string body;  // de-chunked
  std::vector<BodyChunk> chunks;
  bool keep_alive = false;
  std::string error;  // why the response is missing or incomplete; "" when complete

  std::string header(std::string_view name) const;  // case-insensitive, "" when absent
  bool has_header(std::string_view name) const;
  // The body parsed as JSON (null when it is not JSON).
  boost::json::value json() const;
  // The error message in either dialect: error.message (OpenAI, Anthropic) or error (string).
  std::string error_message() const;
};

// Called with each body piece as it arrives (e.g. to signal the gateway mid-stream).
using ChunkCallback = std::function<void(const BodyChunk&)>;

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port; `timeout` bounds every later wait (connect, write, each read).
  explicit HttpConnection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const;
  const std::string& connect_error() const;  // e.g. "Connection refused"
  void set_timeout(std::chrono::milliseconds timeout);

  // Sends one request (Host and, for a body or POST, Content-Length added) and reads the answer.
  HttpResponse request(const std::string& method, const std::string& target,
                       const Headers& headers = {}, const std::string& body = "",
                       const ChunkCallback& on_chunk = {});
  // Writes bytes as they are; false when the write failed.
  bool send_raw(std::string_view bytes);
  // Reads one response (after send_raw); `head` when it answers a HEAD request.
  HttpResponse read_response(bool head = false, const ChunkCallback& on_chunk = {});
  // True when the server closes the connection (EOF or reset) within `timeout`; bytes that
  // arrive meanwhile are read and dropped.
  bool closed_within(std::chrono::milliseconds timeout);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const Headers& headers = {}, const std::string& body = "",
                          const ChunkCallback& on_chunk = {});

// True when a TCP connection to 127.0.0.1:port is refused.
bool connection_refused(std::uint16_t port);

}  // namespace aigw::testing
