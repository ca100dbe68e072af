// The Redis connection against a real redis-server: pipelines and every reply type, binary
// values, AUTH and SELECT from the URL, a server that dies and comes back, a server that never
// answers, and many coroutines sharing one connection.
#include "redis/redis_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <optional>

#include "support/redis_server.h"

namespace aigw::testing {
namespace {

namespace net = boost::asio;
using redis::Command;
using redis::RedisConnection;
using redis::Reply;
using namespace std::chrono_literals;

redis::RedisUrl url_of(const std::string& text) {
  auto url = redis::parse_redis_url(text);
  if (!url.ok()) throw std::runtime_error(url.error().message);
  return *url;
}

template <typename T>
net::awaitable<void> keep(net::awaitable<T> call, std::optional<T>& out) {
  out.emplace(co_await std::move(call));
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

class RedisConnectionTest : public ::testing::Test {
 protected:
  // Runs one call to completion on the test's io_context.
  template <typename T>
  T run(net::awaitable<T> call) {
    std::optional<T> out;
    net::co_spawn(io_, keep(std::move(call), out), rethrow);
    io_.restart();
    io_.run();
    return std::move(*out);
  }
  Result<Reply> command(RedisConnection& c, Command args) {
    return run(c.command(std::move(args)));
  }
  RedisConnection connect(const std::string& url, std::chrono::milliseconds timeout = 2s) {
    return RedisConnection(io_.get_executor(), url_of(url), nullptr, timeout);
  }

  net::io_context io_;
};

TEST_F(RedisConnectionTest, APipelineGetsOneReplyEachOfEveryType) {
  RedisServer server;
  auto c = connect(server.url());
  const std::vector<Command> pipeline = {
      {"SET", "k", "v"},        {"INCRBY", "n", "5"},       {"GET", "k"}, {"GET", "missing"},
      {"RPUSH", "l", "a", "b"}, {"LRANGE", "l", "0", "-1"}, {"INCR", "k"}};
  auto replies = run(c.run(pipeline));
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  ASSERT_EQ(replies->size(), pipeline.size());
  const auto& r = *replies;
  EXPECT_EQ(r[0].type, Reply::Type::kStatus);
  EXPECT_EQ(r[0].text, "OK");
  EXPECT_EQ(r[1].integer, 5);
  EXPECT_EQ(r[2].text, "v");
  EXPECT_TRUE(r[3].is_nil());
  EXPECT_EQ(r[4].integer, 2);
  ASSERT_EQ(r[5].elements.size(), 2u);
  EXPECT_EQ(r[5].elements[1].text, "b");
  EXPECT_TRUE(r[6].is_error());  // the command ran and Redis refused it: still connected
  EXPECT_NE(r[6].text.find("not an integer"), std::string::npos) << r[6].text;
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(command(c, {"GET", "n"})->text, "5");
}

TEST_F(RedisConnectionTest, ValuesAreBinarySafe) {
  RedisServer server;
  auto c = connect(server.url());
  const std::string value("a\0b\r\n$3\r\nc", 10);
  ASSERT_TRUE(command(c, {"SET", "bin", value}).ok());
  EXPECT_EQ(command(c, {"GET", "bin"})->text, value);
}

TEST_F(RedisConnectionTest, PasswordAndDatabaseComeFromTheUrl) {
  RedisServer server({"--requirepass", "pa55word"});
  const std::string base = "redis://:pa55word@127.0.0.1:" + std::to_string(server.port());
  auto db2 = connect(base + "/2");
  ASSERT_TRUE(command(db2, {"SET", "x", "1"}).ok());
  auto db0 = connect(base + "/0");
  EXPECT_TRUE(command(db0, {"GET", "x"})->is_nil()) << "SELECT 2 was not sent";
  EXPECT_EQ(command(db2, {"GET", "x"})->text, "1");
  auto wrong = connect("redis://:nope@127.0.0.1:" + std::to_string(server.port()));
  const auto refused = command(wrong, {"PING"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("AUTH refused"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("nope"), std::string::npos) << "the password leaked";
  EXPECT_FALSE(wrong.connected());
}

TEST_F(RedisConnectionTest, AServerThatDiesFailsTheCallAndTheNextCallReconnects) {
  RedisServer server;
  auto c = connect(server.url());
  ASSERT_TRUE(command(c, {"PING"}).ok());
  server.kill();
  const auto down = command(c, {"PING"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().status, 503);
  EXPECT_FALSE(c.connected());
  const auto still_down = command(c, {"PING"});
  ASSERT_FALSE(still_down.ok());
  EXPECT_NE(still_down.error().message.find("cannot connect"), std::string::npos)
      << still_down.error().message;
  server.start();
  const auto back = command(c, {"PING"});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->text, "PONG");
}

// A listener that accepts into its backlog and never answers: the call ends at the timeout.
TEST_F(RedisConnectionTest, AServerThatNeverAnswersTimesOut) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto c = connect("redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 300ms);
  const auto started = std::chrono::steady_clock::now();
  const auto r = command(c, {"PING"});
  const auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no answer within 300 ms"), std::string::npos)
      << r.error().message;
  EXPECT_LT(took, 5s);
}

net::awaitable<void> increment(RedisConnection& c, int times, int& failures) {
  for (int i = 0; i < times; ++i) {
    Command incr{"INCR", "shared"};  // named: GCC 12 mishandles a braced list inside co_await
    auto r = co_await c.command(std::move(incr));
    if (!r.ok() || r->is_error()) ++failures;
  }
}

TEST_F(RedisConnectionTest, CoroutinesSharingAConnectionTakeTurns) {
  RedisServer server;
  auto c = connect(server.url());
  int failures = 0;
  for (int i = 0; i < 20; ++i) net::co_spawn(io_, increment(c, 50, failures), rethrow);
  io_.restart();
  io_.run();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(command(c, {"GET", "shared"})->text, "1000");
}

}  // namespace
}  // namespace aigw::testing
