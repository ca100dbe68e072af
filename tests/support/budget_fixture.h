// The fixtures of the budget integration tests (tests/integration/budget_test.cc,
// budget_stream_test.cc, budget_auth_test.cc): fake OpenAI and Anthropic providers whose answers
// report known token counts, the real aigw started on them, and the same with the built-in issuer
// and clients of several teams.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
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

// Every non-streamed answer of the fake providers reports 10 input + 5 output tokens.
inline constexpr int kIn = 10;
inline constexpr int kOut = 5;
// The canned OpenAI stream reports 21 + 8; the Anthropic one 9 + 4 (api_checks.cc).
inline constexpr int kStreamIn = 21;
inline constexpr int kStreamOut = 8;

inline bool asked_for_usage(const UpstreamRequest& r) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return false;
  const auto* so = v.as_object().if_contains("stream_options");
  return so && so->is_object() && so->as_object().if_contains("include_usage") &&
         so->as_object().at("include_usage") == true;
}

inline bool is_stream(const UpstreamRequest& r) {
  return r.body.find("\"stream\":true") != std::string::npos;
}

inline Reply openai_reply(const UpstreamRequest& r) {
  if (!is_stream(r)) return Reply::json(200, openai_chat_answer("hello", kIn, kOut));
  std::vector<std::string> events = {openai_delta_event("hel"), openai_delta_event("lo")};
  // A real provider sends usage only when asked.
  if (asked_for_usage(r)) events.push_back(openai_usage_event(kStreamIn, kStreamOut));
  events.push_back(openai_done_event());
  return Reply::sse(std::move(events));
}

inline Reply anthropic_reply(const UpstreamRequest& r) {
  if (!is_stream(r)) return Reply::json(200, anthropic_message_answer("hello", kIn, kOut));
  return Reply::sse(anthropic_stream_events({"hel", "lo"}));
}

class BudgetTest : public ::testing::Test {
 protected:
  std::unique_ptr<AigwProcess> start(const std::string& more_yaml, AigwOptions options = {}) {
    return std::make_unique<AigwProcess>(providers_yaml(&openai_, &anthropic_) + more_yaml,
                                         std::move(options));
  }
  static HttpResponse chat(const AigwProcess& gw, const std::string& body = chat_request(),
                           Headers more = {}) {
    return http_request(gw.port(), "POST", "/v1/chat/completions",
                        with_provider("openai", std::move(more)), body);
  }
  static HttpResponse messages(const AigwProcess& gw, const std::string& body = messages_request(),
                               Headers more = {}) {
    return http_request(gw.port(), "POST", "/v1/messages",
                        with_provider("anthropic", std::move(more)), body);
  }
  static boost::json::value budget_of(const AigwProcess& gw, const Headers& headers = {}) {
    const auto r = http_request(gw.port(), "GET", "/v1/budget", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  FakeUpstream openai_{openai_reply};
  FakeUpstream anthropic_{anthropic_reply};
};

// --- with auth: teams from tokens ------------------------------------------------------------

inline std::string auth_yaml() {
  return std::string(
             "auth:\n"
             "  builtin_issuer: { keys_dir: ./keys }\n"
             "  clients:\n"
             "    - { client_id: alpha-bot, team: alpha, client_secret: alpha-secret, scopes: [ "
             "\"") +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: alpha-two, team: alpha, client_secret: alpha-two-secret, scopes: [ "
         "\"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: beta-bot, team: beta, client_secret: beta-secret, scopes: [ \"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: gamma-bot, team: gamma, client_secret: gamma-secret, scopes: [ \"" +
         kInvokeScope +
         "\" ] }\n"
         "    - { client_id: ops, team: ops, client_secret: ops-secret, scopes: [ \"" +
         kInvokeScope + "\", \"" + kAdminScope + "\" ] }\n";
}

class BudgetAuthTest : public BudgetTest {
 protected:
  std::unique_ptr<AigwProcess> start_with_auth(const std::string& teams_yaml,
                                               AigwOptions options = {}) {
    return start(auth_yaml() + teams_yaml, std::move(options));
  }
};

// The secret of each client in auth_yaml().
inline std::string secret_of(const std::string& client) {
  if (client == "alpha-two") return "alpha-two-secret";
  if (client == "ops") return "ops-secret";
  return client.substr(0, client.find('-')) + "-secret";
}

}  // namespace aigw::testing
