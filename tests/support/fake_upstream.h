// A fake provider for integration tests: a real HTTP/1.1 server (plain or TLS) on 127.0.0.1:0
// with its own io_context thread, answering each request as the test's handler scripts it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aigw::testing {

using Clock = std::chrono::steady_clock;
// Header fields in the order they were sent; names keep the sender's case.
using Headers = std::vector<std::pair<std::string, std::string>>;

// One request as the fake provider parsed it.
struct UpstreamRequest {
  std::string method;
  std::string target;  // path and query, e.g. "/v1/messages?beta=true"
  Headers headers;
  std::string body;
  std::string sni;             // the TLS server name the client sent ("" on plain TCP or when none)
  std::size_t connection = 0;  // which accepted connection (1, 2, …) carried it
  Clock::time_point received_at;

  // The value of a header (case-insensitive name), "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::string path() const;   // target without the query
  std::string query() const;  // after '?', "" when none
};

// Holds answers (or the rest of a stream) until the test opens it, from any thread: the test
// orders "the gateway has these requests in flight" before "the provider answers" without a
// sleep. A closed gate is polled every 2 ms by the fake provider's thread.
class Gate {
 public:
  void open() { open_.store(true); }
  bool is_open() const { return open_.load(); }

 private:
  std::atomic<bool> open_{false};
};

// One piece of a streamed answer, written after waiting `delay` (and for `gate`, when set).
struct StreamChunk {
  std::chrono::milliseconds delay{0};
  std::string data;
  std::shared_ptr<Gate> gate;
};

// How the fake provider answers one request.
struct Reply {
  enum class Kind {
    kWhole,              // status, headers, body with Content-Length
    kStream,             // status and headers, then chunks (chunked transfer encoding)
    kHang,               // read the request, never answer (until the peer or the test closes)
    kCloseBeforeAnswer,  // close the connection without a byte of answer
  };
  Kind kind = Kind::kWhole;
  int status = 200;
  Headers headers;
  std::string body;
  std::vector<StreamChunk> chunks;
  std::chrono::milliseconds delay{0};  // before the status line
  bool close_mid_stream = false;       // stream: close after the chunks, without the last chunk
  bool close_after = false;            // answer with Connection: close and close
  bool drop_after = false;             // answer as if keeping the connection alive, then close it
  std::shared_ptr<Gate> gate;          // when set: no byte of answer before it opens

  // A whole JSON answer (content-type application/json unless `headers` names one).
  static Reply json(int status, std::string body, Headers headers = {});
  // Text/event-stream: each event written as its own chunk, `gap` apart (the first at once).
  static Reply sse(std::vector<std::string> events, std::chrono::milliseconds gap = {},
                   int status = 200);
  static Reply hang();
  static Reply close_before_answer();
  // Streams `events` `gap` apart, then closes the connection mid-stream.
  static Reply broken_sse(std::vector<std::string> events, std::chrono::milliseconds gap = {});
};

// Answers one request. Runs on the fake provider's own thread.
using UpstreamHandler = std::function<Reply(const UpstreamRequest&)>;

// A throwaway certificate authority and a server certificate it signed (for "localhost" and
// 127.0.0.1), written as PEM files into a directory at test time.
struct TestCertificates {
  std::string ca_cert;      // the CA's certificate: point upstream.ca_file at it
  std::string server_cert;  // the server's certificate
  std::string server_key;   // the server's private key
};
// Generates a CA and a server certificate for `host_name` into `dir` (OpenSSL, EC P-256).
TestCertificates make_test_certificates(const std::string& dir,
                                        const std::string& host_name = "localhost");

// What the fake provider did with one request (for timing assertions).
struct UpstreamExchange {
  UpstreamRequest request;
  Clock::time_point last_write_at;  // when it began writing the last piece of its answer
  bool finished = false;            // the answer is written (or the connection dropped as told)
};

class FakeUpstream {
 public:
  // Plain HTTP; with `tls`, HTTPS using its server certificate.
  explicit FakeUpstream(UpstreamHandler handler, const TestCertificates* tls = nullptr);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/v1", or "https://localhost:PORT/v1" in TLS mode.
  std::string base_url() const;
  // Every request received so far, in arrival order.
  std::vector<UpstreamRequest> requests() const;
  std::vector<UpstreamExchange> exchanges() const;
  std::size_t connections_accepted() const;
  // Waits until `n` requests have arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  // Waits until the answers to the first `n` requests are written; false on timeout.
  bool wait_for_finished(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
std::uint16_t closed_port();

}  // namespace aigw::testing
