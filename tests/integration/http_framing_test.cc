// One request, one answer (issue 9): whatever bytes a client sends, the gateway reads one
// request where every other HTTP parser would, or refuses it (400/501) and closes the
// connection — never a second request hidden in the first one's body. Also: slow clients get
// a 408 in their API's error format, and the head is judged (IP limit, authentication) before
// a body is read.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

// A raw TCP client: writes bytes as given and reads everything until the server closes.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  // True when the server sent something (or closed): a peek that does not wait.
  bool readable() {
    char c;
    const auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || n == 0;
  }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Everything the server sends until it closes; `closed` says whether it did within `limit`.
  std::string read_until_closed(std::chrono::milliseconds limit, bool* closed = nullptr) {
    const auto deadline = Clock::now() + limit;
    std::string out;
    char buf[16384];
    bool eof = false;
    while (Clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
      timeval tv{static_cast<time_t>(left.count() / 1'000'000),
                 static_cast<suseconds_t>(left.count() % 1'000'000)};
      if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof = true;
      if (eof) break;
    }
    if (closed) *closed = eof;
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// The status codes of the responses in `raw`, in order (status lines at the start of a line).
std::vector<int> statuses(const std::string& raw) {
  std::vector<int> out;
  std::size_t pos = 0;
  while ((pos = raw.find("HTTP/1.", pos)) != std::string::npos) {
    // A status line: at the start, after a header block, or right after the previous answer's
    // body (a JSON body ends without a line break).
    const bool shaped = pos + 12 <= raw.size() && raw[pos + 8] == ' ' &&
                        std::isdigit(static_cast<unsigned char>(raw[pos + 9])) &&
                        std::isdigit(static_cast<unsigned char>(raw[pos + 10])) &&
                        std::isdigit(static_cast<unsigned char>(raw[pos + 11]));
    if (shaped) out.push_back(std::stoi(raw.substr(pos + 9, 3)));
    pos += 7;
  }
  return out;
}

// What the smuggler hides: a whole second request after a body the gateway must not misread.
constexpr std::string_view kSmuggled = "GET /v1/providers HTTP/1.1\r\nHost: x\r\n\r\n";

std::string post_head(const std::string& framing, const std::string& version = "HTTP/1.1") {
  return "POST /v1/chat/completions " + version + "\r\nHost: x\r\nx-portkey-provider: mock\r\n" +
         framing + "\r\n";
}

struct Attack {
  const char* name;
  std::string bytes;
};

std::vector<Attack> smuggling_attempts() {
  const std::string chunked_body = "0\r\n\r\n" + std::string(kSmuggled);
  const std::string cl_body = "{}" + std::string(kSmuggled);
  return {
      {"gzip then chunked", post_head("Transfer-Encoding: gzip, chunked\r\n") + chunked_body},
      {"chunked then identity",
       post_head("Transfer-Encoding: chunked, identity\r\n") + chunked_body},
      {"xchunked", post_head("Transfer-Encoding: xchunked\r\n") + chunked_body},
      {"chunked in quotes", post_head("Transfer-Encoding: \"chunked\"\r\n") + chunked_body},
      {"chunked with a parameter", post_head("Transfer-Encoding: chunked;q=1\r\n") + chunked_body},
      {"chunked twice on one line",
       post_head("Transfer-Encoding: chunked, chunked\r\n") + chunked_body},
      {"chunked on two lines",
       post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + chunked_body},
      {"identity line then chunked line",
       post_head("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n") + chunked_body},
      {"chunked line then gzip line",
       post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n") + chunked_body},
      {"obs-fold", post_head("Transfer-Encoding: gzip\r\n ,chunked\r\n") + chunked_body},
      {"obs-fold with a tab",
       post_head("X-Pad: a\r\n\tTransfer-Encoding: chunked\r\n") + chunked_body},
      {"space before the colon",
       post_head("Transfer-Encoding : chunked\r\nContent-Length: 2\r\n") + cl_body},
      {"bare LF line end", post_head("Transfer-Encoding: chunked\n") + chunked_body},
      {"bare CR", post_head("X-Pad: a\rTransfer-Encoding: chunked\r\n") + chunked_body},
      {"TE and CL",
       post_head("Transfer-Encoding: chunked\r\nContent-Length: 40\r\n") + chunked_body},
      {"CL and TE",
       post_head("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n") + chunked_body},
      {"two differing CL", post_head("Content-Length: 2\r\nContent-Length: 41\r\n") + cl_body},
      {"two equal CL lines", post_head("Content-Length: 2\r\nContent-Length: 2\r\n") + cl_body},
      {"CL list", post_head("Content-Length: 2, 41\r\n") + cl_body},
      {"CL with a sign", post_head("Content-Length: +2\r\n") + cl_body},
      {"TE in HTTP/1.0", post_head("Transfer-Encoding: chunked\r\n", "HTTP/1.0") + chunked_body},
      {"NUL in a header",
       post_head(std::string("X-Pad: a\0b\r\nContent-Length: 2\r\n", 31)) + cl_body},
      {"trailer fields", post_head("Transfer-Encoding: chunked\r\n") +
                             "2\r\n{}\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n" +
                             std::string(kSmuggled)},
      {"bad chunk size", post_head("Transfer-Encoding: chunked\r\n") + "2x\r\n{}\r\n0\r\n\r\n" +
                             std::string(kSmuggled)},
      {"two Host lines", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + std::string(kSmuggled)},
      {"HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n" + std::string(kSmuggled)},
  };
}

TEST(HttpFramingTest, EverySmugglingSpellingGetsOneRefusalThenTheConnectionCloses) {
  AigwProcess gw("");
  for (const auto& attack : smuggling_attempts()) {
    RawClient c(gw.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(attack.bytes)) << attack.name;
    bool closed = false;
    const std::string raw = c.read_until_closed(10s, &closed);
    const auto seen = statuses(raw);
    ASSERT_EQ(seen.size(), 1u) << attack.name << ":\n" << raw;
    EXPECT_TRUE(seen[0] == 400 || seen[0] == 501) << attack.name << ":\n" << raw;
    EXPECT_TRUE(closed) << attack.name;
  }
  // Nothing reached the provider list endpoint (the smuggled request).
  gw.wait_for_access_lines(smuggling_attempts().size(), 5s);
  for (const auto& line : gw.access_lines()) {
    EXPECT_NE(line.at("path").as_string(), "/v1/providers") << boost::json::serialize(line);
  }
}

TEST(HttpFramingTest, UnknownCodingIs501AndConflictsAre400InTheCallersFormat) {
  AigwProcess gw("");
  HttpConnection gzip(gw.port(), 10s);
  gzip.send_raw(post_head("Transfer-Encoding: gzip\r\n") + "0\r\n\r\n");
  EXPECT_TRUE(is_openai_error(gzip.read_response(), 501, "unsupported Transfer-Encoding"));
  EXPECT_TRUE(gzip.closed_within(5s));
  HttpConnection both(gw.port(), 10s);
  both.send_raw(
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\n"
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(is_anthropic_error(both.read_response(), 400, "malformed HTTP request"));
  EXPECT_TRUE(both.closed_within(5s));
}

TEST(HttpFramingTest, PlainChunkedInAnySpellingOfCaseAndSpaceIsServed) {
  AigwProcess gw("");
  const std::string body = R"({"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  for (const std::string te : {"chunked", "CHUNKED", " \tChunked \t"}) {
    RawClient c(gw.port());
    ASSERT_TRUE(c.send(post_head("Connection: close\r\nTransfer-Encoding:" + te + "\r\n") + size +
                       "\r\n" + body + "\r\n0\r\n\r\n"));
    const auto seen = statuses(c.read_until_closed(10s));
    ASSERT_EQ(seen.size(), 1u) << te;
    EXPECT_EQ(seen[0], 200) << te;
  }
}

TEST(HttpFramingTest, PipelinedRequestsGetOneAnswerEach) {
  AigwProcess gw("");
  const std::string body = "{}";
  RawClient c(gw.port());
  ASSERT_TRUE(c.send("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n" + post_head("Content-Length: 2\r\n") +
                     body + "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto seen = statuses(c.read_until_closed(10s));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], 200);
  EXPECT_EQ(seen[1], 200);
  EXPECT_EQ(seen[2], 404);
}

// ---- slow clients: 408 in the caller's format, then close ----------------------------------

TEST(SlowClientTest, BodyWithheldPastTheTimeoutIs408InTheCallersFormat) {
  AigwProcess gw("server: { request_timeout: 500ms }\n");
  HttpConnection openai(gw.port(), 10s);
  openai.send_raw(post_head("Content-Length: 100\r\n") + "{\"model\":");
  EXPECT_TRUE(is_openai_error(openai.read_response(), 408, "request not received within 500ms"));
  EXPECT_TRUE(openai.closed_within(5s));

  HttpConnection anthropic(gw.port(), 10s);
  anthropic.send_raw(
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\nContent-Length: "
      "100\r\n\r\n");
  EXPECT_TRUE(
      is_anthropic_error(anthropic.read_response(), 408, "request not received within 500ms"));
  EXPECT_TRUE(anthropic.closed_within(5s));
}

TEST(SlowClientTest, TrickledBodyIs408) {
  AigwProcess gw("server: { request_timeout: 600ms }\n");
  RawClient c(gw.port());
  ASSERT_TRUE(
      c.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\nContent-Length: "
             "1000\r\n\r\n"));
  // A byte every 100 ms: each on time, the whole body not. Stops once the gateway answered.
  for (int i = 0; i < 50 && !c.readable(); ++i) {
    if (!c.send("x")) break;
    std::this_thread::sleep_for(100ms);
  }
  const std::string raw = c.read_until_closed(10s);
  const auto at = raw.find("\r\n\r\n");
  ASSERT_NE(at, std::string::npos) << raw;
  EXPECT_EQ(statuses(raw), std::vector<int>{408});
  const auto body = boost::json::parse(raw.substr(at + 4));
  EXPECT_EQ(body.at("type"), "error");
  EXPECT_NE(
      std::string(body.at("error").at("message").as_string()).find("request not received within"),
      std::string::npos);
}

TEST(SlowClientTest, HalfAHeaderLineIs408) {
  AigwProcess gw("server: { request_timeout: 500ms, idle_timeout: 30s }\n");
  HttpConnection c(gw.port(), 10s);
  c.send_raw("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-portkey-pro");
  EXPECT_TRUE(is_anthropic_error(c.read_response(), 408, "request not received within 500ms"));
  EXPECT_TRUE(c.closed_within(5s));

  // Not even a request line: a plain JSON 408.
  HttpConnection partial(gw.port(), 10s);
  partial.send_raw("GET /v1/mod");
  const auto r = partial.read_response();
  EXPECT_EQ(r.status, 408);
  EXPECT_NE(r.error_message().find("request not received within 500ms"), std::string::npos)
      << r.body;
  EXPECT_TRUE(partial.closed_within(5s));
}

// ---- header first: refusals before the body ------------------------------------------------

constexpr const char* kAuthOn = "auth:\n  builtin_issuer: { keys_dir: ./keys }\n";

TEST(HeaderFirstTest, UnauthenticatedLargeBodyIs401WithoutWaitingForIt) {
  AigwProcess gw(kAuthOn);
  HttpConnection c(gw.port(), 10s);
  // 5 MB announced, none sent: the answer cannot depend on the body arriving.
  c.send_raw(post_head("Content-Length: 5000000\r\n"));
  const auto r = c.read_response();
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(c.closed_within(5s));
}

TEST(HeaderFirstTest, IpLimitedLargeBodyIs429WithoutWaitingForIt) {
  AigwProcess gw("limits: { ip: { requests: 1, window: 60s } }\n");
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}").status,
      200);
  HttpConnection c(gw.port(), 10s);
  c.send_raw(post_head("Content-Length: 5000000\r\nExpect: 100-continue\r\n"));
  const auto r = c.read_response();
  EXPECT_EQ(r.status, 429) << r.body;  // and no "100 Continue" first: the client never sends
  EXPECT_TRUE(c.closed_within(5s));
}

TEST(HeaderFirstTest, DeclaredLengthOverTheLimitIs413UnreadAndTokenEndpointHasASmallCap) {
  AigwProcess gw("server: { max_body_bytes: 1MiB }\n");
  HttpConnection c(gw.port(), 10s);
  c.send_raw(post_head("Content-Length: 2000000\r\nExpect: 100-continue\r\n"));
  EXPECT_TRUE(
      is_openai_error(c.read_response(), 413, "request body exceeds the 1048576-byte limit"));
  EXPECT_TRUE(c.closed_within(5s));

  HttpConnection token(gw.port(), 10s);
  token.send_raw(
      "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\n"
      "Content-Length: 100000\r\n\r\n");
  const auto r = token.read_response();
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("65536-byte limit"), std::string::npos) << r.body;
}

TEST(HeaderFirstTest, SmallUnreadBodyIsDroppedAndTheConnectionKept) {
  AigwProcess gw(kAuthOn);
  HttpConnection c(gw.port(), 10s);
  const auto refused =
      c.request("POST", "/v1/chat/completions", with_provider("mock"), "{\"model\":\"m\"}");
  EXPECT_EQ(refused.status, 401);
  EXPECT_TRUE(refused.keep_alive);
  EXPECT_EQ(c.request("GET", "/").status, 200);  // the body did not parse as a request
}

TEST(HeaderFirstTest, ExpectContinueIsAnsweredWhenTheBodyIsWanted) {
  AigwProcess gw("");
  HttpConnection c(gw.port(), 10s);
  const std::string body = R"({"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]})";
  c.send_raw(
      post_head("Content-Length: " + std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n"));
  const auto go_on = c.read_response();
  EXPECT_EQ(go_on.status, 100);
  c.send_raw(body);
  EXPECT_EQ(c.read_response().status, 200);
}

}  // namespace
}  // namespace aigw::testing
