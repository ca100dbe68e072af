// The server's framing step on its own (no socket): bytes in, requests or refusals out, the
// same whatever the pieces the bytes arrive in. (It lives in aigw_net, hence in this binary.)
#include "server/request_framer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace aigw::server {
namespace {

using Step = RequestFramer::Step;

struct Outcome {
  Step head = Step::kNeedMore;
  RequestProblem problem = RequestProblem::kNone;
  std::string target;
  Step body = Step::kNeedMore;
  BodyStatus body_status = BodyStatus::kOk;
  std::string body_text;
};

void append(RequestFramer& f, std::string_view bytes) {
  auto buf = f.buffer().prepare(bytes.size());
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  f.buffer().commit(bytes.size());
}

// Reads the first request of `bytes`, fed `piece` bytes at a time (0: all at once).
Outcome first_request(std::string_view bytes, std::size_t piece = 0,
                      std::uint64_t header_limit = 1024, std::uint64_t body_limit = 1024) {
  RequestFramer f(header_limit);
  Outcome out;
  std::size_t fed = 0;
  auto feed = [&] {
    if (fed >= bytes.size()) return false;
    const std::size_t n = piece == 0 ? bytes.size() - fed : std::min(piece, bytes.size() - fed);
    append(f, bytes.substr(fed, n));
    fed += n;
    return true;
  };
  out.head = f.parse_head();
  while (out.head == Step::kNeedMore && feed()) out.head = f.parse_head();
  out.problem = f.problem();
  if (out.head != Step::kDone) return out;
  const auto head = f.take_header();
  out.target = std::string(head.target());
  out.body = f.parse_body(body_limit);
  while (out.body == Step::kNeedMore && feed()) out.body = f.parse_body(body_limit);
  out.body_status = f.body_status();
  if (out.body == Step::kDone) out.body_text = f.body();
  return out;
}

std::string post(const std::string& framing) {
  return "POST /p HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n";
}

TEST(RequestFramerTest, ExactlyChunkedIsReadAndEveryOtherCodingIsRefused) {
  EXPECT_EQ(
      first_request(post("Transfer-Encoding: chunked\r\n") + "2\r\nab\r\n0\r\n\r\n").body_text,
      "ab");
  EXPECT_EQ(
      first_request(post("transfer-encoding:  CHUNKED \t\r\n") + "2\r\nab\r\n0\r\n\r\n").body_text,
      "ab");
  for (const char* te : {"gzip, chunked", "chunked, identity", "xchunked", "identity",
                         "\"chunked\"", "chunked;q=1"}) {
    const auto o =
        first_request(post(std::string("Transfer-Encoding: ") + te + "\r\n") + "0\r\n\r\n");
    EXPECT_EQ(o.head, Step::kFailed) << te;
    EXPECT_EQ(o.problem, RequestProblem::kUnsupportedCoding) << te;
  }
  for (const char* framing :
       {"Transfer-Encoding: chunked, chunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: ,chunked\r\n", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 3\r\nContent-Length: 4\r\n", "Content-Length: 3\r\nContent-Length: 3\r\n",
        "Content-Length: 3, 3\r\n", "Content-Length: -3\r\n",
        "Transfer-Encoding: gzip\r\n chunked\r\n", "X-A: b\r\n\tContent-Length: 3\r\n",
        "Transfer-Encoding: chunked\n", "X-A: b\rContent-Length: 3\r\n", "Host: y\r\n"}) {
    const auto o = first_request(post(framing) + "0\r\n\r\n");
    EXPECT_EQ(o.head, Step::kFailed) << framing;
    EXPECT_EQ(o.problem, RequestProblem::kMalformed) << framing;
  }
  const auto http10 =
      first_request("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(http10.problem, RequestProblem::kMalformed);
}

TEST(RequestFramerTest, TheVerdictDoesNotDependOnHowTheBytesArrive) {
  const std::vector<std::string> inputs = {
      post("Content-Length: 5\r\n") + "hello",
      post("Transfer-Encoding: chunked\r\n") + "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      post("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n",
      post("Transfer-Encoding: chunked\r\n") + "2\r\nab\r\n0\r\nX-Trailer: 1\r\n\r\n",
      post("Content-Length: 2\r\nContent-Length: 2\r\n") + "ab",
      post("X-Pad: " + std::string(2000, 'p') + "\n"),
      "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& input : inputs) {
    const auto whole = first_request(input);
    for (std::size_t piece : {1, 2, 3, 7, 64}) {
      const auto split = first_request(input, piece);
      EXPECT_EQ(split.head, whole.head) << input << " / " << piece;
      EXPECT_EQ(split.problem, whole.problem) << input << " / " << piece;
      EXPECT_EQ(split.body, whole.body) << input << " / " << piece;
      EXPECT_EQ(split.body_status, whole.body_status) << input << " / " << piece;
      EXPECT_EQ(split.body_text, whole.body_text) << input << " / " << piece;
    }
  }
}

TEST(RequestFramerTest, TrailersAndBadChunksAreMalformedBodies) {
  const auto trailer = first_request(post("Transfer-Encoding: chunked\r\n") +
                                     "2\r\nab\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n");
  EXPECT_EQ(trailer.body, Step::kFailed);
  EXPECT_EQ(trailer.body_status, BodyStatus::kMalformed);
  const auto bad = first_request(post("Transfer-Encoding: chunked\r\n") + "zz\r\nab\r\n0\r\n\r\n");
  EXPECT_EQ(bad.body_status, BodyStatus::kMalformed);
}

TEST(RequestFramerTest, BodyLimitRefusesADeclaredLengthUnreadAndAChunkedBodyWhenItPasses) {
  RequestFramer f(1024);
  append(f, post("Content-Length: 5000000\r\n"));
  ASSERT_EQ(f.parse_head(), Step::kDone);
  EXPECT_EQ(f.parse_body(1000), Step::kFailed);
  EXPECT_EQ(f.body_status(), BodyStatus::kTooLarge);
  const auto chunked = first_request(
      post("Transfer-Encoding: chunked\r\n") + "400\r\n" + std::string(1024, 'a') + "\r\n0\r\n\r\n",
      0, 1024, 1000);
  EXPECT_EQ(chunked.body_status, BodyStatus::kTooLarge);
}

TEST(RequestFramerTest, HeadLimitCountsTheWholeHeadExactly) {
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(1024 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 1024u);
  EXPECT_EQ(first_request(head).head, Step::kDone);
  EXPECT_EQ(first_request(head, 1).head, Step::kDone);
  const auto over = first_request("GET / HTTP/1.1\r\nX: a" + head.substr(19));
  EXPECT_EQ(over.problem, RequestProblem::kHeadersTooLarge);
}

TEST(RequestFramerTest, PipelinedRequestsFollowEachOther) {
  RequestFramer f(1024);
  append(f, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + post("Content-Length: 2\r\n") +
                "{}GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  std::vector<std::string> targets;
  for (int i = 0; i < 3; ++i) {
    f.start();
    ASSERT_EQ(f.parse_head(), Step::kDone) << i;
    targets.push_back(std::string(f.take_header().target()));
    ASSERT_EQ(f.parse_body(1024), Step::kDone) << i;
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/a", "/p", "/c"}));
  EXPECT_EQ(f.buffer().size(), 0u);
}

// Whether the connection stays open: HTTP/1.1 unless any Connection line lists close (case
// aside, among other tokens), HTTP/1.0 only when one lists keep-alive.
TEST(RequestFramerTest, KeepAliveFollowsTheVersionAndEveryConnectionLine) {
  const auto keep_alive = [](const std::string& head) {
    RequestFramer f(1024);
    append(f, head + "\r\n");
    EXPECT_EQ(f.parse_head(), Step::kDone) << head;
    return f.take_header().keep_alive();
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: te\r\nConnection: x, close \r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nConnection: closed, te\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n"));
}

// The head is read by hand (Beast's parser only decodes chunked bodies): its grammar must be
// as strict as Beast's, and what it keeps the same as Beast would.
TEST(RequestFramerTest, TheRequestLineAndFieldsAreReadByTheirGrammar) {
  RequestFramer f(1024);
  append(f,
         "PATCH /v1/x?q=%C3%A9 HTTP/1.0\r\nX-Tabs:\t a\tb \t\r\nX-Obs: caf\xc3\xa9\r\nEmpty:\r\n"
         "Connection: keep-alive, ,Upgrade\r\nContent-Length: 003\r\n\r\nabc");
  ASSERT_EQ(f.parse_head(), Step::kDone);
  const auto head = f.take_header();
  EXPECT_EQ(head.method(), "PATCH");
  EXPECT_EQ(head.target(), "/v1/x?q=%C3%A9");
  EXPECT_EQ(head.version(), 10);
  EXPECT_EQ(head.field("X-Tabs"), "a\tb");  // blanks around a value dropped, inside kept
  EXPECT_EQ(head.field("x-obs"), "caf\xc3\xa9");
  EXPECT_EQ(head.field("Empty"), "");
  EXPECT_EQ(head.field("Absent"), std::nullopt);
  EXPECT_EQ(head.field_count(), 5u);
  EXPECT_EQ(head.field_at(3).name, "Connection");
  EXPECT_TRUE(head.keep_alive());  // HTTP/1.0 that lists keep-alive
  ASSERT_EQ(f.parse_body(1024), Step::kDone);
  EXPECT_EQ(f.body(), "abc");

  for (const char* bad : {
           "GET  / HTTP/1.1\r\n\r\n",            // two spaces
           "GET / HTTP/1.1 \r\n\r\n",            // a space after the version
           "G(T / HTTP/1.1\r\n\r\n",             // not a token
           "GET /a\x7f HTTP/1.1\r\n\r\n",        // DEL in the target
           "GET / HTTP/2.0\r\n\r\n",             // not HTTP/1.x
           "GET / HTTP/1.10\r\n\r\n",            //
           "GET / http/1.1\r\n\r\n",             //
           "GET / HTTP/1.1\r\nX-A : b\r\n\r\n",  // a space before the colon
           "GET / HTTP/1.1\r\n: b\r\n\r\n",      // no name
           "GET / HTTP/1.1\r\nX-A b\r\n\r\n",    // no colon
           "GET / HTTP/1.1\r\nX-A: b\x01"
           "c\r\n\r\n",                                               // a control byte
           "GET / HTTP/1.1\r\nX-A: bc\x7f\r\n\r\n",                   // DEL
           "GET / HTTP/1.1\r\nX-A: 0123456789abcdef\x1b[0m\r\n\r\n",  // ... past 16 bytes
           "GET / HTTP/1.1\r\nConnection: keep alive\r\n\r\n",        // not a token list
           "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       }) {
    const auto o = first_request(bad);
    EXPECT_EQ(o.head, Step::kFailed) << bad;
    EXPECT_EQ(o.problem, RequestProblem::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace aigw::server
