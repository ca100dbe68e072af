#include "upstream/upstream_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "core/header_block.h"

namespace aigw::upstream {
namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;
using Kind = UpstreamFailure::Kind;

// Pooled connections idle longer than this are dropped: providers close idle keep-alive
// connections after about a minute, and a dead one costs a retry.
constexpr auto kMaxIdle = std::chrono::seconds(45);

std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

UpstreamFailure read_failure(const beast::error_code& ec, std::chrono::milliseconds read_timeout) {
  if (ec == beast::error::timeout) {
    return {Kind::kTimeout, "no data for " + duration_text(read_timeout)};
  }
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == http::error::partial_message || ec == net::error::connection_reset) {
    return {Kind::kClosed, ec.message()};
  }
  if (ec == http::error::body_limit) return {Kind::kTooLarge, "response too large"};
  return {Kind::kProtocol, ec.message()};
}

// Feeds what is buffered to the parser without I/O; returns false on a parse error.
bool parse_buffered(ResponseParser& parser, beast::flat_buffer& buffer, beast::error_code& ec) {
  while (buffer.size() > 0 && !parser.is_done()) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return true;
    }
    if (ec) return false;
    if (used == 0) return true;
  }
  return true;
}

// The request's head as it goes on the wire, built in one string: the request line, Host, the
// forwarded headers (router/ chose them: no hop-by-hop or length fields among them; a later
// one replaces an earlier of the same name, and a CR or LF cannot start a field of its own),
// Content-Length, the blank line. HTTP/1.1 keeps the connection alive without a field.
std::string request_head(const UpstreamRequest& request) {
  HeaderBlock fields;
  fields.set(FieldName("Host"), request.target.host_header);  // first, as RFC 9112 3.2 asks
  fields.set_all(request.headers);
  if (request.method != http::verb::get || !request.body.empty())
    fields.set(FieldName("Content-Length"), static_cast<std::int64_t>(request.body.size()));
  const auto method = http::to_string(request.method);
  const std::string_view target = request.target.target;
  std::string head;
  head.reserve(method.size() + target.size() + fields.text().size() + 16);
  head.append(method.data(), method.size());
  head += ' ';
  head += target;
  head += " HTTP/1.1\r\n";
  head += fields.text();
  head += "\r\n";
  return head;
}

// Moves what the parser read from `body` to the end of `out`: into an empty `out` the buffer
// itself is handed over, not copied (the parser gets out's back, emptied).
void hand_over(std::string& body, std::string& out) {
  if (out.empty()) {
    out.swap(body);
  } else {
    out += body;
  }
  body.clear();
}

}  // namespace

// One kept-alive connection to a provider, plain or TLS.
class Connection {
 public:
  std::string key;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  template <typename F>
  auto with_stream(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }
};

// ---- ConnectionPool ---------------------------------------------------------------------

ConnectionPool::ConnectionPool(std::size_t max_idle_per_host)
    : max_idle_per_host_(max_idle_per_host) {}
ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<Connection> ConnectionPool::acquire(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    std::unique_ptr<Connection> c = std::move(list.back());
    list.pop_back();
    if (now - c->idle_since < kMaxIdle && c->lowest().socket().is_open()) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  auto& list = idle_[connection->key];
  if (list.size() >= max_idle_per_host_) return;
  connection->idle_since = std::chrono::steady_clock::now();
  connection->buffer.clear();
  list.push_back(std::move(connection));
}

std::size_t ConnectionPool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [_, list] : idle_) n += list.size();
  return n;
}

// ---- UpstreamResponse -------------------------------------------------------------------

UpstreamResponse::UpstreamResponse(std::unique_ptr<Connection> connection,
                                   std::unique_ptr<ResponseParser> parser, ConnectionPool& pool,
                                   std::chrono::milliseconds read_timeout)
    : connection_(std::move(connection)),
      parser_(std::move(parser)),
      pool_(pool),
      read_timeout_(read_timeout) {}

UpstreamResponse::~UpstreamResponse() = default;  // an unfinished body: the connection is dropped

int UpstreamResponse::status() const { return parser_->status(); }

bool UpstreamResponse::is_event_stream() const {
  const auto ct = parser_->field("content-type");
  return ct && ct->substr(0, 17) == "text/event-stream";
}

bool UpstreamResponse::ready() const {
  return !parser_->body().empty() || parser_->is_done() || !connection_;
}

bool UpstreamResponse::at_end() const { return parser_->is_done() && parser_->body().empty(); }

void UpstreamResponse::release_if_done() {
  if (!connection_ || !parser_->is_done() || !parser_->body().empty()) return;
  if (parser_->keep_alive()) pool_.release(std::move(connection_));
  connection_.reset();
}

std::optional<UpstreamResponse::Read> UpstreamResponse::read_buffered(std::string& out) {
  if (!connection_) return Read::kEnd;
  auto& body = parser_->body();
  if (!body.empty()) {  // bytes that arrived with the header (often the whole answer)
    hand_over(body, out);
    release_if_done();
    return Read::kData;
  }
  if (parser_->is_done()) {
    if (parser_->keep_alive()) pool_.release(std::move(connection_));
    connection_.reset();
    return Read::kEnd;
  }
  return std::nullopt;
}

net::awaitable<UpstreamResponse::Read> UpstreamResponse::read_some(std::string& out) {
  if (const auto now = read_buffered(out)) co_return *now;
  auto& body = parser_->body();
  beast::error_code ec;
  // What already arrived is parsed in place; the socket is read only when that is not enough.
  if (parse_buffered(*parser_, connection_->buffer, ec) && body.empty() && !parser_->is_done()) {
    // Plain connections: what already arrived is taken straight from the socket, without
    // arming the read timer or waiting on epoll (a stream's next event is often there already).
    std::size_t n = 0;
    if (connection_->plain) {
      auto& socket = connection_->plain->socket();
      if (!socket.non_blocking()) socket.non_blocking(true, ec);
      if (!ec) n = socket.read_some(connection_->buffer.prepare(65536), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
    }
    if (n == 0 && !ec) {
      connection_->lowest().expires_after(read_timeout_);
      n = co_await connection_->with_stream([&](auto& s) {
        return s.async_read_some(connection_->buffer.prepare(65536),
                                 net::redirect_error(net::use_awaitable, ec));
      });
      connection_->lowest().expires_never();
    }
    connection_->buffer.commit(n);
    if (ec == net::error::eof) {
      ec = {};
      parser_->put_eof(ec);  // a body delimited by the connection's end is complete now
    }
    if (!ec) parse_buffered(*parser_, connection_->buffer, ec);
  }
  if (ec) {
    failure_ = read_failure(ec, read_timeout_);
    connection_.reset();
    co_return Read::kFailed;
  }
  if (body.empty() && parser_->is_done()) co_return co_await read_some(out);
  hand_over(body, out);
  release_if_done();
  co_return Read::kData;
}

net::awaitable<bool> UpstreamResponse::read_all(std::string& out, std::uint64_t limit) {
  for (;;) {
    const Read r = co_await read_some(out);
    if (r == Read::kEnd) co_return true;
    if (r == Read::kFailed) co_return false;
    if (out.size() > limit) {
      failure_ = {Kind::kTooLarge, "response larger than " + std::to_string(limit) + " bytes"};
      connection_.reset();
      co_return false;
    }
  }
}

// ---- UpstreamClient ---------------------------------------------------------------------

std::shared_ptr<net::ssl::context> make_tls_context(const UpstreamConfig& config) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1);
  ctx->set_default_verify_paths();
  if (!config.ca_file.empty()) ctx->load_verify_file(config.ca_file);
  ctx->set_verify_mode(net::ssl::verify_peer);
  return ctx;
}

UpstreamClient::UpstreamClient(net::io_context& io, std::shared_ptr<net::ssl::context> tls,
                               const UpstreamConfig& config)
    : io_(io), tls_(std::move(tls)), pool_(config.max_idle_per_host) {}

UpstreamClient::~UpstreamClient() = default;

net::awaitable<std::unique_ptr<Connection>> UpstreamClient::connect(const UpstreamRequest& request,
                                                                    UpstreamFailure& failure) {
  const auto& t = request.target;
  beast::error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints =
      co_await resolver.async_resolve(t.host, t.port, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    failure = {Kind::kResolve, "its host name does not resolve (" + ec.message() + ")",
               t.host + ":" + t.port};
    co_return nullptr;
  }
  auto conn = std::make_unique<Connection>();
  conn->key = t.pool_key();
  auto tcp_stream = std::make_unique<beast::tcp_stream>(io_);
  tcp_stream->expires_after(request.connect_timeout);
  co_await tcp_stream->async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    failure = {Kind::kConnect,
               ec == beast::error::timeout
                   ? "connecting timed out after " + duration_text(request.connect_timeout)
                   : ec.message(),
               t.host + ":" + t.port};
    co_return nullptr;
  }
  tcp_stream->socket().set_option(tcp::no_delay(true), ec);
  if (!t.tls) {
    tcp_stream->expires_never();
    conn->plain = std::move(tcp_stream);
    co_return conn;
  }
  conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*tcp_stream), *tls_);
  if (!is_ip_literal(t.host)) SSL_set_tlsext_host_name(conn->tls->native_handle(), t.host.c_str());
  conn->tls->set_verify_mode(net::ssl::verify_peer);
  conn->tls->set_verify_callback(net::ssl::host_name_verification(t.host));
  co_await conn->tls->async_handshake(net::ssl::stream_base::client,
                                      net::redirect_error(net::use_awaitable, ec));
  conn->lowest().expires_never();
  if (ec) {
    failure = {Kind::kTls, "the TLS handshake failed (" + ec.message() + ")",
               t.host + ":" + t.port};
    co_return nullptr;
  }
  co_return conn;
}

net::awaitable<UpstreamClient::Outcome> UpstreamClient::send(UpstreamRequest request) {
  // Serialized once (a retry sends the same bytes); written in one go with the body.
  const std::string head = request_head(request);
  const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(request.body)};
  // A routing request_timeout bounds connect, write and header wait together.
  const auto started = std::chrono::steady_clock::now();
  if (request.header_timeout)
    request.connect_timeout = std::min(request.connect_timeout, *request.header_timeout);
  auto header_wait = [&] {
    if (!request.header_timeout) return request.read_timeout;
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return std::max(std::chrono::milliseconds(1),
                    std::min(request.read_timeout, *request.header_timeout - spent));
  };

  // A pooled connection the provider closed in the meantime fails on first use; then one
  // fresh connection is tried, since the provider cannot have acted on the request.
  for (int attempt = 0;; ++attempt) {
    Outcome outcome;
    std::unique_ptr<Connection> conn =
        attempt == 0 ? pool_.acquire(request.target.pool_key()) : nullptr;
    if (!conn) {
      conn = co_await connect(request, outcome.failure);
      if (!conn) co_return outcome;
    }
    const bool retryable = conn->reused && attempt == 0;
    beast::error_code ec;
    const auto wait = header_wait();
    conn->lowest().expires_after(wait);
    // Plain connections: straight to the socket first, which takes the whole request unless
    // the kernel's buffer is full; the rest (and TLS) asynchronously, within the timeout.
    std::size_t written = 0;
    if (conn->plain) {
      auto& socket = conn->plain->socket();
      if (!socket.non_blocking()) socket.non_blocking(true, ec);
      if (!ec) written = socket.write_some(wire, ec);
      if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
    }
    if (!ec && written < net::buffer_size(wire)) {
      beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(wire);
      rest.consume(written);
      co_await conn->with_stream([&](auto& s) {
        return net::async_write(s, rest, net::redirect_error(net::use_awaitable, ec));
      });
    }
    if (ec) {
      if (retryable) continue;
      outcome.failure = {Kind::kClosed, "writing the request failed: " + ec.message()};
      co_return outcome;
    }
    auto parser = std::make_unique<ResponseParser>();
    parser->body_limit(boost::none);  // limits are the caller's (read_all) so streams can be long
    if (request.method == http::verb::head) parser->skip(true);
    bool nothing_read = true;
    while (!ec && !parser->is_header_done()) {
      const std::size_t n = co_await conn->with_stream([&](auto& s) {
        return s.async_read_some(conn->buffer.prepare(65536),
                                 net::redirect_error(net::use_awaitable, ec));
      });
      conn->buffer.commit(n);
      nothing_read = nothing_read && n == 0;
      if (ec == net::error::eof) ec = http::error::end_of_stream;
      if (!ec) parse_buffered(*parser, conn->buffer, ec);
    }
    conn->lowest().expires_never();
    if (ec) {
      if (retryable && nothing_read && ec != beast::error::timeout) continue;
      outcome.failure = read_failure(ec, wait);
      co_return outcome;
    }
    outcome.response = std::make_unique<UpstreamResponse>(std::move(conn), std::move(parser), pool_,
                                                          request.read_timeout);
    co_return outcome;
  }
}

}  // namespace aigw::upstream
