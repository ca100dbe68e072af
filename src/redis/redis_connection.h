// One connection to Redis, driven by Asio: the socket (TCP, or TLS for rediss://) and its
// timeouts are Asio's and Beast's; commands are formatted and replies parsed by hiredis's
// protocol functions (redisFormatCommandArgv, redisReader), so there is no RESP code of ours.
// Debian 12's hiredis (0.14) has no TLS of its own, which is why it does no I/O here.
//
// Each I/O thread holds its own connection; coroutines on that thread take turns on it. A
// call sends its commands in one write (a pipeline) and reads their replies in order.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "redis/redis_url.h"

namespace aigw::redis {

namespace net = boost::asio;

// A reply, copied out of hiredis's objects. An error reply ("-WRONGTYPE …") is a value like
// any other: the command ran and Redis refused it; a failed call (no connection, a timeout,
// a broken reply) is an ApiError instead.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string text;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

using Command = std::vector<std::string>;

class RedisConnection {
 public:
  // `tls`: the client context for rediss:// (may be null for redis://). `timeout` bounds each
  // call: connecting included.
  RedisConnection(net::any_io_executor executor, RedisUrl url,
                  std::shared_ptr<net::ssl::context> tls, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects first when not connected (then AUTH and SELECT as the URL says). Any failure
  // drops the connection, and the next call connects again.
  net::awaitable<Result<std::vector<Reply>>> run(std::span<const Command> commands);
  net::awaitable<Result<Reply>> command(Command args);

  bool connected() const;
  const RedisUrl& url() const { return url_; }

 private:
  struct Link;  // the socket, its TLS layer and the reader: gone when the connection fails

  net::awaitable<Result<std::vector<Reply>>> exchange(std::span<const Command> commands);
  net::awaitable<std::optional<ApiError>> connect();
  ApiError failure(std::string what);
  net::awaitable<void> take_turn();
  void end_turn();

  net::any_io_executor executor_;
  RedisUrl url_;
  std::shared_ptr<net::ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Link> link_;
  bool busy_ = false;
  std::deque<std::shared_ptr<net::steady_timer>> waiting_;  // callers waiting for their turn
};

}  // namespace aigw::redis
