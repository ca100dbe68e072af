#include "support/test_client.h"
#include "core/text.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace aigw::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;


}  // namespace

std::string TestResponse::header(const std::string& name) const {
  const auto it = headers.find(lower_copy(name));
  return it == headers.end() ? "" : it->second;
}

struct TestConnection::Impl {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;
};

TestConnection::TestConnection(std::uint16_t port, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  impl_->stream.expires_after(timeout);
  impl_->stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  impl_->stream.socket().set_option(tcp::no_delay(true));
}

TestConnection::~TestConnection() = default;

void TestConnection::send_raw(const std::string& bytes) {
  beast::error_code ec;
  net::write(impl_->stream.socket(), net::buffer(bytes), ec);
}

TestResponse TestConnection::request(const std::string& method, const std::string& target, const Headers& headers,
                                     const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  if (!body.empty() || method == "POST") req.prepare_payload();
  beast::error_code ec;
  impl_->stream.expires_after(impl_->timeout);
  http::write(impl_->stream, req, ec);
  if (ec) return TestResponse{0, {}, {}, {}, false, "write: " + ec.message()};
  return read_response(method == "HEAD");
}

TestResponse TestConnection::read_response(bool head_request) {
  TestResponse out;
  http::response_parser<http::buffer_body> parser;
  parser.skip(head_request);  // a HEAD answer has Content-Length but no body
  parser.body_limit(boost::none);
  beast::error_code ec;
  impl_->stream.expires_after(impl_->timeout);
  http::read_header(impl_->stream, impl_->buffer, parser, ec);
  if (ec) {
    out.error = "header: " + ec.message();
    return out;
  }
  out.status = parser.get().result_int();
  for (const auto& f : parser.get()) out.headers[lower_copy(f.name_string())] = std::string(f.value());
  char buf[65536];
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof buf;
    http::read_some(impl_->stream, impl_->buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t n = sizeof buf - parser.get().body().size;
    if (n > 0) {
      out.chunks.emplace_back(Clock::now(), std::string(buf, n));
      out.body.append(buf, n);
    }
    if (ec) {
      out.error = "body: " + ec.message();
      break;
    }
  }
  out.keep_alive = parser.get().keep_alive();
  return out;
}

bool TestConnection::closed_within(std::chrono::milliseconds timeout) {
  impl_->stream.expires_after(timeout);
  char c;
  beast::error_code ec;
  impl_->stream.read_some(net::buffer(&c, 1), ec);
  return ec == net::error::eof || ec == net::error::connection_reset;
}

TestResponse http(std::uint16_t port, const std::string& method, const std::string& target, const Headers& headers,
                  const std::string& body) {
  TestConnection c(port);
  return c.request(method, target, headers, body);
}

}  // namespace aigw::testing
