#include "server/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <cerrno>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <thread>

namespace aigw::server {
namespace {

using tcp = net::ip::tcp;
using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// The state the drain needs to see of each connection.
struct SessionState {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

// Accept errors that mean "out of descriptors or memory": they repeat at once while the
// pending connection waits, so the accept loop backs off instead of spinning.
bool resource_exhausted(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory ||
         (ec.category() == boost::system::system_category() && ec.value() == ENFILE);
}

// Raises the open-file soft limit to the hard limit: every connection is a descriptor, and
// the default soft limit (often 1024) would cap connections far below max_connections.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The status line, the fields, the framing fields and the blank line, into `out`.
void serialize_head(int status, const HeaderBlock& fields, std::string_view framing,
                    bool keep_alive, std::string& out) {
  const auto code = static_cast<unsigned>(status);
  const std::string_view reason = http::obsolete_reason(static_cast<http::status>(code));
  const char status_line[] = {'H',
                              'T',
                              'T',
                              'P',
                              '/',
                              '1',
                              '.',
                              '1',
                              ' ',
                              static_cast<char>('0' + code / 100 % 10),
                              static_cast<char>('0' + code / 10 % 10),
                              static_cast<char>('0' + code % 10),
                              ' '};
  out.clear();
  out.reserve(sizeof status_line + reason.size() + fields.text().size() + framing.size() + 40);
  out.append(status_line, sizeof status_line);
  out.append(reason);
  out.append(kCrlf);
  out.append(fields.text());
  out.append(framing);
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append(kCrlf);
}

// One connection's reading side: the framer over its bytes, and the request's deadline.
class Connection final : public BodySource {
 public:
  Connection(beast::tcp_stream& stream, const ServerConfig& config)
      : stream_(stream),
        config_(config),
        framer_(config.max_header_bytes),
        timer_(stream.get_executor()) {}

  RequestFramer& framer() { return framer_; }

  // Waits for the first byte of the next request (keep-alive); false when the client left or
  // stayed silent for idle_timeout.
  net::awaitable<bool> wait_for_request() {
    if (framer_.buffer().size() > 0) co_return true;
    beast::error_code ec;
    stream_.expires_after(config_.idle_timeout);
    const std::size_t n = co_await stream_.async_read_some(
        framer_.buffer().prepare(8192), net::redirect_error(net::use_awaitable, ec));
    stream_.expires_never();
    if (ec) co_return false;
    framer_.buffer().commit(n);
    co_return true;
  }

  enum class Head { kReady, kProblem, kGone };

  // Reads until the head is in, parsing what is buffered before touching the socket: a
  // request that arrived whole (the usual case) costs no further I/O operation, and so no trip
  // through the scheduler. The head must arrive within request_timeout of its first byte.
  net::awaitable<Head> read_head() {
    framer_.start();
    started_ = std::chrono::steady_clock::now();
    continue_sent_ = false;
    timed_out_ = false;
    beast::error_code ec;
    for (;;) {
      const auto step = framer_.parse_head();
      if (step == RequestFramer::Step::kDone) break;
      if (step == RequestFramer::Step::kFailed) {
        framer_.salvage_head();
        co_return Head::kProblem;
      }
      ec = co_await read_some_by(started_ + config_.request_timeout);
      if (ec == beast::error::timeout) {
        timed_out_ = true;
        framer_.salvage_head();
        co_return Head::kProblem;
      }
      if (ec) co_return Head::kGone;
    }
    head_took_ = std::chrono::steady_clock::now() - started_;
    co_return Head::kReady;
  }

  RequestProblem problem() const {
    return timed_out_ ? RequestProblem::kTimeout : framer_.problem();
  }
  std::chrono::steady_clock::time_point started() const { return started_; }

  std::optional<BodyStatus> read_buffered_body(IncomingRequest& in, std::uint64_t limit) override {
    if (in.problem != RequestProblem::kNone) return BodyStatus::kMalformed;
    const auto step = framer_.parse_body(body_limit(limit));
    if (step == RequestFramer::Step::kNeedMore) return std::nullopt;
    return body_read(in, step);
  }

  net::awaitable<BodyStatus> read_body(IncomingRequest& in, std::uint64_t limit) override {
    if (const auto now = read_buffered_body(in, limit)) co_return *now;
    limit = body_limit(limit);
    auto step = RequestFramer::Step::kNeedMore;
    // The client's own time: what the head left of request_timeout, from now (the handler's
    // time before it asked does not count against the client).
    const auto left =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.request_timeout) -
        head_took_;
    const auto deadline = std::chrono::steady_clock::now() + left;
    beast::error_code ec;
    while (step == RequestFramer::Step::kNeedMore) {
      if (framer_.expects_continue() && !continue_sent_) {
        continue_sent_ = true;
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        stream_.expires_after(config_.idle_timeout);
        co_await http::async_write(stream_, go_on, net::redirect_error(net::use_awaitable, ec));
        stream_.expires_never();
        if (ec) co_return BodyStatus::kClosed;
      }
      ec = co_await read_some_by(deadline);
      if (ec == beast::error::timeout) co_return BodyStatus::kTimeout;
      if (ec) co_return BodyStatus::kClosed;
      step = framer_.parse_body(limit);
    }
    co_return body_read(in, step);
  }

  std::uint64_t body_limit(std::uint64_t limit) const {
    return limit == 0 || limit > config_.max_body_bytes ? config_.max_body_bytes : limit;
  }

  // The body once the framer is done with it (kDone or kFailed).
  BodyStatus body_read(IncomingRequest& in, RequestFramer::Step step) {
    in.bytes_in = framer_.head_bytes() + framer_.body_wire_bytes();
    if (step == RequestFramer::Step::kFailed) return framer_.body_status();
    in.body = std::move(framer_.body());
    return BodyStatus::kOk;
  }

  bool body_settled() override {
    if (framer_.body_done()) return true;
    if (!framer_.head_done() || framer_.body_status() != BodyStatus::kOk) return false;
    // A small body that arrived with the head is dropped here, and the connection kept.
    if (framer_.parse_body(config_.max_body_bytes) != RequestFramer::Step::kDone) return false;
    framer_.body().clear();
    return true;
  }

 private:
  // Reads what comes into the framer's buffer, until `deadline`. Not the stream's own timeout:
  // that closes the socket, and a slow client is owed its 408. The timer cancels the read
  // instead; its handler holds only shared flags, so it is harmless when it runs late.
  net::awaitable<beast::error_code> read_some_by(std::chrono::steady_clock::time_point deadline) {
    auto armed = std::make_shared<bool>(true);
    auto fired = std::make_shared<bool>(false);
    timer_.expires_at(deadline);
    timer_.async_wait([armed, fired, &socket = stream_.socket()](const beast::error_code& e) {
      if (e || !*armed) return;
      *fired = true;
      beast::error_code ignored;
      socket.cancel(ignored);
    });
    beast::error_code ec;
    const std::size_t n = co_await stream_.socket().async_read_some(
        framer_.buffer().prepare(16384), net::redirect_error(net::use_awaitable, ec));
    *armed = false;
    timer_.cancel();
    if (!ec) {
      framer_.buffer().commit(n);
      co_return ec;
    }
    if (*fired) co_return beast::error::timeout;
    co_return ec;
  }

  beast::tcp_stream& stream_;
  const ServerConfig& config_;
  RequestFramer framer_;
  net::steady_timer timer_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::duration head_took_{};
  bool continue_sent_ = false;
  bool timed_out_ = false;
};

}  // namespace

net::awaitable<BodyStatus> IncomingRequest::read_body(std::uint64_t limit) {
  if (body_result) co_return *body_result;
  BodyStatus status = BodyStatus::kOk;
  if (body_source != nullptr) status = co_await body_source->read_body(*this, limit);
  body_result = status;
  co_return status;
}

std::optional<BodyStatus> IncomingRequest::read_buffered_body(std::uint64_t limit) {
  if (!body_result) {
    if (body_source == nullptr) {
      body_result = BodyStatus::kOk;
    } else if (const auto now = body_source->read_buffered_body(*this, limit)) {
      body_result = now;
    }
  }
  return body_result;
}

struct HttpServer::Worker {
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  Handler handler;
  std::list<SessionState*> sessions;
  std::thread thread;
};

// ---- ResponseWriter ---------------------------------------------------------------------

ResponseWriter::ResponseWriter(beast::tcp_stream& stream, bool keep_alive, bool head_request,
                               std::chrono::milliseconds write_timeout, BodySource* body)
    : stream_(stream),
      body_(body),
      keep_alive_(keep_alive),
      head_request_(head_request),
      write_timeout_(write_timeout) {}

// An answer sent before the body was read: unless the body is already buffered whole (and
// dropped), the answer says "Connection: close" and the connection closes after it.
void ResponseWriter::settle_keep_alive() {
  if (keep_alive_ && body_ != nullptr && !body_->body_settled()) keep_alive_ = false;
}

template <typename Buffers>
bool ResponseWriter::write_at_once(const Buffers& buffers, std::size_t& written) {
  written = 0;
  if (failed_) return true;
  beast::error_code ec;
  auto& socket = stream_.socket();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (!ec) written = socket.write_some(buffers, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
  bytes_out_ += written;
  if (ec) failed_ = true;
  return failed_ || written == net::buffer_size(buffers);
}

template <typename Buffers>
net::awaitable<bool> ResponseWriter::write_rest(const Buffers& buffers, std::size_t written) {
  beast::error_code ec;
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(written);
  stream_.expires_after(write_timeout_);
  bytes_out_ +=
      co_await net::async_write(stream_, rest, net::redirect_error(net::use_awaitable, ec));
  stream_.expires_never();
  if (ec) failed_ = true;
  co_return !failed_;
}

net::awaitable<bool> ResponseWriter::send(int status, const HeaderBlock& fields, std::string body) {
  status_ = status;
  started_ = true;
  settle_keep_alive();
  char length[48] = "Content-Length: ";
  char* end = std::to_chars(length + 16, length + sizeof length - 2, body.size()).ptr;
  *end++ = '\r';
  *end++ = '\n';
  serialize_head(status, fields, std::string_view(length, static_cast<std::size_t>(end - length)),
                 keep_alive_, head_);
  const std::array<net::const_buffer, 2> buffers{
      net::buffer(head_), head_request_ ? net::const_buffer() : net::buffer(body)};
  std::size_t written = 0;
  if (!write_at_once(buffers, written)) co_await write_rest(buffers, written);
  finished_ = true;
  co_return !failed_;
}

void ResponseWriter::begin_stream(int status, const HeaderBlock& fields) {
  status_ = status;
  started_ = true;
  settle_keep_alive();
  serialize_head(status, fields, "Transfer-Encoding: chunked\r\n", keep_alive_, head_);
  head_held_ = true;
}

net::awaitable<bool> ResponseWriter::flush() {
  if (!head_held_) co_return !failed_;
  head_held_ = false;
  const net::const_buffer head = net::buffer(head_);
  std::size_t written = 0;
  if (!write_at_once(head, written)) co_await write_rest(head, written);
  co_return !failed_;
}

net::const_buffer ResponseWriter::chunk_size_line(std::size_t size) {
  char* const line = chunk_size_line_.data();
  char* end = std::to_chars(line, line + chunk_size_line_.size() - 2, size, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  return net::buffer(line, static_cast<std::size_t>(end - line));
}

net::awaitable<bool> ResponseWriter::send_chunk(std::string_view data) {
  if (data.empty()) co_return !failed_;
  // [the held head,] chunk-size (hex) CRLF, the data, CRLF: one write
  const std::array<net::const_buffer, 4> buffers{
      net::buffer(head_held_ ? std::string_view(head_) : std::string_view()),
      chunk_size_line(data.size()), net::buffer(data.data(), data.size()),
      net::buffer(kCrlf.data(), kCrlf.size())};
  head_held_ = false;
  std::size_t written = 0;
  if (!write_at_once(buffers, written)) co_await write_rest(buffers, written);
  co_return !failed_;
}

net::awaitable<bool> ResponseWriter::end_stream(std::string_view last) {
  // [the held head,] [the last chunk,] the zero-size chunk that ends the body: one write
  const bool has_last = !last.empty();
  const std::array<net::const_buffer, 5> buffers{
      net::buffer(head_held_ ? std::string_view(head_) : std::string_view()),
      has_last ? chunk_size_line(last.size()) : net::const_buffer(),
      net::buffer(last.data(), last.size()), net::buffer(has_last ? kCrlf : std::string_view()),
      net::buffer(kLastChunk.data(), kLastChunk.size())};
  head_held_ = false;
  std::size_t written = 0;
  if (!write_at_once(buffers, written)) co_await write_rest(buffers, written);
  finished_ = true;
  co_return !failed_;
}

void ResponseWriter::abort() {
  failed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

// ---- HttpServer -------------------------------------------------------------------------

HttpServer::HttpServer(const ServerConfig& config, HandlerFactory factory)
    : config_(config), factory_(std::move(factory)) {
  int threads =
      config_.threads > 0 ? config_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->handler = factory_(worker->io);
    workers_.push_back(std::move(worker));
  }
}

HttpServer::~HttpServer() {
  for (auto& w : workers_) {
    if (w->thread.joinable()) {
      w->io.stop();
      w->thread.join();
    }
  }
}

void HttpServer::bind() {
  raise_open_file_limit();
  const auto address = net::ip::make_address(config_.host);
  std::uint16_t port = config_.port;
  for (auto& w : workers_) {
    const tcp::endpoint endpoint(address, port);
    w->acceptor.open(endpoint.protocol());
    w->acceptor.set_option(net::socket_base::reuse_address(true));
    w->acceptor.set_option(reuse_port(true));
    w->acceptor.bind(endpoint);
    w->acceptor.listen(net::socket_base::max_listen_connections);
    // With port 0 the first listener picks the port; the others share it.
    port = w->acceptor.local_endpoint().port();
  }
  port_ = port;
}

bool HttpServer::run() {
  std::mutex mutex;
  std::condition_variable cv;
  for (auto& w : workers_) {
    net::co_spawn(w->io, accept_loop(*w), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    w->thread = std::thread([&io = w->io] {
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          // A bug in one request must not take the worker down.
          std::fprintf(stderr,
                       "{\"type\":\"error\",\"msg\":\"unhandled exception\",\"what\":\"%s\"}\n",
                       e.what());
        }
      }
    });
  }
  // Wait for the drain to start, then for the connections to finish (or the deadline).
  while (!draining_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  while (open_sessions_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool clean = open_sessions_.load() == 0;
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) w->thread.join();
  return clean;
}

void HttpServer::begin_drain() {
  if (draining_.exchange(true)) return;
  for (auto& w : workers_) net::post(w->io, [this, &worker = *w] { drain_worker(worker); });
}

void HttpServer::drain_worker(Worker& worker) {
  beast::error_code ignored;
  worker.acceptor.close(ignored);
  for (SessionState* s : worker.sessions) {
    if (!s->busy) s->stream->socket().close(ignored);
  }
}

net::awaitable<void> HttpServer::accept_loop(Worker& worker) {
  net::steady_timer pause(worker.io);
  std::chrono::milliseconds backoff{0};
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await worker.acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (!worker.acceptor.is_open()) co_return;
      if (resource_exhausted(ec)) {
        // EMFILE and the like: accepting again at once fails again at once. Wait (10 ms,
        // doubling up to 1 s) while the connections we have keep being served and free some.
        backoff =
            std::clamp(backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
        pause.expires_after(backoff);
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (static_cast<std::uint64_t>(open_sessions_.load()) >= config_.max_connections) {
      // Over server.max_connections: this one is closed at once; the others are served.
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string ip = socket.remote_endpoint(ec).address().to_string();
    net::co_spawn(worker.io, session(worker, beast::tcp_stream(std::move(socket)), std::move(ip)),
                  [](std::exception_ptr e) {
                    if (!e) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      std::fprintf(
                          stderr,
                          "{\"type\":\"error\",\"msg\":\"session failed\",\"what\":\"%s\"}\n",
                          ex.what());
                    }
                  });
  }
}

net::awaitable<void> HttpServer::session(Worker& worker, beast::tcp_stream stream,
                                         std::string client_ip) {
  SessionState state{&stream, false};
  worker.sessions.push_front(&state);
  const auto registration = worker.sessions.begin();
  ++open_sessions_;
  Connection connection(stream, config_);
  beast::error_code ec;
  bool lingering_close = false;

  for (;;) {
    state.busy = false;
    if (draining_.load()) break;
    if (!co_await connection.wait_for_request()) break;
    state.busy = true;
    const auto head = co_await connection.read_head();
    if (head == Connection::Head::kGone) break;  // reset or EOF mid-head: nobody to answer
    RequestFramer& framer = connection.framer();
    IncomingRequest request;
    request.client_ip = client_ip;
    request.started = connection.started();
    request.problem = connection.problem();
    request.problem_detail = framer.detail();
    request.head = framer.take_header();
    request.bytes_in = framer.head_done() ? framer.head_bytes() : framer.buffer().size();
    request.draining = draining_.load();
    request.max_body_bytes = config_.max_body_bytes;
    request.body_source = &connection;
    const bool keep_alive =
        request.problem == RequestProblem::kNone && request.head.keep_alive() && !request.draining;
    const bool head_request = request.head.method() == "HEAD";
    ResponseWriter writer(stream, keep_alive, head_request, config_.idle_timeout, &connection);
    co_await worker.handler(request, writer);
    // Refused requests, and bodies left unread, end the connection: what follows on it cannot
    // be told apart from a request. The client may still be sending: drain before closing.
    const bool body_left = request.problem == RequestProblem::kNone && !connection.body_settled();
    lingering_close = body_left || (request.problem != RequestProblem::kNone &&
                                    request.problem != RequestProblem::kTimeout);
    if (request.problem != RequestProblem::kNone || body_left || !writer.finished() ||
        !writer.keep_alive())
      break;
  }

  if (stream.socket().is_open()) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (lingering_close) {
      // The client may still be sending the body (or the rest of a refused head): read and
      // drop it for a moment so it gets our answer instead of a connection reset.
      ec = {};
      stream.expires_after(std::chrono::seconds(2));
      std::array<char, 16384> sink;
      std::uint64_t dropped = 0;
      while (!ec && dropped < 64ull * 1024 * 1024) {
        dropped += co_await stream.async_read_some(net::buffer(sink),
                                                   net::redirect_error(net::use_awaitable, ec));
      }
    }
    stream.close();
  }
  worker.sessions.erase(registration);
  --open_sessions_;
}

}  // namespace aigw::server
