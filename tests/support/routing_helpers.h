// Helpers of the routing integration tests (docs/routing.md): fake providers scripted by the
// order of their requests, x-portkey-config headers, provider error bodies, and reading what a
// fake provider received.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {

// The n-th request gets replies[n]; every later one gets the last reply. A fake provider answers
// on its own thread, so the count is atomic.
inline UpstreamHandler in_order(std::vector<Reply> replies) {
  auto shared = std::make_shared<const std::vector<Reply>>(std::move(replies));
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  return [shared, next](const UpstreamRequest&) {
    const std::size_t n = next->fetch_add(1);
    return (*shared)[n < shared->size() ? n : shared->size() - 1];
  };
}

// A provider error in the OpenAI shape.
inline std::string openai_error_body(const std::string& message,
                                     const std::string& type = "server_error") {
  return boost::json::serialize(boost::json::object{
      {"error", boost::json::object{
                    {"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}});
}

inline Reply openai_error(int status, const std::string& message = "provider failed",
                          Headers headers = {}) {
  return Reply::json(status, openai_error_body(message), std::move(headers));
}

inline Reply openai_ok(const std::string& text = "hi", int prompt_tokens = 7,
                       int completion_tokens = 3) {
  return Reply::json(200, openai_chat_answer(text, prompt_tokens, completion_tokens));
}

// An x-portkey-config header. A config that is valid JSON is sent on one line (a header value
// holds no line break, and the tests write long configs over several); anything else (a name,
// broken JSON) is sent as written.
// A chat completion through the gateway with these headers.
inline HttpResponse chat(const AigwProcess& gw, const Headers& headers,
                         const std::string& body = chat_request()) {
  return http_request(gw.port(), "POST", "/v1/chat/completions", headers, body);
}

inline Headers with_config(const std::string& config, Headers more = {}) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(config, ec);
  more.insert(more.begin(), {"x-portkey-config",
                             !ec && parsed.is_object() ? boost::json::serialize(parsed) : config});
  return more;
}

// Fast retries for tests: the backoff stays in the tens of milliseconds.
inline constexpr const char* kFastRouting = "routing: { backoff_base: 10ms, backoff_max: 40ms }\n";

// A field of the JSON body a fake provider received (null when absent or not JSON).
inline boost::json::value body_field(const UpstreamRequest& r, std::string_view key) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return nullptr;
  const auto* field = v.as_object().if_contains(key);
  return field ? *field : boost::json::value(nullptr);
}

inline std::string model_of(const UpstreamRequest& r) {
  const auto v = body_field(r, "model");
  return v.is_string() ? std::string(v.as_string()) : "";
}

inline std::chrono::milliseconds ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

inline std::chrono::milliseconds ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a);
}

// The entry of `provider` in GET /v1/providers (null and a test failure when absent).
inline boost::json::value provider_listing(std::uint16_t port, const std::string& provider) {
  const auto r = http_request(port, "GET", "/v1/providers");
  EXPECT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  if (v.is_object() && v.as_object().contains("data") && v.at("data").is_array()) {
    for (const auto& p : v.at("data").as_array()) {
      if (p.is_object() && p.as_object().contains("name") && p.at("name") == provider.c_str())
        return p;
    }
  }
  ADD_FAILURE() << "no provider " << provider << " in " << r.body;
  return nullptr;
}

// The breaker state GET /v1/providers shows for `provider` ("" when it shows none).
inline std::string breaker_state(std::uint16_t port, const std::string& provider) {
  const auto p = provider_listing(port, provider);
  if (!p.is_object()) return "";
  const auto* b = p.as_object().if_contains("breaker");
  if (!b || !b->is_object() || !b->as_object().contains("state")) return "";
  const auto& state = b->at("state");
  return state.is_string() ? std::string(state.as_string()) : "";
}

}  // namespace aigw::testing
