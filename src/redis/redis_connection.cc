#include "redis/redis_connection.h"

#include <hiredis/hiredis.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace aigw::redis {
namespace {

namespace beast = boost::beast;
using tcp = net::ip::tcp;

Reply to_reply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? Reply::Type::kString
                 : r.type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                : Reply::Type::kError;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(to_reply(*r.element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

// The commands in RESP, one after another: what one write sends.
std::optional<std::string> format_pipeline(std::span<const Command> commands) {
  std::string wire;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    char* formatted = nullptr;
    const int n = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(),
                                         lengths.data());
    if (n < 0) return std::nullopt;
    wire.append(formatted, static_cast<std::size_t>(n));
    redisFreeCommand(formatted);
  }
  return wire;
}

}  // namespace

struct RedisConnection::Link {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  redisReader* reader = redisReaderCreate();
  std::array<char, 16384> input;

  ~Link() { redisReaderFree(reader); }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  template <typename Operation>
  auto with_stream(Operation&& operation) {
    return secure ? operation(*secure) : operation(*plain);
  }
};

RedisConnection::RedisConnection(net::any_io_executor executor, RedisUrl url,
                                 std::shared_ptr<net::ssl::context> tls,
                                 std::chrono::milliseconds timeout)
    : executor_(std::move(executor)),
      url_(std::move(url)),
      tls_(std::move(tls)),
      timeout_(timeout) {}

RedisConnection::~RedisConnection() = default;

bool RedisConnection::connected() const { return link_ != nullptr; }

ApiError RedisConnection::failure(std::string what) {
  link_.reset();  // whatever the connection was in the middle of, it is not to be trusted
  return {503, "state_unavailable", "redis " + url_.redacted() + ": " + std::move(what), {}, {},
          {}};
}

net::awaitable<void> RedisConnection::take_turn() {
  while (busy_) {
    auto wake =
        std::make_shared<net::steady_timer>(executor_, net::steady_timer::time_point::max());
    waiting_.push_back(wake);
    boost::system::error_code ignored;
    co_await wake->async_wait(net::redirect_error(net::use_awaitable, ignored));
  }
  busy_ = true;
}

void RedisConnection::end_turn() {
  busy_ = false;
  if (waiting_.empty()) return;
  auto next = std::move(waiting_.front());
  waiting_.pop_front();
  next->cancel();
}

net::awaitable<Result<Reply>> RedisConnection::command(Command args) {
  const Command commands[] = {std::move(args)};
  auto replies = co_await run(commands);
  if (!replies) co_return replies.take_error();
  co_return std::move(replies->front());
}

net::awaitable<Result<std::vector<Reply>>> RedisConnection::run(std::span<const Command> commands) {
  co_await take_turn();
  struct Turn {
    RedisConnection* connection;
    ~Turn() { connection->end_turn(); }
  } turn{this};
  if (!link_) {
    auto refused = co_await connect();
    if (refused) co_return std::move(*refused);
  }
  co_return co_await exchange(commands);
}

net::awaitable<std::optional<ApiError>> RedisConnection::connect() {
  beast::error_code ec;
  tcp::resolver resolver(executor_);
  const auto endpoints = co_await resolver.async_resolve(
      url_.host, url_.port, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return failure("the host does not resolve (" + ec.message() + ")");
  auto link = std::make_unique<Link>();
  link->plain = std::make_unique<beast::tcp_stream>(executor_);
  link->plain->expires_after(timeout_);
  co_await link->plain->async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(ec == beast::error::timeout
                          ? "no connection within " + std::to_string(timeout_.count()) + " ms"
                          : "cannot connect (" + ec.message() + ")");
  }
  link->plain->socket().set_option(tcp::no_delay(true), ec);
  if (url_.tls) {
    if (!tls_) co_return failure("rediss:// needs a TLS client context");
    link->secure =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*link->plain), *tls_);
    link->plain.reset();
    SSL_set_tlsext_host_name(link->secure->native_handle(), url_.host.c_str());
    link->secure->set_verify_callback(net::ssl::host_name_verification(url_.host));
    co_await link->secure->async_handshake(net::ssl::stream_base::client,
                                           net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return failure("TLS handshake failed (" + ec.message() + ")");
  }
  link_ = std::move(link);
  std::vector<Command> hello;
  if (!url_.password.empty()) {
    hello.push_back(url_.username.empty() ? Command{"AUTH", url_.password}
                                          : Command{"AUTH", url_.username, url_.password});
  }
  if (url_.db != 0) hello.push_back({"SELECT", std::to_string(url_.db)});
  if (hello.empty()) co_return std::nullopt;
  auto replies = co_await exchange(hello);
  if (!replies) co_return replies.take_error();
  for (std::size_t i = 0; i < replies->size(); ++i) {
    const Reply& r = (*replies)[i];
    if (r.is_error()) co_return failure(hello[i][0] + " refused: " + r.text);
  }
  co_return std::nullopt;
}

net::awaitable<Result<std::vector<Reply>>> RedisConnection::exchange(
    std::span<const Command> commands) {
  const auto wire = format_pipeline(commands);
  if (!wire) co_return failure("a command could not be formatted");
  beast::error_code ec;
  link_->lowest().expires_after(timeout_);  // one deadline for the write and every reply
  co_await link_->with_stream([&](auto& stream) {
    return net::async_write(stream, net::buffer(*wire),
                            net::redirect_error(net::use_awaitable, ec));
  });
  const auto timed_out = [&] {
    return "no answer within " + std::to_string(timeout_.count()) + " ms";
  };
  if (ec)
    co_return failure(ec == beast::error::timeout ? timed_out()
                                                  : "write failed (" + ec.message() + ")");
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  while (replies.size() < commands.size()) {
    void* raw = nullptr;
    if (redisReaderGetReply(link_->reader, &raw) != REDIS_OK)
      co_return failure(std::string("an unreadable reply (") + link_->reader->errstr + ")");
    if (raw != nullptr) {
      replies.push_back(to_reply(*static_cast<const redisReply*>(raw)));
      freeReplyObject(raw);
      continue;
    }
    const std::size_t n = co_await link_->with_stream([&](auto& stream) {
      return stream.async_read_some(net::buffer(link_->input),
                                    net::redirect_error(net::use_awaitable, ec));
    });
    if (ec == beast::error::timeout) co_return failure(timed_out());
    if (ec) co_return failure("the connection broke (" + ec.message() + ")");
    redisReaderFeed(link_->reader, link_->input.data(), n);
  }
  link_->lowest().expires_never();
  co_return replies;
}

}  // namespace aigw::redis
