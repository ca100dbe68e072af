// Fault tests (issue 9): providers that hang before headers or between chunks, trickle bytes,
// reset mid-stream, send malformed SSE or invalid JSON with a 200; clients that leave at every
// stage. After each the gateway serves the next request, and what it charged is what the
// provider reported (nothing for an answer that never came).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kChat = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
constexpr const char* kChatStream =
    R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";
constexpr const char* kMessages =
    R"({"model":"claude","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})";

std::int64_t used_tokens(std::uint16_t port) {
  const auto r = http_request(port, "GET", "/v1/budget");
  if (r.status != 200) return -1;
  return r.json().at("used").at("tokens").to_number<std::int64_t>();
}

// A provider scripted per request by the "x-fault" header the test sends; the answers of
// well-behaved requests report 7 + 3 tokens.
Reply scripted(const UpstreamRequest& req) {
  const std::string fault = req.header("x-fault");
  if (fault == "hang") return Reply::hang();
  if (fault == "hang-between-chunks") {
    Reply r = Reply::sse({openai_delta_event("a"), openai_delta_event("b")});
    r.chunks.push_back({3s, openai_done_event(), nullptr});
    return r;
  }
  if (fault == "trickle") {
    Reply r;
    r.kind = Reply::Kind::kStream;
    r.headers = {{"Content-Type", "application/json"}};
    for (const char ch : openai_chat_answer("slow", 7, 3))
      r.chunks.push_back({2ms, std::string(1, ch), nullptr});
    return r;
  }
  if (fault == "reset-mid-stream")
    return Reply::broken_sse({openai_delta_event("a"), openai_delta_event("b")});
  if (fault == "malformed-sse") {
    return Reply::sse({"data: {not json\n\n", "event: ???\ndata: \x01\x02\n\n",
                       ": comment only\n\n", "data: [1,2,3]\n\n", openai_delta_event("ok"),
                       openai_done_event()});
  }
  if (fault == "invalid-json-200") return Reply::json(200, "{\"choices\": [ this is not json");
  if (fault == "slow") {
    Reply r = Reply::json(200, openai_chat_answer("late", 7, 3));
    r.delay = 500ms;
    return r;
  }
  return Reply::json(200, openai_chat_answer("fine", 7, 3));
}

class ProviderFaultsTest : public ::testing::Test {
 protected:
  // The gateway still works and has charged exactly `expected` tokens.
  void expect_healthy(std::int64_t expected) {
    EXPECT_EQ(http_request(gw_.port(), "GET", "/").status, 200);
    const auto r =
        http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("openai"), kChat);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(used_tokens(gw_.port()), expected + 10);
  }
  HttpResponse post(const std::string& fault, const char* body = kChat,
                    const std::string& path = "/v1/chat/completions",
                    const std::string& provider = "openai") {
    return http_request(gw_.port(), "POST", path, with_provider(provider, {{"x-fault", fault}}),
                        body);
  }

  FakeUpstream openai_{scripted};
  AigwProcess gw_{"upstream: { read_timeout: 1s }\n" + providers_yaml(&openai_) +
                  provider_entry("openai-as-anthropic-caller", "openai", openai_.base_url())};
};

TEST_F(ProviderFaultsTest, HangBeforeHeadersIs504AndChargesNothing) {
  EXPECT_TRUE(is_openai_error(post("hang"), 504, "timed out"));
  expect_healthy(0);
}

TEST_F(ProviderFaultsTest, HangBetweenChunksEndsTheStreamWithAnErrorEvent) {
  const auto r = post("hang-between-chunks", kChatStream);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("timed out"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(http_request(gw_.port(), "GET", "/").status, 200);
}

TEST_F(ProviderFaultsTest, ATricklingAnswerIsStillReadWhole) {
  const auto r = post("trickle");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("slow"), std::string::npos);
  expect_healthy(10);
}

TEST_F(ProviderFaultsTest, AResetMidStreamEndsWithAnErrorEventInTheCallersFormat) {
  const auto r = post("reset-mid-stream", kChatStream);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  const auto a =
      post("reset-mid-stream", R"({"model":"m","max_tokens":5,"stream":true,"messages":[]})",
           "/v1/messages", "openai-as-anthropic-caller");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("event: error"), std::string::npos) << a.body;
  EXPECT_EQ(http_request(gw_.port(), "GET", "/").status, 200);
}

TEST_F(ProviderFaultsTest, MalformedSseIsRelayedOrSkippedButNeverCrashes) {
  const auto passthrough = post("malformed-sse", kChatStream);
  EXPECT_EQ(passthrough.status, 200);
  EXPECT_NE(passthrough.body.find("ok"), std::string::npos);
  const auto translated =
      post("malformed-sse", R"({"model":"m","max_tokens":5,"stream":true,"messages":[]})",
           "/v1/messages", "openai-as-anthropic-caller");
  EXPECT_EQ(translated.status, 200);
  EXPECT_FALSE(translated.body.empty());
  EXPECT_EQ(http_request(gw_.port(), "GET", "/").status, 200);
}

// A 200 passed through reached the caller: with no usage to read, it is charged an estimate
// (the prompt's plus the answer's bytes), never nothing. A translated one cannot be converted
// and is refused, and costs nothing.
TEST_F(ProviderFaultsTest, InvalidJsonWithA200IsPassedThroughAndEstimatedOrRefusedWhenTranslating) {
  const auto passthrough = post("invalid-json-200");
  EXPECT_EQ(passthrough.status, 200);  // the caller's own dialect: its bytes, unchanged
  const std::int64_t estimated = used_tokens(gw_.port());
  EXPECT_GT(estimated, 0);
  const auto translated =
      post("invalid-json-200", kMessages, "/v1/messages", "openai-as-anthropic-caller");
  EXPECT_TRUE(is_anthropic_error(translated, 502, "not a JSON object")) << translated.body;
  expect_healthy(estimated);
}

TEST_F(ProviderFaultsTest, ClientsThatLeaveAtEveryStageCostTheGatewayNothing) {
  const std::string body = kChat;
  const std::string head =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: openai\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n";
  {  // mid request line
    HttpConnection c(gw_.port());
    ASSERT_TRUE(c.send_raw("POST /v1/chat/comp"));
  }
  {  // mid headers
    HttpConnection c(gw_.port());
    ASSERT_TRUE(c.send_raw(head.substr(0, head.size() / 2)));
  }
  {  // headers done, body not sent
    HttpConnection c(gw_.port());
    ASSERT_TRUE(c.send_raw(head + "\r\n"));
  }
  {  // half the body
    HttpConnection c(gw_.port());
    ASSERT_TRUE(c.send_raw(head + "\r\n" + body.substr(0, body.size() / 2)));
  }
  {  // while the provider is still thinking
    HttpConnection c(gw_.port());
    ASSERT_TRUE(
        c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: openai\r\n"
                   "x-fault: slow\r\nx-request-id: client-left-early\r\nContent-Type: "
                   "application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body));
    ASSERT_TRUE(openai_.wait_for_requests(1, 10s));
  }
  ASSERT_TRUE(openai_.wait_for_finished(1, 10s));
  // The provider answered the slow request with usage after the client left: that usage was
  // paid for, so it is charged (once).
  ASSERT_TRUE(gw_.wait_for_line("client-left-early", 10s));
  expect_healthy(10);
}

}  // namespace
}  // namespace aigw::testing
