// The HTTP/1.1 listener: one io_context per core with SO_REUSEPORT, one coroutine per
// connection, keep-alive, limits on connections, header size, body size and time, and a
// graceful drain. It knows nothing of providers or JSON: requests go to a Handler once their
// head is in (framing checked by RequestFramer); the handler reads the body when it wants it.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/header_block.h"
#include "server/request_framer.h"
#include "server/server_settings.h"

namespace aigw::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct IncomingRequest;

// Where a request's body comes from: the connection it arrived on.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual net::awaitable<BodyStatus> read_body(IncomingRequest& request, std::uint64_t limit) = 0;
  // read_body's result when it needs no I/O (the body is buffered whole, or already refused);
  // nullopt when the socket must be read (or 100 Continue sent) first.
  virtual std::optional<BodyStatus> read_buffered_body(IncomingRequest& request,
                                                       std::uint64_t limit) = 0;
  // True when nothing of the request is left unread on the connection; a body still unread is
  // dropped here when it is already buffered whole. False: the connection must close after
  // the answer, or the rest of the body would be read as the next request.
  virtual bool body_settled() = 0;
};

// A request whose head is in. The handler is called at this point, so it can refuse the
// request (IP limit, authentication) before its body is read; it reads the body itself.
struct IncomingRequest {
  RequestHead head;
  std::string body;                                // once read_body() gave kOk
  RequestProblem problem = RequestProblem::kNone;  // set: answer it, read nothing
  std::string problem_detail;                      // for kMalformed: what was wrong
  std::string client_ip;
  std::chrono::steady_clock::time_point started;
  std::uint64_t bytes_in = 0;        // head, plus the body once read
  bool draining = false;             // the server is shutting down: answer, then close
  std::uint64_t max_body_bytes = 0;  // server.max_body_bytes

  // Reads the body into `body`, at most `limit` bytes (0 or more than max_body_bytes:
  // max_body_bytes). A Content-Length over the limit is refused without reading it;
  // "100 Continue" is sent only here. Parses what is already buffered before touching the
  // socket. The whole request must arrive within request_timeout (time the handler spends
  // before asking does not count). A second call returns the first result.
  net::awaitable<BodyStatus> read_body(std::uint64_t limit = 0);
  // The same when it needs no I/O (the body came with the head, the usual case): a caller
  // that tries this first skips a coroutine frame. nullopt: co_await read_body().
  std::optional<BodyStatus> read_buffered_body(std::uint64_t limit = 0);

  BodySource* body_source = nullptr;
  std::optional<BodyStatus> body_result;
};

// How a handler answers: a whole response, or a stream of chunks (chunked encoding).
class ResponseWriter {
 public:
  // `body`: asked before the answer goes out whether the connection can stay open.
  ResponseWriter(beast::tcp_stream& stream, bool keep_alive, bool head_request,
                 std::chrono::milliseconds write_timeout, BodySource* body = nullptr);

  // A whole answer: HTTP/1.1 `status`, `fields`, Content-Length and, when the connection
  // ends after it, Connection: close (so `fields` carries neither).
  net::awaitable<bool> send(int status, const HeaderBlock& fields, std::string body);
  // A stream's head (chunked) is held, not written: it goes out with the first chunk (one
  // write, not two), or on flush() when the caller is about to wait for its first bytes.
  void begin_stream(int status, const HeaderBlock& fields);
  net::awaitable<bool> flush();
  bool holding_head() const { return head_held_; }
  net::awaitable<bool> send_chunk(std::string_view data);
  // The last chunk (`last`, when not empty) and the end of the body, in one write.
  net::awaitable<bool> end_stream(std::string_view last = {});
  // Closes the connection without ending the chunked body: the client sees a broken stream.
  void abort();

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  bool failed() const { return failed_; }
  bool keep_alive() const { return keep_alive_ && !failed_; }
  int status() const { return status_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

 private:
  // A write in two parts: straight to the socket first (no timer, no trip through the
  // scheduler, no coroutine frame when the kernel takes it all, the usual case): true when
  // that was all of it (or the connection failed: failed_); false: write_rest sends what is
  // left, from `written` on, asynchronously within write_timeout.
  template <typename Buffers>
  bool write_at_once(const Buffers& buffers, std::size_t& written);
  template <typename Buffers>
  net::awaitable<bool> write_rest(const Buffers& buffers, std::size_t written);
  void settle_keep_alive();

  beast::tcp_stream& stream_;
  BodySource* body_;
  bool keep_alive_;
  bool head_request_;
  std::chrono::milliseconds write_timeout_;
  bool started_ = false;
  bool finished_ = false;
  bool failed_ = false;
  bool head_held_ = false;  // begin_stream's head, not yet written
  int status_ = 0;
  std::uint64_t bytes_out_ = 0;
  std::string head_;                      // the answer's head, serialized
  std::array<char, 20> chunk_size_line_;  // a chunk's size in hex and CRLF

  // The chunk-size line for `size` bytes, in chunk_size_line_.
  net::const_buffer chunk_size_line(std::size_t size);
};

using Handler = std::function<net::awaitable<void>(IncomingRequest&, ResponseWriter&)>;
// Builds one handler per worker thread, so per-thread state (connection pools) needs no locks.
using HandlerFactory = std::function<Handler(net::io_context&)>;

class HttpServer {
 public:
  HttpServer(const ServerConfig& config, HandlerFactory factory);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listeners (port 0 picks a free port); throws on failure. Raises the process's
  // open-file soft limit to its hard limit first (each connection is a descriptor).
  void bind();
  std::uint16_t port() const { return port_; }
  int thread_count() const { return static_cast<int>(workers_.size()); }
  // Serves until drained; returns true when every connection finished within drain_timeout.
  bool run();
  // Thread-safe (signal handlers post it): stop accepting, close idle connections, let
  // in-flight requests finish, then make run() return.
  void begin_drain();

 private:
  struct Worker;
  net::awaitable<void> accept_loop(Worker& worker);
  net::awaitable<void> session(Worker& worker, beast::tcp_stream stream, std::string client_ip);
  void drain_worker(Worker& worker);

  ServerConfig config_;
  HandlerFactory factory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<int> open_sessions_{0};  // connections open, all workers
};

}  // namespace aigw::server
