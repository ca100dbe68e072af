// The test client: Beast's async reads driven on a private io_context, so that every blocking
// call can give up at a deadline (Beast's synchronous calls ignore timeouts).
#include "support/http_client.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <optional>

namespace aigw::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return "";
}

bool HttpResponse::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return iequals(h.first, name); });
}

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

std::string HttpResponse::error_message() const {
  const auto v = json();
  if (!v.is_object()) return "";
  const auto* error = v.as_object().if_contains("error");
  if (error == nullptr) return "";
  if (error->is_string()) return std::string(error->as_string());
  if (!error->is_object()) return "";
  const auto* message = error->as_object().if_contains("message");
  return message && message->is_string() ? std::string(message->as_string()) : "";
}

struct HttpConnection::Impl {
  net::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{};
  std::string connect_error;
  bool connected = false;
  // Set once a read saw the peer close: Asio does not report EOF twice on an edge-triggered
  // reactor (a second read would wait for an event that never comes).
  bool peer_closed = false;

  void note(beast::error_code ec) {
    if (ec == net::error::eof || ec == http::error::end_of_stream ||
        ec == http::error::partial_message || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe) {
      peer_closed = true;
    }
  }

  // Starts one async operation with `start(handler)` and runs it to completion or the
  // deadline; on the deadline the socket's operations are cancelled and timed_out returned.
  template <typename Start>
  beast::error_code run(Start&& start) {
    std::optional<beast::error_code> result;
    start([&](beast::error_code ec, std::size_t = 0) { result = ec; });
    io.restart();
    const auto deadline = Clock::now() + timeout;
    while (!result && Clock::now() < deadline) io.run_one_until(deadline);
    if (!result) {
      beast::error_code ignored;
      socket.cancel(ignored);
      io.restart();
      while (!result) io.run_one();
      return net::error::timed_out;
    }
    return *result;
  }
};

HttpConnection::HttpConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  const auto ec = impl_->run([&](auto handler) { impl_->socket.async_connect(endpoint, handler); });
  if (ec) {
    impl_->connect_error = ec.message();
    return;
  }
  impl_->connected = true;
  beast::error_code ignored;
  impl_->socket.set_option(tcp::no_delay(true), ignored);
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const { return impl_->connected; }
const std::string& HttpConnection::connect_error() const { return impl_->connect_error; }
void HttpConnection::set_timeout(std::chrono::milliseconds timeout) { impl_->timeout = timeout; }

void HttpConnection::close() {
  beast::error_code ec;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
  impl_->socket.close(ec);
  impl_->connected = false;
}

bool HttpConnection::send_raw(std::string_view bytes) {
  if (!impl_->connected) return false;
  const auto ec = impl_->run(
      [&](auto handler) { net::async_write(impl_->socket, net::buffer(bytes), handler); });
  return !ec;
}

HttpResponse HttpConnection::request(const std::string& method, const std::string& target,
                                     const Headers& headers, const std::string& body,
                                     const ChunkCallback& on_chunk) {
  HttpResponse out;
  if (!impl_->connected) {
    out.error = "not connected: " + impl_->connect_error;
    return out;
  }
  if (impl_->peer_closed) {
    out.error = "the server closed the connection";
    return out;
  }
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
    has_host |= iequals(name, "host");
  }
  if (!has_host) req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT") req.prepare_payload();
  const auto ec = impl_->run([&](auto handler) { http::async_write(impl_->socket, req, handler); });
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  return read_response(method == "HEAD", on_chunk);
}

HttpResponse HttpConnection::read_response(bool head, const ChunkCallback& on_chunk) {
  HttpResponse out;
  if (!impl_->connected) {
    out.error = "not connected: " + impl_->connect_error;
    return out;
  }
  if (impl_->peer_closed) {
    out.error = "the server closed the connection";
    return out;
  }
  http::response_parser<http::buffer_body> parser;
  parser.skip(head);  // a HEAD answer announces a length but carries no body
  parser.body_limit(boost::none);
  auto ec = impl_->run([&](auto handler) {
    http::async_read_header(impl_->socket, impl_->buffer, parser, handler);
  });
  if (ec) {
    impl_->note(ec);
    out.error = "header: " + ec.message();
    return out;
  }
  const auto& res = parser.get();
  out.status = res.result_int();
  for (const auto& f : res)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  std::string piece(64 * 1024, '\0');
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    ec = impl_->run([&](auto handler) {
      http::async_read_some(impl_->socket, impl_->buffer, parser, handler);
    });
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t n = piece.size() - parser.get().body().size;
    if (n > 0) {
      BodyChunk chunk{Clock::now(), piece.substr(0, n)};
      out.body += chunk.data;
      if (on_chunk) on_chunk(chunk);
      out.chunks.push_back(std::move(chunk));
    }
    if (ec) {
      impl_->note(ec);
      out.error = "body: " + ec.message();
      break;
    }
  }
  out.keep_alive = parser.get().keep_alive();
  return out;
}

bool HttpConnection::closed_within(std::chrono::milliseconds timeout) {
  if (!impl_->connected || impl_->peer_closed) return true;
  const auto saved = impl_->timeout;
  const auto deadline = Clock::now() + timeout;
  bool closed = false;
  // Bytes already buffered do not count; read until EOF, reset or the deadline.
  impl_->buffer.consume(impl_->buffer.size());
  while (Clock::now() < deadline) {
    impl_->timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()) +
        std::chrono::milliseconds(1);
    char sink[4096];
    const auto ec = impl_->run(
        [&](auto handler) { impl_->socket.async_read_some(net::buffer(sink), handler); });
    if (ec == net::error::timed_out) break;
    if (ec) {
      impl_->peer_closed = closed = true;
      break;
    }
  }
  impl_->timeout = saved;
  return closed;
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& target,
                          const Headers& headers, const std::string& body,
                          const ChunkCallback& on_chunk) {
  HttpConnection c(port);
  return c.request(method, target, headers, body, on_chunk);
}

bool connection_refused(std::uint16_t port) {
  HttpConnection c(port, std::chrono::seconds(5));
  return !c.connected();
}

}  // namespace aigw::testing
