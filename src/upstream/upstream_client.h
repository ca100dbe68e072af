// The client side toward providers: a keep-alive connection pool per host (one per worker
// thread, so no locks), TLS with certificate and host name verification and SNI, connect
// and read timeouts, and bodies read piece by piece so streams are never buffered whole.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/header_block.h"
#include "upstream/response_reader.h"
#include "upstream/upstream_settings.h"
#include "upstream/upstream_target.h"

namespace aigw::upstream {

namespace net = boost::asio;
namespace http = boost::beast::http;

struct UpstreamFailure {
  enum class Kind { kResolve, kConnect, kTls, kTimeout, kClosed, kProtocol, kTooLarge };
  Kind kind = Kind::kProtocol;
  std::string detail;  // human-readable cause shown to callers: never a key, host or port
  std::string where;   // the provider's host:port, for the access log only (never to callers)

  UpstreamFailure() = default;
  UpstreamFailure(Kind k, std::string cause, std::string address = {})
      : kind(k), detail(std::move(cause)), where(std::move(address)) {}
};

struct UpstreamRequest {
  UpstreamTarget target;
  http::verb method = http::verb::post;
  HeaderBlock headers;  // never Host or Content-Length: the request's head sets those
  std::string body;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{300'000};
  // A routing config's request_timeout: the most the connect, the write and the wait for the
  // answer's header may take together (the body then reads under read_timeout).
  std::optional<std::chrono::milliseconds> header_timeout;
};

class Connection;
class ConnectionPool;

using ResponseParser = ResponseReader;

// A provider's answer whose header has arrived; the body is read on demand.
class UpstreamResponse {
 public:
  UpstreamResponse(std::unique_ptr<Connection> connection, std::unique_ptr<ResponseParser> parser,
                   ConnectionPool& pool, std::chrono::milliseconds read_timeout);
  ~UpstreamResponse();

  int status() const;
  // The status, the fields (for_each_field) and what of the body is parsed already.
  const ResponseReader& head() const { return *parser_; }
  bool is_event_stream() const;

  enum class Read { kData, kEnd, kFailed };
  // Appends the next piece of the body to `out`. The piece that completes the body also gives
  // the connection back to the pool: the caller need not read again to learn of the end.
  net::awaitable<Read> read_some(std::string& out);
  // What read_some gives at once, without I/O: the body bytes parsed already (kData) or the
  // end (kEnd); nullopt when it would have to read the socket.
  std::optional<Read> read_buffered(std::string& out);
  // The next read_some returns without waiting: body bytes are parsed already, or it is over.
  bool ready() const;
  // The whole body has been handed out: the next read_some returns kEnd.
  bool at_end() const;
  // Reads the rest of the body into `out`, failing past `limit` bytes.
  net::awaitable<bool> read_all(std::string& out, std::uint64_t limit);
  const UpstreamFailure& failure() const { return failure_; }

 private:
  void release_if_done();

  std::unique_ptr<Connection> connection_;
  std::unique_ptr<ResponseParser> parser_;
  ConnectionPool& pool_;
  std::chrono::milliseconds read_timeout_;
  UpstreamFailure failure_;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(std::size_t max_idle_per_host);
  ~ConnectionPool();
  std::unique_ptr<Connection> acquire(const std::string& key);
  void release(std::unique_ptr<Connection> connection);
  std::size_t idle_count() const;

 private:
  std::size_t max_idle_per_host_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// Builds the process-wide TLS client context: system CAs plus an optional extra bundle.
std::shared_ptr<net::ssl::context> make_tls_context(const UpstreamConfig& config);

class UpstreamClient {
 public:
  UpstreamClient(net::io_context& io, std::shared_ptr<net::ssl::context> tls,
                 const UpstreamConfig& config);
  ~UpstreamClient();

  struct Outcome {
    std::unique_ptr<UpstreamResponse> response;  // set on success
    UpstreamFailure failure;                     // meaningful when response is null
  };
  // Sends the request and waits for the response header.
  net::awaitable<Outcome> send(UpstreamRequest request);

 private:
  net::awaitable<std::unique_ptr<Connection>> connect(const UpstreamRequest& request,
                                                      UpstreamFailure& failure);

  net::io_context& io_;
  std::shared_ptr<net::ssl::context> tls_;
  ConnectionPool pool_;
};

}  // namespace aigw::upstream
