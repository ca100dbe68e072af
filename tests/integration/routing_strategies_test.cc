// Routing (docs/routing.md), the strategies: fallback across dialects (each attempt translated,
// streams included), load balancing by weight, conditional routing on the body and on
// x-portkey-metadata, nested targets, override_params, and configs named in the YAML, used by
// name or pinned to a team.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/routing_helpers.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

bool is_stream(const UpstreamRequest& r) { return body_field(r, "stream") == json::value(true); }

// An Anthropic Messages provider: a whole answer or a stream, as asked.
Reply anthropic_reply(const UpstreamRequest& r) {
  if (is_stream(r)) return Reply::sse(anthropic_stream_events({"from ", "anthropic"}));
  return Reply::json(200, anthropic_message_answer("from anthropic", 5, 2));
}

Reply anthropic_down(const UpstreamRequest&) {
  return Reply::json(
      529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
}

// An OpenAI provider: chat (whole or streamed) and embeddings.
Reply openai_reply(const UpstreamRequest& r) {
  if (r.path() == "/v1/embeddings") {
    return Reply::json(
        200,
        R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"e","usage":{"prompt_tokens":1,"total_tokens":1}})");
  }
  if (is_stream(r)) {
    return Reply::sse(
        {openai_delta_event("from "), openai_delta_event("openai"), openai_done_event()});
  }
  return openai_ok("from openai");
}

// --- 6. fallback across dialects ------------------------------------------------------------

class RoutingCrossDialectTest : public ::testing::Test {
 protected:
  FakeUpstream openai_down_{in_order({openai_error(500, "openai is down")})};
  FakeUpstream openai_{openai_reply};
  FakeUpstream anthropic_{anthropic_reply};
  FakeUpstream anthropic_down_{anthropic_down};
  AigwProcess gw_{"providers:\n" + provider_entry("oa-down", "openai", openai_down_.base_url()) +
                  provider_entry("oa", "openai", openai_.base_url()) +
                  provider_entry("an", "anthropic", anthropic_.base_url()) +
                  provider_entry("an-down", "anthropic", anthropic_down_.base_url())};

  static constexpr const char* kOpenaiThenAnthropic =
      R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"oa-down"},{"provider":"an","override_params":{"model":"claude-sonnet-4-5"}}]})";
  static constexpr const char* kAnthropicThenOpenai =
      R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"an-down"},{"provider":"oa","override_params":{"model":"gpt-4o"}}]})";
};

TEST_F(RoutingCrossDialectTest, AChatCallerFallsBackToAnAnthropicProviderAndGetsAChatCompletion) {
  const auto r = chat(gw_, with_config(kOpenaiThenAnthropic));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("object"), "chat.completion") << r.body;
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), "from anthropic") << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "an");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(openai_down_.requests().size(), 1u);
  ASSERT_EQ(anthropic_.requests().size(), 1u);
  const UpstreamRequest seen = anthropic_.requests()[0];  // a copy: requests() is by value
  EXPECT_EQ(seen.path(), "/v1/messages");
  EXPECT_EQ(seen.header("x-api-key"), kProviderKey);
  EXPECT_EQ(model_of(seen), "claude-sonnet-4-5");
  EXPECT_TRUE(body_field(seen, "max_tokens").is_number()) << seen.body;  // Anthropic needs it
}

TEST_F(RoutingCrossDialectTest, AStreamingChatCallerFallsBackToAnAnthropicStream) {
  const auto r =
      chat(gw_, with_config(kOpenaiThenAnthropic), chat_request("gpt-4o", ",\"stream\":true"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("chat.completion.chunk"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("content_block_delta"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("from "), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("anthropic"), std::string::npos) << r.body;
  ASSERT_GE(r.body.size(), 14u);
  EXPECT_EQ(r.body.substr(r.body.size() - 14), "data: [DONE]\n\n") << r.body;
  ASSERT_EQ(anthropic_.requests().size(), 1u);
  EXPECT_EQ(anthropic_.requests()[0].path(), "/v1/messages");
  EXPECT_TRUE(is_stream(anthropic_.requests()[0])) << anthropic_.requests()[0].body;
}

TEST_F(RoutingCrossDialectTest, AnAnthropicCallerFallsBackToAnOpenaiProviderAndGetsAMessage) {
  const auto r = http_request(gw_.port(), "POST", "/v1/messages", with_config(kAnthropicThenOpenai),
                              messages_request());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("type"), "message") << r.body;
  EXPECT_EQ(v.at("content").at(0).at("text"), "from openai") << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "oa");
  EXPECT_EQ(anthropic_down_.requests().size(), 1u);
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_EQ(openai_.requests()[0].path(), "/v1/chat/completions");
  EXPECT_EQ(model_of(openai_.requests()[0]), "gpt-4o");

  const auto s = http_request(gw_.port(), "POST", "/v1/messages", with_config(kAnthropicThenOpenai),
                              messages_request(",\"stream\":true"));
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_NE(s.body.find("event: message_start"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("openai"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("event: message_stop"), std::string::npos) << s.body;
}

TEST_F(RoutingCrossDialectTest, ATargetThatCannotServeTheEndpointIsSkipped) {
  const auto r = http_request(
      gw_.port(), "POST", "/v1/embeddings",
      with_config(
          R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"an"},{"provider":"oa"}]})"),
      R"({"model":"text-embedding-3-small","input":"hi"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "oa");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(anthropic_.requests().size(), 0u);
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_EQ(openai_.requests()[0].path(), "/v1/embeddings");
}

// --- 7. load balancing ------------------------------------------------------------------------

class RoutingLoadbalanceTest : public ::testing::Test {
 protected:
  FakeUpstream a_{in_order({openai_ok("a")})};
  FakeUpstream b_{in_order({openai_ok("b")})};
  FakeUpstream c_{in_order({openai_ok("c")})};
  AigwProcess gw_{"providers:\n" + provider_entry("a", "openai", a_.base_url()) +
                  provider_entry("b", "openai", b_.base_url()) +
                  provider_entry("c", "openai", c_.base_url())};

  // Sends `n` requests on one kept-alive connection; how many each provider served, by the
  // answer's x-portkey-provider.
  std::map<std::string, int> spread(const std::string& config, int n) {
    std::map<std::string, int> served;
    HttpConnection conn(gw_.port());
    for (int i = 0; i < n; ++i) {
      const auto r =
          conn.request("POST", "/v1/chat/completions", with_config(config), chat_request());
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      ++served[r.header("x-portkey-provider")];
    }
    return served;
  }
};

TEST_F(RoutingLoadbalanceTest, TargetsArePickedInProportionToTheirWeightAndWeightZeroNever) {
  auto served = spread(
      R"({"strategy":{"mode":"loadbalance"},"targets":[{"provider":"a","weight":1},{"provider":"b","weight":3},{"provider":"c","weight":0}]})",
      400);
  // Expected 100 / 300 / 0; B's share has a standard deviation of about 9 requests, so 60–90 %
  // fails only if the weights are not followed.
  EXPECT_EQ(served["a"] + served["b"], 400);
  EXPECT_GE(served["b"], 240) << "a " << served["a"] << ", b " << served["b"];
  EXPECT_LE(served["b"], 360) << "a " << served["a"] << ", b " << served["b"];
  EXPECT_EQ(served["c"], 0);
  EXPECT_EQ(c_.requests().size(), 0u);
  EXPECT_EQ(a_.requests().size(), static_cast<std::size_t>(served["a"]));
  EXPECT_EQ(b_.requests().size(), static_cast<std::size_t>(served["b"]));
}

TEST_F(RoutingLoadbalanceTest, TheDefaultWeightIsOne) {
  auto served = spread(
      R"({"strategy":{"mode":"loadbalance"},"targets":[{"provider":"a"},{"provider":"b"}]})", 100);
  // Each is picked half the time: both serve some of 100 (all on one: p = 2^-99).
  EXPECT_GT(served["a"], 0);
  EXPECT_GT(served["b"], 0);
  EXPECT_EQ(served["a"] + served["b"], 100);
}

TEST_F(RoutingLoadbalanceTest, AFallbackToANestedLoadbalanceNamesTheNestedTarget) {
  FakeUpstream down(in_order({openai_error(500, "down")}));
  AigwProcess gw("providers:\n" + provider_entry("down", "openai", down.base_url()) +
                 provider_entry("b", "openai", b_.base_url()) +
                 provider_entry("c", "openai", c_.base_url()));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"down"},{"strategy":{"mode":"loadbalance"},"targets":[{"provider":"b","weight":0},{"provider":"c","weight":1}]}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "c");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1].targets[1]");
  EXPECT_EQ(down.requests().size(), 1u);
  EXPECT_EQ(c_.requests().size(), 1u);
}

// --- 8. conditional routing -------------------------------------------------------------------

class RoutingConditionalTest : public RoutingLoadbalanceTest {
 protected:
  // The provider that served a request with `body` and `more` headers under `config` ("" and a
  // test failure when not 200).
  std::string served_by(const std::string& config, const std::string& body, Headers more = {}) {
    const auto r = chat(gw_, with_config(config, std::move(more)), body);
    EXPECT_EQ(r.status, 200) << body << ": " << r.body;
    return r.status == 200 ? r.header("x-portkey-provider") : "";
  }
  std::size_t forwarded() const {
    return a_.requests().size() + b_.requests().size() + c_.requests().size();
  }

  static constexpr const char* kByModelAndTier = R"({
    "strategy": {"mode": "conditional",
      "conditions": [
        {"query": {"params.model": {"$eq": "smart"}}, "then": "big"},
        {"query": {"metadata.tier": {"$in": ["gold", "platinum"]}}, "then": "big"},
        {"query": {"params.model": {"$regex": "^mini-[0-9]+$"}}, "then": "small"}],
      "default": "other"},
    "targets": [{"name": "big", "provider": "a"}, {"name": "small", "provider": "b"},
                {"name": "other", "provider": "c"}]})";
};

TEST_F(RoutingConditionalTest, TheFirstMatchingConditionNamesTheTargetElseTheDefault) {
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("smart")), "a");
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("gpt-4o"),
                      {{"x-portkey-metadata", R"({"tier":"gold"})"}}),
            "a");
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("mini-42")), "b");
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("mini-fast")), "c");  // the regex fails
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("gpt-4o"),
                      {{"x-portkey-metadata", R"({"tier":"bronze"})"}}),
            "c");
  EXPECT_EQ(served_by(kByModelAndTier, chat_request("gpt-4o")), "c");
  // "mini-7" with a gold tier matches the second condition and the third: the first match wins.
  const auto r =
      chat(gw_, with_config(kByModelAndTier, {{"x-portkey-metadata", R"({"tier":"gold"})"}}),
           chat_request("mini-7"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "a");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[0]");
  const auto d = chat(gw_, with_config(kByModelAndTier), chat_request("gpt-4o"));
  EXPECT_EQ(d.header("x-portkey-last-used-option-index"), "config.targets[2]");
}

TEST_F(RoutingConditionalTest, CombinatorsComparisonsAndMissingPathsFollowTheSpec) {
  const std::string config = R"({
    "strategy": {"mode": "conditional",
      "conditions": [
        {"query": {"$and": [{"params.max_tokens": {"$gte": 1000}},
                            {"params.temperature": {"$lt": 0.5}}]}, "then": "big"},
        {"query": {"$or": [{"metadata.team": {"$eq": "research"}},
                           {"params.metadata.tier": {"$eq": "gold"}}]}, "then": "small"},
        {"query": {"metadata.env": {"$nin": ["prod"]}}, "then": "other"}]},
    "targets": [{"name": "big", "provider": "a"}, {"name": "small", "provider": "b"},
                {"name": "other", "provider": "c"}]})";
  const Headers prod = {{"x-portkey-metadata", R"({"env":"prod"})"}};
  EXPECT_EQ(served_by(config, chat_request("m", R"(,"max_tokens":2000,"temperature":0.2)"), prod),
            "a");
  EXPECT_EQ(served_by(config, chat_request("m", R"(,"max_tokens":999,"temperature":0.2)"),
                      {{"x-portkey-metadata", R"({"env":"prod","team":"research"})"}}),
            "b");
  // A nested body field.
  EXPECT_EQ(served_by(config, chat_request("m", R"(,"metadata":{"tier":"gold"})"), prod), "b");
  // metadata.env is missing: $nin matches a path the request does not have.
  EXPECT_EQ(served_by(config, chat_request("m")), "c");
  const std::size_t before = forwarded();
  // No condition matches and there is no default: 400, and nothing is sent.
  const auto none = chat(gw_, with_config(config, prod),
                         chat_request("m", R"(,"max_tokens":2000,"temperature":0.9)"));
  EXPECT_TRUE(is_openai_error(none, 400, "")) << none.body;
  EXPECT_EQ(forwarded(), before);
}

// The text is a body field other than the model (a model id is at most 256 characters).
TEST_F(RoutingConditionalTest, ARunawayRegexDoesNotMatchAndDoesNotHangTheGateway) {
  const std::string config = R"({
    "strategy": {"mode": "conditional",
      "conditions": [{"query": {"params.user": {"$regex": "^(a+)+$"}}, "then": "big"}],
      "default": "other"},
    "targets": [{"name": "big", "provider": "a"}, {"name": "other", "provider": "c"}]})";
  const auto start = Clock::now();
  EXPECT_EQ(
      served_by(config, chat_request("m", R"(,"user":")" + std::string(3000, 'a') + "b\""), {}),
      "c");
  EXPECT_LT(ms_since(start), 10s);
  EXPECT_EQ(served_by(config, chat_request("m", R"(,"user":"aaaa")")), "a");
}

// --- 9. named configs and team pinning --------------------------------------------------------

class RoutingNamedConfigTest : public ::testing::Test {
 protected:
  std::string yaml(const std::string& more = "") const {
    return "providers:\n" + provider_entry("a", "openai", a_.base_url()) +
           provider_entry("b", "openai", b_.base_url()) +
           "routing:\n"
           "  backoff_base: 10ms\n"
           "  configs:\n"
           "    resilient:\n"
           "      strategy: { mode: fallback }\n"
           "      targets:\n"
           "        - provider: a\n"
           "        - provider: b\n"
           "          override_params: { model: b-model }\n" +
           more;
  }

  FakeUpstream a_{in_order({openai_error(500, "a is down")})};
  FakeUpstream b_{in_order({openai_ok("answer from b")})};
};

TEST_F(RoutingNamedConfigTest, AConfigNamedInTheYamlIsUsedByName) {
  AigwProcess gw(yaml());
  const auto r = chat(gw, with_config("resilient"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  EXPECT_EQ(a_.requests().size(), 1u);
  ASSERT_EQ(b_.requests().size(), 1u);
  EXPECT_EQ(model_of(b_.requests()[0]), "b-model");
}

TEST_F(RoutingNamedConfigTest, AnUnknownConfigNameIs400AndNothingIsSent) {
  AigwProcess gw(yaml());
  const auto r = chat(gw, with_config("resilent"));
  EXPECT_TRUE(is_openai_error(r, 400, "resilent")) << r.body;
  const auto m =
      http_request(gw.port(), "POST", "/v1/messages", with_config("resilent"), messages_request());
  EXPECT_TRUE(is_anthropic_error(m, 400, "resilent")) << m.body;
  EXPECT_EQ(a_.requests().size() + b_.requests().size(), 0u);
}

// Auth is off: every request is the "default" team's.
TEST_F(RoutingNamedConfigTest, ATeamsPinnedConfigServesRequestsThatNameNone) {
  AigwProcess gw(yaml("teams:\n  default: { config: resilient }\n"));
  const auto r = chat(gw, {});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(r.header("x-portkey-last-used-option-index"), "config.targets[1]");
  // A config the request names wins over the pinned one.
  const auto own =
      chat(gw, with_config(R"({"strategy":{"mode":"single"},"targets":[{"provider":"b"}]})"));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.header("x-portkey-last-used-option-index"), "config.targets[0]");
  EXPECT_EQ(a_.requests().size(), 1u);
  EXPECT_EQ(b_.requests().size(), 2u);
}

// The documented order: x-portkey-config, then the team's config, then x-portkey-provider.
TEST_F(RoutingNamedConfigTest, ATeamsPinnedConfigComesBeforeXPortkeyProvider) {
  AigwProcess gw(yaml("teams:\n  default: { config: resilient }\n"));
  const auto r = chat(gw, with_provider("a"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-portkey-provider"), "b");
  EXPECT_EQ(b_.requests().size(), 1u);
}

TEST_F(RoutingNamedConfigTest, ThePinIsTheTeamOfTheCallersToken) {
  AigwOptions options;
  options.disable_auth = false;
  AigwProcess gw(
      yaml("teams:\n  platform: { config: resilient }\n") +
          "auth:\n"
          "  builtin_issuer: { keys_dir: ./keys }\n"
          "  clients:\n"
          "    - { client_id: platform-bot, team: platform, client_secret: platform-secret, "
          "scopes: [ \"" +
          kInvokeScope +
          "\" ] }\n"
          "    - { client_id: other-bot, team: other, client_secret: other-secret, scopes: [ \"" +
          kInvokeScope + "\" ] }\n",
      options);
  const std::string platform = fetch_token(gw.port(), "platform-bot", "platform-secret");
  const std::string other = fetch_token(gw.port(), "other-bot", "other-secret");
  const auto pinned = chat(gw, bearer(platform));
  ASSERT_EQ(pinned.status, 200) << pinned.body;
  EXPECT_EQ(pinned.header("x-portkey-provider"), "b");
  // Another team has no pin: with no header either, nothing says where the request goes.
  const auto unpinned = chat(gw, bearer(other));
  EXPECT_EQ(unpinned.status, 400) << unpinned.body;
  EXPECT_EQ(a_.requests().size(), 1u);
  EXPECT_EQ(b_.requests().size(), 1u);
}

// The start line is printed once the config is loaded, so a failed start has none.
std::string start_failure(const std::string& yaml) {
  try {
    AigwProcess gw(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST_F(RoutingNamedConfigTest, ABadNamedConfigStopsStartUpNamingTheField) {
  const std::string bad_attempts = start_failure(
      yaml() + "    broken:\n      retry: { attempts: 9 }\n      targets: [ { provider: a } ]\n");
  EXPECT_NE(bad_attempts.find("retry.attempts"), std::string::npos) << bad_attempts;
  const std::string bad_provider =
      start_failure(yaml() + "    broken:\n      targets: [ { provider: nope } ]\n");
  EXPECT_NE(bad_provider.find("nope"), std::string::npos) << bad_provider;
}

// A pin that names no config could only fail every request of the team: it is a config error.
TEST_F(RoutingNamedConfigTest, APinNamingNoConfigStopsStartUp) {
  const std::string bad_pin =
      start_failure(yaml("teams:\n  default: { config: no-such-config }\n"));
  EXPECT_NE(bad_pin.find("no-such-config"), std::string::npos) << bad_pin;
}

// --- 14. override_params ----------------------------------------------------------------------

TEST(RoutingOverrideTest, OverrideParamsAreSetOnTheBodyAndInheritedWithTheChildsKeysWinning) {
  FakeUpstream a(in_order({openai_ok()}));
  AigwProcess gw("providers:\n" + provider_entry("a", "openai", a.base_url()));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"override_params":{"model":"root-model","temperature":0.25},"targets":[{"provider":"a","override_params":{"model":"child-model"}}]})"),
      chat_request("caller-model", R"(,"temperature":0.9,"max_tokens":77)"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(a.requests().size(), 1u);
  const UpstreamRequest seen = a.requests()[0];
  EXPECT_EQ(model_of(seen), "child-model");
  EXPECT_EQ(body_field(seen, "temperature").to_number<double>(), 0.25) << seen.body;
  EXPECT_EQ(body_field(seen, "max_tokens").to_number<int>(), 77) << seen.body;  // untouched
  EXPECT_TRUE(body_field(seen, "messages").is_array()) << seen.body;
}

TEST(RoutingOverrideTest, CamelCaseOverrideParamsWork) {
  FakeUpstream a(in_order({openai_ok()}));
  AigwProcess gw("providers:\n" + provider_entry("a", "openai", a.base_url()));
  const auto r = chat(
      gw,
      with_config(
          R"({"strategy":{"mode":"single"},"targets":[{"provider":"a","overrideParams":{"model":"camel-model"}}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(a.requests().size(), 1u);
  EXPECT_EQ(model_of(a.requests()[0]), "camel-model");
}

}  // namespace
}  // namespace aigw::testing
