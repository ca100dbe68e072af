// Hostile input from a caller with a valid request (issue 9, docs/security.md): values that
// would reach an upstream request line, host or header; provider headers and internal
// addresses that must stay inside; the mock provider served only where named and bounded;
// streams bounded in size and duration. Each case names the class of attack it covers.
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

std::string gemini_answer() {
  return R"({"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}],)"
         R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}})";
}

std::string chat_body(const std::string& model) {
  return json::serialize(
      json::object{{"model", model},
                   {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}});
}

class GeminiPathTest : public ::testing::Test {
 protected:
  FakeUpstream gemini_{[](const UpstreamRequest&) { return Reply::json(200, gemini_answer()); }};
  AigwProcess gw_{"providers:\n" + provider_entry("gemini", "google", gemini_.base_url())};
};

TEST_F(GeminiPathTest, AValidModelBecomesOneEncodedPathSegment) {
  const auto r = http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("gemini"),
                              chat_body("models/gemini-2.5-pro"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(gemini_.requests().size(), 1u);
  EXPECT_EQ(gemini_.requests()[0].target, "/v1/models/gemini-2.5-pro:generateContent");
}

TEST_F(GeminiPathTest, ModelsThatWouldSmuggleARequestOrReachAnotherEndpointAre400) {
  // CR LF: a second upstream request carrying the gateway's key; ../ ? # %: other endpoints.
  for (const std::string& model :
       {std::string("gemini-pro:generateContent HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/files"),
        std::string("../files"), std::string("gemini-pro/../../files"),
        std::string("gemini-pro:x?key=1"), std::string("gemini#x"),
        std::string("gemini%2F..%2Ffiles"), std::string("gemini pro"),
        std::string(std::string("a\0b", 3)), std::string(300, 'g')}) {
    const auto r = http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("gemini"),
                                chat_body(model));
    EXPECT_TRUE(is_openai_error(r, 400, "invalid model")) << r.body;
    const auto a =
        http_request(gw_.port(), "POST", "/v1/messages", with_provider("gemini"),
                     json::serialize(json::object{
                         {"model", model}, {"max_tokens", 5}, {"messages", json::array{}}}));
    EXPECT_TRUE(is_anthropic_error(a, 400, "invalid model")) << a.body;
  }
  EXPECT_TRUE(gemini_.requests().empty());
}

TEST(CallerValuesTest, ModelThatIsNotAStringOrIsHugeIsRefusedAndNeverLogged) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai));
  const std::string huge(400 * 1024, 'm');
  EXPECT_TRUE(is_openai_error(http_request(gw.port(), "POST", "/v1/chat/completions",
                                           with_provider("openai"), chat_body(huge)),
                              400, "invalid model: longer than 256 characters"));
  EXPECT_TRUE(
      is_openai_error(http_request(gw.port(), "POST", "/v1/chat/completions",
                                   with_provider("openai"), R"({"model":{"a":1},"messages":[]})"),
                      400, "invalid model: must be a string"));
  EXPECT_TRUE(openai.requests().empty());
  ASSERT_TRUE(gw.wait_for_access_lines(2, 10s));
  for (const auto& line : gw.log_lines()) EXPECT_LT(line.size(), 4096u) << line.substr(0, 200);
}

TEST(CallerValuesTest, ProviderNameMustBeAPlainName) {
  AigwProcess gw("");
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions",
                              {{"x-portkey-provider", std::string(5000, 'p')}}, "{}");
  EXPECT_TRUE(is_openai_error(r, 400, "invalid x-portkey-provider"));
  EXPECT_LT(r.body.size(), 1024u);
}

TEST(CallerValuesTest, HeadersNamedInConnectionStopAtTheGateway) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions",
                              with_provider("openai", {{"Connection", "keep-alive, X-Hop-Secret"},
                                                       {"Connection", "x-other-hop"},
                                                       {"x-hop-secret", "1"},
                                                       {"x-other-hop", "2"},
                                                       {"x-end-to-end", "3"}}),
                              chat_body("gpt-4o"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(openai.requests().size(), 1u);
  EXPECT_FALSE(openai.requests()[0].has_header("x-hop-secret"));
  EXPECT_FALSE(openai.requests()[0].has_header("x-other-hop"));
  EXPECT_EQ(openai.requests()[0].header("x-end-to-end"), "3");
}

TEST(CallerValuesTest, ControlCharactersInAForwardedHeaderNeverReachTheProvider) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai));
  const std::string body = chat_body("gpt-4o");
  for (const std::string& value :
       {std::string("a\0b", 3), std::string("a\x01") + "b", std::string("a\x7f")}) {
    HttpConnection c(gw.port());
    ASSERT_TRUE(
        c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-provider: openai\r\n"
                   "openai-beta: " +
                   value + "\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body));
    EXPECT_EQ(c.read_response().status, 400);
  }
  EXPECT_TRUE(openai.requests().empty());
}

TEST(InternalDetailsTest, ProviderHeadersAboutItsAccountStayInside) {
  const Headers account = {
      {"openai-organization", "org-SECRET"},   {"openai-project", "proj_SECRET"},
      {"anthropic-organization-id", "SECRET"}, {"x-ratelimit-limit-tokens", "30000000"},
      {"set-cookie", "__cf_bm=SECRET"},        {"openai-processing-ms", "12"}};
  FakeUpstream openai([&](const UpstreamRequest& req) {
    if (req.body.find("\"stream\":true") != std::string::npos) {
      Reply s = Reply::sse({openai_delta_event("hi"), openai_done_event()});
      s.headers.insert(s.headers.end(), account.begin(), account.end());
      return s;
    }
    return Reply::json(200, openai_chat_answer(), account);
  });
  AigwProcess gw(providers_yaml(&openai));
  for (const std::string& body :
       {chat_body("gpt-4o"), std::string(R"({"model":"gpt-4o","stream":true,"messages":[]})")}) {
    const auto r =
        http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), body);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& [name, value] : r.headers)
      EXPECT_EQ(value.find("SECRET"), std::string::npos) << name;
    EXPECT_FALSE(r.has_header("openai-processing-ms"));
    EXPECT_NE(r.header("x-ratelimit-limit-tokens"), "30000000");
  }
}

TEST(InternalDetailsTest, AnUnreachableProviderIsNamedButItsAddressOnlyLogged) {
  const std::string port = std::to_string(closed_port());
  AigwProcess gw("providers:\n" +
                 provider_entry("openai", "openai", "http://127.0.0.1:" + port + "/v1"));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              chat_body("gpt-4o"));
  EXPECT_TRUE(is_openai_error(r, 502, "provider \"openai\" is unreachable"));
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(port), std::string::npos) << r.body;
  ASSERT_TRUE(gw.wait_for_line("127.0.0.1:" + port, 10s)) << "the access log keeps the address";
}

TEST(MockProviderBoundsTest, MockIsServedOnlyWhereTheConfigNamesIt) {
  FakeUpstream openai(
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer()); });
  AigwProcess gw(providers_yaml(&openai));
  EXPECT_TRUE(is_openai_error(http_request(gw.port(), "POST", "/v1/embeddings",
                                           with_provider("mock"), R"({"model":"m","input":"x"})"),
                              400, "unknown provider \"mock\""));
  AigwProcess named("providers:\n  mock: {}\n");
  EXPECT_EQ(http_request(named.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}")
                .status,
            200);
}

TEST(MockProviderBoundsTest, EmbeddingsInputsTimesDimensionsAreCapped) {
  AigwProcess gw("providers:\n  mock: {}\n");
  json::array many;
  for (int i = 0; i < 3000; ++i) many.push_back("x");
  EXPECT_TRUE(
      is_openai_error(http_request(gw.port(), "POST", "/v1/embeddings", with_provider("mock"),
                                   json::serialize(json::object{{"model", "m"}, {"input", many}})),
                      400, "exceed the mock's limits"));
  json::array sixty_four;
  for (int i = 0; i < 64; ++i) sixty_four.push_back(json::string("x" + std::to_string(i)));
  const auto at_limit = http_request(
      gw.port(), "POST", "/v1/embeddings", with_provider("mock"),
      json::serialize(json::object{{"model", "m"}, {"input", sixty_four}, {"dimensions", 4096}}));
  EXPECT_EQ(at_limit.status, 200);
  sixty_four.push_back("one more");
  EXPECT_EQ(http_request(gw.port(), "POST", "/v1/embeddings", with_provider("mock"),
                         json::serialize(json::object{
                             {"model", "m"}, {"input", sixty_four}, {"dimensions", 4096}}))
                .status,
            400);
}

TEST(StreamBoundsTest, AnEndlessStreamIsCutAtMaxStreamDuration) {
  std::vector<std::string> events(200, openai_delta_event("tick "));
  FakeUpstream openai([&](const UpstreamRequest&) { return Reply::sse(events, 50ms); });
  AigwProcess gw("upstream: { max_stream_duration: 1s }\n" + providers_yaml(&openai));
  const auto started = Clock::now();
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"model":"gpt-4o","stream":true,"messages":[]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("max_stream_duration"), std::string::npos)
      << r.body.substr(r.body.size() - 300);
  EXPECT_LT(Clock::now() - started, 9s) << "200 events 50 ms apart take 10 s; the limit is 1 s";
  // The gateway serves the next request.
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
}

TEST(StreamBoundsTest, AStreamLargerThanMaxStreamBytesIsCut) {
  std::vector<std::string> events(100, openai_delta_event(std::string(100, 'x')));
  events.push_back(openai_done_event());
  FakeUpstream openai([&](const UpstreamRequest&) { return Reply::sse(events); });
  AigwProcess gw("upstream: { max_stream_bytes: 4KiB }\n" + providers_yaml(&openai));
  const auto r = http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"model":"gpt-4o","stream":true,"messages":[]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("max_stream_bytes"), std::string::npos);
  EXPECT_LT(r.body.size(), 8u * 1024);
}

}  // namespace
}  // namespace aigw::testing
