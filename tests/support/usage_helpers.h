// Helpers of the budget and ledger integration tests: request bodies, tokens from the built-in
// issuer, the usage report, and the UTC day arithmetic the daily budget period follows.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {

inline constexpr const char* kInvokeScope = "https://gateway.internal/invoke";
inline constexpr const char* kAdminScope = "https://gateway.internal/admin";

// A chat completion request; `extra` is spliced into the object (e.g. `,"stream":true`).
inline std::string chat_request(const std::string& model = "gpt-4o", const std::string& extra = "",
                                const std::string& text = "hi") {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":")" + text + "\"}]" +
         extra + "}";
}

inline std::string messages_request(const std::string& extra = "") {
  return R"({"model":"claude-sonnet-4-20250514","max_tokens":64,"messages":[{"role":"user","content":"hi"}])" +
         extra + "}";
}

// An OpenAI chat stream: one delta, the usage-only chunk include_usage adds, [DONE].
inline std::string openai_usage_event(int prompt_tokens, int completion_tokens) {
  return "data: "
         "{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
         "\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":" +
         std::to_string(prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(completion_tokens) +
         ",\"total_tokens\":" + std::to_string(prompt_tokens + completion_tokens) + "}}\n\n";
}

// POST /oauth2/token (client_credentials) on the gateway's built-in issuer; "" on failure
// (with a test failure saying why). Without `scope` the token has the client's scopes but the
// admin scope, which is granted only when asked for (scope=kAdminScope).
inline std::string fetch_token(std::uint16_t port, const std::string& client_id,
                               const std::string& secret, const std::string& scope = "") {
  std::string form =
      "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + secret;
  if (!scope.empty()) form += "&scope=" + scope;  // the scopes we use need no escaping
  const auto r = http_request(port, "POST", "/oauth2/token",
                              {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
  EXPECT_EQ(r.status, 200) << client_id << ": " << r.body;
  const auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("access_token")) return "";
  return std::string(v.at("access_token").as_string());
}

inline Headers bearer(const std::string& token, Headers more = {}) {
  more.emplace_back("Authorization", "Bearer " + token);
  return more;
}

// GET /admin/usage?QUERY, parsed; null (and a test failure) unless 200 with JSON.
inline boost::json::value usage_report(std::uint16_t port, const std::string& query,
                                       const Headers& headers = {}) {
  const auto r =
      http_request(port, "GET", "/admin/usage" + (query.empty() ? "" : "?" + query), headers);
  EXPECT_EQ(r.status, 200) << query << ": " << r.body;
  return r.status == 200 ? r.json() : boost::json::value();
}

inline std::int64_t int_at(const boost::json::value& v, std::string_view key) {
  if (!v.is_object() || !v.as_object().contains(key)) {
    ADD_FAILURE() << "no " << key << " in " << boost::json::serialize(v);
    return -1;
  }
  return v.at(key).to_number<std::int64_t>();
}

inline double double_at(const boost::json::value& v, std::string_view key) {
  if (!v.is_object() || !v.as_object().contains(key)) {
    ADD_FAILURE() << "no " << key << " in " << boost::json::serialize(v);
    return -1;
  }
  return v.at(key).to_number<double>();
}

// The UTC day the daily budget period is in, and its end (the next UTC midnight).
struct UtcDay {
  std::string key;       // "2026-11-24": the period's name
  std::string reset_at;  // "2026-11-25T00:00:00Z"
  std::int64_t seconds_left = 0;
};

inline std::string format_day(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd{day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

inline UtcDay utc_today() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto today = std::chrono::floor<std::chrono::days>(now);
  const auto tomorrow = today + std::chrono::days(1);
  return {format_day(today), format_day(tomorrow) + "T00:00:00Z", (tomorrow - now).count()};
}

}  // namespace aigw::testing
