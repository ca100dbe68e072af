// The JSON access log: one line per request on stdout with the documented fields, tokens when
// known, and never a key, a token or an Authorization value (on stdout or stderr).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class AccessLogTest : public ::testing::Test {
 protected:
  FakeUpstream openai_{[](const UpstreamRequest& r) {
    if (r.body.find("\"stream\":true") != std::string::npos) {
      return Reply::sse(
          {openai_delta_event("a"),
           "data: "
           "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_"
           "tokens\":21,\"completion_tokens\":8,\"total_tokens\":29}}\n\n",
           openai_done_event()});
    }
    return Reply::json(200, openai_chat_answer("hi", 7, 3));
  }};
  FakeUpstream anthropic_{[](const UpstreamRequest&) {
    return Reply::json(200, anthropic_message_answer("hi", 5, 2));
  }};
  AigwProcess gw_{providers_yaml(&openai_, &anthropic_)};

  // The only access line whose path is `path`.
  json::object line_for(const std::string& path) {
    EXPECT_TRUE(gw_.wait_for_line("\"path\":\"" + path + "\"", 5s)) << path;
    std::vector<json::object> found;
    for (auto& l : gw_.access_lines()) {
      if (l.contains("path") && l.at("path") == json::string_view(path)) found.push_back(l);
    }
    EXPECT_EQ(found.size(), 1u) << path;
    return found.empty() ? json::object{} : found.front();
  }
};

TEST_F(AccessLogTest, ProxiedRequestIsOneLineWithEveryDocumentedField) {
  const std::string body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
  const auto r = http_request(
      gw_.port(), "POST", "/v1/chat/completions",
      with_provider("openai", {{"Authorization", std::string("Bearer ") + kClientToken}}), body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = line_for("/v1/chat/completions");
  EXPECT_EQ(v.at("type"), "access");
  EXPECT_EQ(v.at("method"), "POST");
  EXPECT_EQ(v.at("provider"), "openai");
  EXPECT_EQ(v.at("model"), "gpt-4o");
  EXPECT_EQ(v.at("status").as_int64(), 200);
  EXPECT_EQ(v.at("stream"), false);
  EXPECT_EQ(json::value_to<std::string>(v.at("request_id")), r.header("x-request-id"));
  EXPECT_EQ(v.at("input_tokens").as_int64(), 7);
  EXPECT_EQ(v.at("output_tokens").as_int64(), 3);
  EXPECT_GE(v.at("bytes_in").to_number<std::int64_t>(), static_cast<std::int64_t>(body.size()));
  EXPECT_GE(v.at("bytes_out").to_number<std::int64_t>(), static_cast<std::int64_t>(r.body.size()));
  EXPECT_GE(v.at("latency_ms").to_number<double>(),
            v.at("upstream_latency_ms").to_number<double>());
  EXPECT_GE(v.at("upstream_latency_ms").to_number<double>(), 0.0);
  const std::string time(v.at("time").as_string());
  ASSERT_EQ(time.size(), 24u) << time;  // 2026-11-24T06:40:00.123Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
}

TEST_F(AccessLogTest, AW3cTraceparentIsForwardedUpstreamAndItsTraceIdLogged) {
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/chat/completions",
                         with_provider("openai", {{"traceparent", traceparent},
                                                  {"tracestate", "congo=t61rcWkgMzE"}}),
                         chat_request())
                .status,
            200);
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_EQ(openai_.requests()[0].header("traceparent"), traceparent);
  EXPECT_EQ(openai_.requests()[0].header("tracestate"), "congo=t61rcWkgMzE");
  EXPECT_EQ(line_for("/v1/chat/completions").at("trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");

  // Not a traceparent (upper case, all-zero trace id): not forwarded, nothing logged.
  for (const std::string bad : {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
                                "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}) {
    ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/messages",
                           with_provider("anthropic", {{"traceparent", bad}}), messages_request())
                  .status,
              200);
  }
  ASSERT_EQ(anthropic_.requests().size(), 2u);
  for (const auto& r : anthropic_.requests()) EXPECT_FALSE(r.has_header("traceparent"));
  ASSERT_TRUE(gw_.wait_for_access_lines(3, 5s));
  for (const auto& line : gw_.access_lines()) {
    if (line.at("path") == "/v1/messages") {
      EXPECT_FALSE(line.contains("trace_id"));
    }
  }
}

TEST_F(AccessLogTest, EveryRequestIsLoggedOnceIncludingErrorsAndHealthChecks) {
  HttpConnection c(gw_.port());
  ASSERT_EQ(c.request("GET", "/").status, 200);
  ASSERT_EQ(c.request("POST", "/v1/chat/completions", {}, "{}").status, 400);
  ASSERT_EQ(c.request("POST", "/v1/messages", with_provider("anthropic"),
                      R"({"model":"claude","messages":[]})")
                .status,
            200);
  ASSERT_EQ(c.request("GET", "/nope").status, 404);
  ASSERT_TRUE(gw_.wait_for_access_lines(3, 5s));
  std::this_thread::sleep_for(100ms);  // nothing more comes
  const auto lines = gw_.access_lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].at("status").as_int64(), 400);
  EXPECT_EQ(lines[2].at("provider"), "anthropic");
  EXPECT_EQ(lines[2].at("input_tokens").as_int64(), 5);
  EXPECT_EQ(lines[2].at("output_tokens").as_int64(), 2);
  EXPECT_EQ(lines[3].at("status").as_int64(), 404);
  for (const auto& line : lines) EXPECT_EQ(line.at("type"), "access");
  // Every stdout line is JSON.
  for (const auto& raw : gw_.log_lines()) {
    boost::system::error_code ec;
    json::parse(raw, ec);
    EXPECT_FALSE(ec) << raw;
  }
}

TEST_F(AccessLogTest, StreamedRequestLogsStreamTrueAndTheTokensFromTheStreamEnd) {
  const auto r = http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                              R"({"model":"gpt-4o","stream":true,"messages":[]})");
  ASSERT_EQ(r.status, 200);
  const auto v = line_for("/v1/chat/completions");
  EXPECT_EQ(v.at("stream"), true);
  EXPECT_EQ(v.at("input_tokens").as_int64(), 21);
  EXPECT_EQ(v.at("output_tokens").as_int64(), 8);
}

TEST_F(AccessLogTest, NoSecretEverReachesStdoutOrStderr) {
  const Headers secrets = {{"Authorization", std::string("Bearer ") + kClientToken},
                           {"x-api-key", kClientToken},
                           {"api-key", kClientToken},
                           {"Cookie", std::string("session=") + kClientToken}};
  http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("openai", secrets),
               R"({"model":"gpt-4o"})");
  http_request(gw_.port(), "POST", "/v1/messages?beta=true", with_provider("anthropic", secrets),
               R"({"model":"c"})");
  http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("nope", secrets), "{}");
  http_request(gw_.port(), "POST", "/v1/chat/completions", secrets, "{bad json");
  http_request(gw_.port(), "POST", "/v1/messages", with_provider("mock", secrets),
               R"({"max_tokens":5,"messages":[]})");
  ASSERT_TRUE(gw_.wait_for_access_lines(5, 5s));
  const auto out = gw_.stdout_text();
  const auto err = gw_.stderr_text();
  for (const char* secret : {kClientToken, kProviderKey}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " on stdout:\n" << out;
    EXPECT_EQ(err.find(secret), std::string::npos) << secret << " on stderr:\n" << err;
  }
  EXPECT_EQ(out.find("Bearer"), std::string::npos) << out;
}

TEST_F(AccessLogTest, ProviderFailuresNameNoKeyEither) {
  FakeUpstream rejecting([](const UpstreamRequest& r) {
    // A provider echoing the key it got in its error, as some do.
    return Reply::json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " +
                                r.header("authorization") + "\"}}");
  });
  AigwProcess gw(providers_yaml(&rejecting));
  const auto r =
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("openai"), "{}");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body.find(kProviderKey), std::string::npos)
      << "the caller must never see the provider key: " << r.body;
  ASSERT_TRUE(gw.wait_for_access_lines(1, 5s));
  EXPECT_EQ(gw.stdout_text().find(kProviderKey), std::string::npos);
  EXPECT_EQ(gw.stderr_text().find(kProviderKey), std::string::npos);
}

TEST(AccessLogConfigTest, AccessLogFalseWritesNoAccessLines) {
  AigwProcess gw("log: { access_log: false }\n");
  ASSERT_EQ(http_request(gw.port(), "GET", "/").status, 200);
  ASSERT_EQ(
      http_request(gw.port(), "POST", "/v1/chat/completions", with_provider("mock"), "{}").status,
      200);
  // Stopped and exited, every line it would have written is out: none is an access line.
  gw.send_signal(SIGTERM);
  ASSERT_EQ(gw.wait_exit(10s), 0);
  EXPECT_TRUE(gw.access_lines().empty());
}

}  // namespace
}  // namespace aigw::testing
