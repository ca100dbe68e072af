// Streams forwarded chunk by chunk: the first SSE event reaches the client long before the provider
// finishes; a stream the provider breaks ends with an error event in the caller's format.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;
constexpr auto kGap = 200ms;

std::vector<std::string> openai_events(int n) {
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) events.push_back(openai_delta_event("piece" + std::to_string(i)));
  events.push_back(openai_done_event());
  return events;
}

TEST(StreamingTest, FirstOpenAiEventReachesTheClientBeforeTheProviderFinishes) {
  FakeUpstream openai([](const UpstreamRequest&) { return Reply::sse(openai_events(5), kGap); });
  AigwProcess gw(providers_yaml(&openai));
  const auto r = http_request(
      gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
      R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_NE(r.header("content-type").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  ASSERT_TRUE(openai.wait_for_finished(1, 2s));
  const auto exchanges = openai.exchanges();
  ASSERT_FALSE(r.chunks.empty());
  // The provider took 5 × 200 ms to write its 6 events; the first one reached the client at
  // least 600 ms before the provider wrote the last (margin for a loaded sanitizer build).
  EXPECT_LT(r.chunks.front().at + 600ms, exchanges[0].last_write_at);
  EXPECT_GE(r.chunks.size(), 3u) << "the stream arrived in " << r.chunks.size()
                                 << " pieces, not event by event";
  EXPECT_EQ(r.chunks.front().data.rfind("data: ", 0), 0u) << r.chunks.front().data;
  EXPECT_NE(r.chunks.front().data.find("piece0"), std::string::npos) << r.chunks.front().data;
  EXPECT_EQ(r.chunks.front().data.find("piece1"), std::string::npos)
      << "the first piece waited for the second";
  std::string all;
  for (const auto& e : openai_events(5)) all += e;
  EXPECT_EQ(r.body, all);  // every byte, in order, unchanged
}

TEST(StreamingTest, AnthropicStreamArrivesEventByEventWithTheHeadersForwarded) {
  FakeUpstream anthropic([](const UpstreamRequest&) {
    return Reply::sse(anthropic_stream_events({"Hel", "lo", " there"}), 150ms);
  });
  AigwProcess gw(providers_yaml(nullptr, &anthropic));
  const auto r = http_request(
      gw.port(), "POST", "/v1/messages?beta=true",
      with_provider("anthropic", {{"anthropic-version", "2023-06-01"},
                                  {"anthropic-beta", "claude-code-20250219"},
                                  {"Accept", "text/event-stream"}}),
      R"({"model":"claude-sonnet-4-20250514","max_tokens":100,"stream":true,"messages":[]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  std::string all;
  for (const auto& e : anthropic_stream_events({"Hel", "lo", " there"})) all += e;
  EXPECT_EQ(r.body, all);
  EXPECT_EQ(r.chunks.front().data.rfind("event: message_start", 0), 0u);
  EXPECT_GE(r.chunks.size(), 5u);
  ASSERT_GE(r.chunks.size(), 2u);
  EXPECT_GE(r.chunks.back().at - r.chunks.front().at, 600ms);  // 8 events 150 ms apart, as sent
  const auto seen = anthropic.requests().at(0);
  EXPECT_EQ(seen.header("anthropic-beta"), "claude-code-20250219");
  EXPECT_EQ(seen.target, "/v1/messages?beta=true");
}

TEST(StreamingTest, SeveralStreamsRunConcurrentlyWithoutWaitingForEachOther) {
  FakeUpstream openai([](const UpstreamRequest&) { return Reply::sse(openai_events(5), kGap); });
  AigwProcess gw(providers_yaml(&openai));
  const auto started = Clock::now();
  std::vector<std::thread> clients;
  std::vector<HttpResponse> results(3);
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] = http_request(
          gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), R"({"stream":true})");
    });
  }
  for (auto& t : clients) t.join();
  for (const auto& r : results) {
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("[DONE]"), std::string::npos);
  }
  EXPECT_LT(Clock::now() - started, 2200ms);  // 3 × 1 s one after the other would be 3 s
}

TEST(StreamingTest, OpenAiStreamBrokenByTheProviderEndsWithAnErrorChunk) {
  FakeUpstream openai([](const UpstreamRequest&) {
    return Reply::broken_sse({openai_delta_event("a"), openai_delta_event("b")}, 50ms);
  });
  AigwProcess gw(providers_yaml(&openai));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"stream":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(openai_delta_event("b")), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("data: {\"error\":"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  EXPECT_TRUE(r.error.empty()) << "the chunked body should end cleanly after the error event: "
                               << r.error;
}

TEST(StreamingTest, AnthropicStreamBrokenByTheProviderEndsWithAnErrorEvent) {
  FakeUpstream anthropic([](const UpstreamRequest&) {
    auto events = anthropic_stream_events({"x"});
    events.resize(3);  // message_start, content_block_start, one delta
    return Reply::broken_sse(events, 50ms);
  });
  AigwProcess gw(providers_yaml(nullptr, &anthropic));
  const auto r = http_request(gw.port(), "POST", "/v1/messages", with_provider("anthropic"),
                              R"({"stream":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("event: message_start"), std::string::npos);
  EXPECT_NE(r.body.find("event: error\ndata: {\"type\":\"error\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("message_stop"), std::string::npos);
  // Tokens seen before the break are still logged.
  ASSERT_TRUE(gw.wait_for_access_lines(1, 5s));
  const auto line = gw.access_lines().back();
  ASSERT_TRUE(line.contains("input_tokens")) << boost::json::serialize(line);
  EXPECT_EQ(line.at("input_tokens").as_int64(), 9);
}

}  // namespace
}  // namespace aigw::testing
