// Parsing Portkey configs: the schema, both key spellings, inheritance, and errors that name
// the field (docs/routing.md).
#include "routing/route_config.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace aigw::routing {
namespace {

ConfigCheck check(bool allow_client_keys = false) {
  return {[](std::string_view name) { return name == "openai" || name == "anthropic"; },
          allow_client_keys, nullptr};
}

RouteNode parse_ok(std::string_view text, bool allow_client_keys = false) {
  auto r = parse_route_config_text(text, check(allow_client_keys));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : RouteNode{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_route_config_text(text, check());
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().status, 400);
  return r.error().message;
}

TEST(RouteConfigTest, FallbackWithTargetsAndPaths) {
  const auto root = parse_ok(R"({"strategy":{"mode":"fallback","on_status_codes":[429,503]},
      "targets":[{"provider":"openai"},{"provider":"anthropic","override_params":{"model":"c"}}]})");
  EXPECT_EQ(root.mode, Mode::kFallback);
  EXPECT_EQ(root.fallback_on, (std::vector<int>{429, 503}));
  ASSERT_EQ(root.targets.size(), 2u);
  EXPECT_EQ(root.targets[0].path, "config.targets[0]");
  EXPECT_EQ(root.targets[1].path, "config.targets[1]");
  EXPECT_EQ(root.targets[1].override_params.at("model"), "c");
}

TEST(RouteConfigTest, CamelCaseKeysReadAsSnakeCase) {
  const auto root = parse_ok(R"({"strategy":{"mode":"fallback","onStatusCodes":[500]},
      "retry":{"attempts":2,"onStatusCodes":[429],"useRetryAfterHeader":true},
      "requestTimeout":1500,"targets":[{"provider":"openai","overrideParams":{"model":"m"}}]})");
  EXPECT_EQ(root.fallback_on, std::vector<int>{500});
  EXPECT_EQ(root.request_timeout, Millis(1500));
  EXPECT_EQ(root.targets[0].retry.attempts, 2);  // inherited
  EXPECT_TRUE(root.targets[0].retry.use_retry_after_header);
  EXPECT_EQ(root.targets[0].retry.on_status_codes, std::vector<int>{429});
  EXPECT_EQ(root.targets[0].override_params.at("model"), "m");
}

TEST(RouteConfigTest, ChildrenInheritRetryAndOverridesAndMayReplaceThem) {
  const auto root = parse_ok(R"({"retry":{"attempts":3},"override_params":{"model":"a","x":1},
      "strategy":{"mode":"fallback"},
      "targets":[{"provider":"openai"},
                 {"provider":"anthropic","retry":{"attempts":0},"override_params":{"model":"b"}}]})");
  EXPECT_EQ(root.targets[0].retry.attempts, 3);
  EXPECT_EQ(root.targets[0].retry.on_status_codes, (std::vector<int>{429, 500, 502, 503, 504}));
  EXPECT_EQ(root.targets[1].retry.attempts, 0);
  EXPECT_EQ(root.targets[1].override_params.at("model"), "b");
  EXPECT_EQ(root.targets[1].override_params.at("x"), 1);
}

TEST(RouteConfigTest, NestedStrategiesAndTheirPaths) {
  const auto root = parse_ok(R"({"strategy":{"mode":"fallback"},"targets":[
      {"strategy":{"mode":"loadbalance"},"targets":[{"provider":"openai","weight":3},
                                                    {"provider":"anthropic","weight":1}]},
      {"provider":"anthropic"}]})");
  ASSERT_EQ(root.targets[0].targets.size(), 2u);
  EXPECT_EQ(root.targets[0].mode, Mode::kLoadBalance);
  EXPECT_EQ(root.targets[0].targets[1].path, "config.targets[0].targets[1]");
  EXPECT_EQ(root.targets[0].targets[0].weight, 3);
  EXPECT_EQ(first_leaf(root)->provider, "openai");
}

TEST(RouteConfigTest, AProviderAloneIsASingleTarget) {
  const auto root = parse_ok(R"({"provider":"openai","retry":{"attempts":1}})");
  EXPECT_TRUE(root.is_leaf());
  EXPECT_EQ(root.provider, "openai");
  EXPECT_EQ(root.path, "config");
  // And a root without one leaves the provider to x-portkey-provider.
  EXPECT_TRUE(parse_ok(R"({"retry":{"attempts":1}})").provider.empty());
}

TEST(RouteConfigTest, PortkeyKeysWithoutMeaningHereAreIgnored) {
  parse_ok(R"({"provider":"openai","cache":{"mode":"simple"},"before_request_hooks":[]})");
}

TEST(RouteConfigTest, ErrorsNameTheFieldAndTheProblem) {
  EXPECT_NE(parse_error("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error("[1]").find("config: expected an object"), std::string::npos);
  auto e = parse_error(R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"openai"},
      {"provider":"openai","retry":{"attempts":9}}]})");
  EXPECT_NE(e.find("config.targets[1].retry.attempts: expected an integer from 0 to 5"),
            std::string::npos)
      << e;
  e = parse_error(R"({"strategy":{"mode":"fallback"},"targets":[{"provider":"mistral"}]})");
  EXPECT_NE(e.find("config.targets[0].provider: no provider named mistral"), std::string::npos)
      << e;
  e = parse_error(R"({"strategy":{"mode":"roundrobin"},"targets":[{"provider":"openai"}]})");
  EXPECT_NE(e.find("config.strategy.mode"), std::string::npos) << e;
  e = parse_error(R"({"provider":"openai","colour":"blue"})");
  EXPECT_NE(e.find("config.colour: unknown key"), std::string::npos) << e;
  e = parse_error(R"({"strategy":{"mode":"fallback"},"targets":[]})");
  EXPECT_NE(e.find("config.targets: expected a non-empty array"), std::string::npos) << e;
  e = parse_error(R"({"strategy":{"mode":"fallback"},"targets":[{"weight":1}]})");
  EXPECT_NE(e.find("config.targets[0]: a target needs a provider or targets"), std::string::npos)
      << e;
  e = parse_error(R"({"provider":"openai","request_timeout":0})");
  EXPECT_NE(e.find("config.request_timeout"), std::string::npos) << e;
  e = parse_error(R"({"strategy":{"mode":"fallback","on_status_codes":[42]},
      "targets":[{"provider":"openai"}]})");
  EXPECT_NE(e.find("config.strategy.on_status_codes"), std::string::npos) << e;
  e = parse_error(
      R"({"strategy":{"mode":"loadbalance"},"targets":[{"provider":"openai","weight":0}]})");
  EXPECT_NE(e.find("every weight is 0"), std::string::npos) << e;
}

TEST(RouteConfigTest, KeysAndHostsFromCallersNeedTheAdminsOptIn) {
  for (const char* config : {R"({"provider":"openai","api_key":"sk-caller"})",
                             R"({"provider":"openai","custom_host":"http://x"})"}) {
    const auto e = parse_error(config);
    EXPECT_NE(e.find("routing.allow_client_keys"), std::string::npos) << e;
  }
  const auto e = parse_error(R"({"virtual_key":"vk-1"})");
  EXPECT_NE(e.find("config.virtual_key: no virtual key named vk-1 under routing.virtual_keys"),
            std::string::npos)
      << e;
  EXPECT_EQ(parse_ok(R"({"provider":"openai","api_key":"sk-caller"})", true).api_key, "sk-caller");
  auto r =
      parse_route_config_text(R"({"provider":"openai","api_key":"sk\r\nX-Evil: 1"})", check(true));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("control character"), std::string::npos);
}

// Portkey's own examples name providers by virtual key (or "@slug"): the admin maps each name to
// a configured provider, and the examples load unchanged, without a key of the caller's.
TEST(RouteConfigTest, VirtualKeysAndSlugsNameConfiguredProviders) {
  ConfigCheck c = check();
  c.virtual_key_provider = [](std::string_view name) -> std::optional<std::string> {
    if (name == "openai-virtual-key") return "openai";
    if (name == "anthropic-virtual-key") return "anthropic";
    return std::nullopt;
  };
  auto r = parse_route_config_text(R"({"strategy":{"mode":"fallback"},"targets":[
      {"virtual_key":"openai-virtual-key"},
      {"virtual_key":"anthropic-virtual-key","override_params":{"model":"claude-sonnet-4-5"}},
      {"provider":"@openai"}]})",
                                   c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->targets[0].provider, "openai");
  EXPECT_EQ(r->targets[1].provider, "anthropic");
  EXPECT_EQ(r->targets[2].provider, "openai");
  r = parse_route_config_text(R"({"provider":"anthropic","virtual_key":"openai-virtual-key"})", c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("already has anthropic"), std::string::npos)
      << r.error().message;
}

TEST(RouteConfigTest, ConditionalTargetsMustBeNamed) {
  const auto root = parse_ok(R"({"strategy":{"mode":"conditional",
      "conditions":[{"query":{"params.model":{"$eq":"a"}},"then":"first"}],"default":"second"},
      "targets":[{"name":"first","provider":"openai"},{"name":"second","provider":"anthropic"}]})");
  EXPECT_EQ(root.conditions.size(), 1u);
  EXPECT_EQ(root.default_target, "second");
  auto e = parse_error(R"({"strategy":{"mode":"conditional",
      "conditions":[{"query":{"params.model":"a"},"then":"ghost"}]},
      "targets":[{"name":"first","provider":"openai"}]})");
  EXPECT_NE(e.find("config.strategy.conditions[0].then: no target is named ghost"),
            std::string::npos)
      << e;
  e = parse_error(R"({"strategy":{"mode":"conditional",
      "conditions":[{"query":{"params.model":{"$like":"a"}},"then":"first"}]},
      "targets":[{"name":"first","provider":"openai"}]})");
  EXPECT_NE(e.find("unknown operator $like"), std::string::npos) << e;
}

TEST(RouteConfigTest, DepthAndSizeAreBounded) {
  std::string deep = R"({"provider":"openai"})";
  for (int i = 0; i < 10; ++i) deep = R"({"strategy":{"mode":"single"},"targets":[)" + deep + "]}";
  EXPECT_NE(parse_error(deep).find("nested deeper than 8 levels"), std::string::npos);
  std::string wide = R"({"strategy":{"mode":"fallback"},"targets":[)";
  for (int i = 0; i < 33; ++i) wide += std::string(i ? "," : "") + R"({"provider":"openai"})";
  wide += "]}";
  EXPECT_NE(parse_error(wide).find("more than 32 targets"), std::string::npos);
}

}  // namespace
}  // namespace aigw::routing
