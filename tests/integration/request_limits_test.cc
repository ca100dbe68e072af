// Limits on what a client sends: 431 over max_header_bytes, 413 over max_body_bytes, 408 past
// request_timeout, 400 for malformed HTTP.
#include <gtest/gtest.h>

#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

TEST(RequestLimitsTest, HeadersOverTheLimitAre431) {
  AigwProcess gw("server: { max_header_bytes: 2KiB }\n");
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions",
                              with_provider("mock", {{"x-big", std::string(4000, 'a')}}), "{}");
  EXPECT_TRUE(is_openai_error(r, 431, "request headers exceed the 2048-byte limit"));
  const auto m = http_request(gw.port(), "POST", "/v1/messages",
                              with_provider("mock", {{"x-big", std::string(4000, 'a')}}), "{}");
  EXPECT_EQ(m.status, 431);
  // Just under the limit is fine.
  EXPECT_EQ(http_request(gw.port(), "GET", "/", {{"x-big", std::string(1500, 'a')}}).status, 200);
}

TEST(RequestLimitsTest, ManySmallHeadersCountTowardsTheLimitToo) {
  AigwProcess gw("server: { max_header_bytes: 2KiB }\n");
  Headers many;
  for (int i = 0; i < 100; ++i) many.emplace_back("x-h" + std::to_string(i), "value-value-value");
  EXPECT_EQ(http_request(gw.port(), "GET", "/", many).status, 431);
}

TEST(RequestLimitsTest, HeadersArrivingInTwoReadsAreLimitedAsAWhole) {
  AigwProcess gw("server: { max_header_bytes: 2KiB }\n");
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) head += "x-h" + std::to_string(i) + ": value-value-value\r\n";
  head += "\r\n";  // about 2.6 KB in all, each half under the limit
  HttpConnection c(gw.port(), 5s);
  ASSERT_TRUE(c.send_raw(head.substr(0, 1500)));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send_raw(head.substr(1500)));
  EXPECT_TRUE(
      is_openai_error(c.read_response(), 431, "request headers exceed the 2048-byte limit"));
}

TEST(RequestLimitsTest, BodyOverTheLimitIs413InTheCallersFormat) {
  AigwProcess gw("server: { max_body_bytes: 1KiB }\n");
  const std::string big = "{\"model\":\"m\",\"pad\":\"" + std::string(2000, 'b') + "\"}";
  EXPECT_TRUE(is_openai_error(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), big), 413,
      "request body exceeds the 1024-byte limit"));
  EXPECT_TRUE(is_anthropic_error(
      http_request(gw.port(), "POST", "/v1/messages", with_provider("mock"), big), 413,
      "request body exceeds the 1024-byte limit"));
  const std::string small = "{\"model\":\"m\",\"pad\":\"" + std::string(900, 'b') + "\"}";
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), small).status,
      200);
}

TEST(RequestLimitsTest, ChunkedBodyOverTheLimitIs413) {
  AigwProcess gw("server: { max_body_bytes: 1KiB }\n");
  HttpConnection c(gw.port());
  std::string raw =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) raw += "200\r\n" + std::string(512, 'c') + "\r\n";
  raw += "0\r\n\r\n";
  c.send_raw(raw);
  const auto r = c.read_response();
  EXPECT_TRUE(is_openai_error(r, 413, "request body exceeds the 1024-byte limit"));
}

TEST(RequestLimitsTest, DeclaredContentLengthOverTheLimitIs413BeforeTheBodyIsSent) {
  AigwProcess gw("server: { max_body_bytes: 1KiB }\n");
  HttpConnection c(gw.port(), 3s);
  c.send_raw(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\n"
      "Content-Length: 100000000\r\n\r\n{");
  EXPECT_EQ(c.read_response().status, 413);
}

TEST(RequestLimitsTest, SlowClientSendingHalfARequestGets408) {
  AigwProcess gw("server: { request_timeout: 500ms }\n");
  HttpConnection c(gw.port(), 5s);
  const auto started = Clock::now();
  ASSERT_TRUE(
      c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: mock\r\n"
                 "Content-Length: 100\r\n\r\n{\"model\":"));
  const auto r = c.read_response();
  const auto took = Clock::now() - started;
  EXPECT_TRUE(is_openai_error(r, 408, "request not received within"));
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 3s);
}

TEST(RequestLimitsTest, SlowLorisHeadersAreCutOffByTheRequestTimeout) {
  AigwProcess gw("server: { request_timeout: 500ms, idle_timeout: 30s }\n");
  HttpConnection c(gw.port(), 5s);
  const auto started = Clock::now();
  c.send_raw("GET / HTTP/1.1\r\n");
  bool closed = false;
  // One header line every 150 ms: each byte is on time, the whole request is not.
  for (int i = 0; i < 20 && !closed; ++i) {
    std::this_thread::sleep_for(150ms);
    closed = !c.send_raw("x-drip-" + std::to_string(i) + ": 1\r\n");
    if (!closed) closed = c.closed_within(1ms);
  }
  if (!closed) closed = c.closed_within(2s);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - started, 2500ms);
}

TEST(RequestLimitsTest, MalformedRequestLineIs400) {
  AigwProcess gw("");
  HttpConnection c(gw.port(), 5s);
  c.send_raw("GARBAGE\r\n\r\n");
  const auto r = c.read_response();
  EXPECT_EQ(r.status, 400) << r.error;
  EXPECT_TRUE(c.closed_within(3s));
}

TEST(RequestLimitsTest, InvalidHeaderSyntaxIs400) {
  AigwProcess gw("");
  HttpConnection c(gw.port(), 5s);
  c.send_raw("GET / HTTP/1.1\r\nHost: x\r\nbad header without colon\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 400);
}

TEST(RequestLimitsTest, GatewayStillServesOthersAfterBadClients) {
  AigwProcess gw(
      "server: { max_header_bytes: 1KiB, max_body_bytes: 1KiB, request_timeout: 500ms }\n");
  HttpConnection stalled(gw.port());
  stalled.send_raw("POST /v1/chat/completions HTTP/1.1\r\n");
  http_request(gw.port(), "GET", "/", {{"x-big", std::string(3000, 'a')}});
  HttpConnection garbage(gw.port());
  garbage.send_raw(
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");  // a TLS ClientHello on the plain port
  EXPECT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}").status,
      200);
}

}  // namespace
}  // namespace aigw::testing
