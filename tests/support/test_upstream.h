// A fake provider for integration tests: a real HTTP/1.1 server (plain or TLS) on 127.0.0.1,
// a thread per connection, keep-alive, answering with a per-test handler that can reply
// whole, stream chunks with pauses, hang, or drop the connection. It records every request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace aigw::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
};

// How a handler answers one request.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual void respond(int status, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers = {{"content-type", "application/json"}}) = 0;
  virtual void start_stream(int status = 200) = 0;  // chunked, text/event-stream
  virtual void chunk(const std::string& data) = 0;
  virtual void end_stream() = 0;
  virtual void drop() = 0;                                  // close the connection now
  virtual void hang() = 0;                                  // never answer (until the server stops)
  void pause(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
};

using UpstreamHandler = std::function<void(const RecordedRequest&, Exchange&)>;

// PEM files of a throwaway CA and a server certificate for "localhost" and 127.0.0.1.
struct TestCertificates {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
};
TestCertificates make_test_certificates(const std::string& dir);

class FakeUpstream {
 public:
  explicit FakeUpstream(UpstreamHandler handler, const TestCertificates* tls = nullptr);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  // http://127.0.0.1:PORT/v1, or https://localhost:PORT/v1 with TLS.
  std::string base_url() const;
  std::vector<RecordedRequest> requests() const;
  std::size_t connections_accepted() const { return accepted_.load(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
};

// A port nothing listens on (bound, then closed).
std::uint16_t closed_port();

}  // namespace aigw::testing
