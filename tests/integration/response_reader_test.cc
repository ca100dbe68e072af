// The upstream side's answer reader on its own (no socket): whatever the pieces a provider's
// answer arrives in, the same status, fields (in order, repeated ones kept) and body. (It lives
// in aigw_net, hence in this binary.)
#include "upstream/response_reader.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <utility>
#include <vector>

namespace aigw::upstream {
namespace {

struct Read {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  bool done = false;
  bool keep_alive = false;
  std::string error;
};

// Feeds `bytes` `piece` at a time, as parse_buffered does: what the parser leaves unused is
// offered again with the next piece.
Read read(std::string_view bytes, std::size_t piece) {
  ResponseReader reader;
  reader.body_limit(boost::none);
  Read out;
  std::string pending;
  for (std::size_t at = 0; at < bytes.size() && !reader.is_done();) {
    const std::size_t n = std::min(piece, bytes.size() - at);
    pending.append(bytes.substr(at, n));
    at += n;
    for (;;) {
      boost::beast::error_code ec;
      const std::size_t used = reader.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) {
        out.error = ec.message();
        return out;
      }
      if (used == 0 || pending.empty() || reader.is_done()) break;
    }
  }
  out.status = reader.status();
  reader.for_each_field(
      [&](std::string_view name, std::string_view value) { out.fields.emplace_back(name, value); });
  out.body = reader.body();
  out.done = reader.is_done();
  out.keep_alive = reader.keep_alive();
  return out;
}

TEST(ResponseReaderTest, FieldsKeepTheirOrderCaseAndRepeatsAndTheBodyArrivesWhole) {
  const std::string answer =
      "HTTP/1.1 429 Too Many Requests\r\n"
      "Content-Type: application/json\r\n"
      "X-RateLimit-Remaining: 0\r\n"
      "set-cookie: a=1\r\n"
      "Set-Cookie: b=2\r\n"
      "Content-Length: 26\r\n"
      "\r\n"
      "{\"error\":{\"message\":\"no\"}}";
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, answer.size()}) {
    const Read r = read(answer, piece);
    ASSERT_EQ(r.error, "") << piece;
    EXPECT_EQ(r.status, 429);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Content-Type", "application/json"},
        {"X-RateLimit-Remaining", "0"},
        {"set-cookie", "a=1"},
        {"Set-Cookie", "b=2"},
        {"Content-Length", "26"}};
    EXPECT_EQ(r.fields, expected) << piece;
    EXPECT_EQ(r.body, "{\"error\":{\"message\":\"no\"}}") << piece;
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST(ResponseReaderTest, AChunkedStreamIsJoinedAndFieldsAreFoundWhateverTheirCase) {
  const std::string answer =
      "HTTP/1.1 200 OK\r\n"
      "content-type: text/event-stream\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: close\r\n"
      "\r\n"
      "6\r\ndata: \r\n"
      "9\r\n{\"a\":1}\n\n\r\n"
      "0\r\n\r\n";
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, answer.size()}) {
    const Read r = read(answer, piece);
    ASSERT_EQ(r.error, "") << piece;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "data: {\"a\":1}\n\n") << piece;
    EXPECT_TRUE(r.done);
    EXPECT_FALSE(r.keep_alive);  // Connection: close
  }
  ResponseReader reader;
  boost::beast::error_code ec;
  reader.put(boost::asio::buffer(answer), ec);
  EXPECT_EQ(reader.field("Content-Type"), "text/event-stream");
  EXPECT_EQ(reader.field("TRANSFER-ENCODING"), "chunked");
  EXPECT_EQ(reader.field("content-length"), std::nullopt);
}

TEST(ResponseReaderTest, AnOversizeOrBrokenHeadIsAnError) {
  EXPECT_NE(read("HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n", 64).error, "");
  EXPECT_NE(read("HTTP/1.1 2000 OK\r\n\r\n", 64).error, "");
  std::string huge = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 1000; ++i) huge += "X-Padding-" + std::to_string(i) + ": 0123456789\r\n";
  EXPECT_NE(read(huge + "\r\n", 4096).error, "");  // past the 8 KiB header limit
}

}  // namespace
}  // namespace aigw::upstream
