#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

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

std::uint64_t header_bytes(const http::request<http::string_body>& m) {
  std::uint64_t n = m.method_string().size() + m.target().size() + 12;
  for (const auto& f : m) n += f.name_string().size() + f.value().size() + 4;
  return n + 2;
}

constexpr std::string_view kMalformedBody = R"({"error":"malformed HTTP request"})";

// Reads one request, parsing what is already buffered before touching the socket: a request
// that arrived whole (the usual case) costs no further I/O operation, and so no trip through
// the scheduler. Answers "Expect: 100-continue" once the header is in.
net::awaitable<beast::error_code> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                               http::request_parser<http::string_body>& parser,
                                               std::uint64_t header_limit) {
  beast::error_code ec;
  bool continue_sent = false;
  std::uint64_t header_bytes_used = 0;  // consumed by the parser before the header was done
  for (;;) {
    while (buffer.size() > 0 && !parser.is_done()) {
      const bool in_header = !parser.is_header_done();
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      // Beast checks its header limit per put(), over what that call sees: a header arriving
      // in pieces (consumed field by field) is limited as a whole here.
      if (in_header) header_bytes_used += used;
      const std::uint64_t pending = parser.is_header_done() ? 0 : buffer.size();
      if (in_header && header_bytes_used + pending > header_limit) co_return http::error::header_limit;
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) co_return ec;
      if (used == 0) break;
    }
    if (parser.is_done()) co_return ec;
    if (parser.is_header_done() && !continue_sent && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      continue_sent = true;
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return ec;
    }
    const std::size_t n = co_await stream.async_read_some(buffer.prepare(16384), net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return ec == net::error::eof ? http::error::partial_message : ec;
    buffer.commit(n);
  }
}

}  // namespace

struct HttpServer::Worker {
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  Handler handler;
  std::list<SessionState*> sessions;
  std::thread thread;
};

// ---- ResponseWriter ---------------------------------------------------------------------

ResponseWriter::ResponseWriter(beast::tcp_stream& stream, bool keep_alive, bool head_request,
                               std::chrono::milliseconds write_timeout)
    : stream_(stream), keep_alive_(keep_alive), head_request_(head_request), write_timeout_(write_timeout) {}

template <typename Op>
net::awaitable<bool> ResponseWriter::timed_write(Op op) {
  if (failed_) co_return false;
  beast::error_code ec;
  stream_.expires_after(write_timeout_);
  const std::size_t n = co_await op(net::redirect_error(net::use_awaitable, ec));
  stream_.expires_never();
  bytes_out_ += n;
  if (ec) failed_ = true;
  co_return !ec;
}

net::awaitable<bool> ResponseWriter::send(http::response<http::string_body> response) {
  status_ = response.result_int();
  started_ = true;
  response.keep_alive(keep_alive_);
  response.prepare_payload();
  bool ok = false;
  if (head_request_) {
    http::response_serializer<http::string_body> sr{response};
    ok = co_await timed_write([&](auto token) { return http::async_write_header(stream_, sr, token); });
  } else {
    ok = co_await timed_write([&](auto token) { return http::async_write(stream_, response, token); });
  }
  finished_ = true;
  co_return ok;
}

net::awaitable<bool> ResponseWriter::begin_stream(http::response<http::empty_body> header) {
  status_ = header.result_int();
  started_ = true;
  header.keep_alive(keep_alive_);
  header.chunked(true);
  http::response_serializer<http::empty_body> sr{header};
  co_return co_await timed_write([&](auto token) { return http::async_write_header(stream_, sr, token); });
}

net::awaitable<bool> ResponseWriter::send_chunk(std::string_view data) {
  if (data.empty()) co_return !failed_;
  co_return co_await timed_write([&](auto token) {
    return net::async_write(stream_, http::make_chunk(net::const_buffer(data.data(), data.size())), token);
  });
}

net::awaitable<bool> ResponseWriter::end_stream() {
  const bool ok = co_await timed_write(
      [&](auto token) { return net::async_write(stream_, http::make_chunk_last(), token); });
  finished_ = true;
  co_return ok;
}

void ResponseWriter::abort() {
  failed_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

// ---- HttpServer -------------------------------------------------------------------------

HttpServer::HttpServer(const config::ServerConfig& config, HandlerFactory factory)
    : config_(config), factory_(std::move(factory)) {
  int threads = config_.threads > 0 ? config_.threads : static_cast<int>(std::thread::hardware_concurrency());
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
          std::fprintf(stderr, "{\"type\":\"error\",\"msg\":\"unhandled exception\",\"what\":\"%s\"}\n", e.what());
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
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await worker.acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (!worker.acceptor.is_open()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string ip = socket.remote_endpoint(ec).address().to_string();
    net::co_spawn(worker.io, session(worker, beast::tcp_stream(std::move(socket)), std::move(ip)),
                  [](std::exception_ptr e) {
                    if (!e) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      std::fprintf(stderr, "{\"type\":\"error\",\"msg\":\"session failed\",\"what\":\"%s\"}\n", ex.what());
                    }
                  });
  }
}

net::awaitable<void> HttpServer::session(Worker& worker, beast::tcp_stream stream, std::string client_ip) {
  SessionState state{&stream, false};
  worker.sessions.push_front(&state);
  const auto registration = worker.sessions.begin();
  ++open_sessions_;
  beast::flat_buffer buffer;
  beast::error_code ec;
  bool lingering_close = false;

  for (;;) {
    state.busy = false;
    if (draining_.load()) break;
    if (buffer.size() == 0) {
      // Idle keep-alive connection: wait for the first byte of the next request.
      stream.expires_after(config_.idle_timeout);
      const std::size_t n = co_await stream.async_read_some(buffer.prepare(8192),
                                                            net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    state.busy = true;
    IncomingRequest request;
    request.client_ip = client_ip;
    request.started = std::chrono::steady_clock::now();
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
    parser.body_limit(config_.max_body_bytes);
    // The whole request must arrive within request_timeout: slow clients are cut off.
    stream.expires_after(config_.request_timeout);
    ec = co_await read_request(stream, buffer, parser, config_.max_header_bytes);
    if (ec == http::error::header_limit) {
      request.problem = RequestProblem::kHeadersTooLarge;
    } else if (ec == http::error::body_limit) {
      request.problem = RequestProblem::kBodyTooLarge;
    } else if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      http::response<http::string_body> bad{http::status::bad_request, 11};
      bad.set(http::field::content_type, "application/json");
      bad.body() = kMalformedBody;
      ResponseWriter writer(stream, false, false, config_.idle_timeout);
      co_await writer.send(std::move(bad));
      break;
    } else if (ec) {
      break;  // timeout, reset or EOF mid-request
    }
    stream.expires_never();
    request.message = parser.release();
    request.bytes_in = header_bytes(request.message) + request.message.body().size();
    request.draining = draining_.load();
    const bool keep_alive = request.problem == RequestProblem::kNone && request.message.keep_alive() &&
                            !request.draining;
    const bool head = request.message.method() == http::verb::head;
    ResponseWriter writer(stream, keep_alive, head, config_.idle_timeout);
    co_await worker.handler(request, writer);
    lingering_close = request.problem == RequestProblem::kBodyTooLarge;
    if (!writer.finished() || !writer.keep_alive()) break;
  }

  if (stream.socket().is_open()) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (lingering_close) {
      // The client may still be sending the oversized body: read and drop it for a moment so
      // it gets our 413 instead of a connection reset.
      ec = {};
      stream.expires_after(std::chrono::seconds(2));
      std::array<char, 16384> sink;
      std::uint64_t dropped = 0;
      while (!ec && dropped < 64ull * 1024 * 1024) {
        dropped += co_await stream.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
      }
    }
    stream.close();
  }
  worker.sessions.erase(registration);
  --open_sessions_;
}

}  // namespace aigw::server
