// Authentication end to end: tokens from the running gateway's issuer (and its scripts), a
// second test-only issuer standing in for Cognito through a JWKS served over HTTP, key
// rotation, and every rejection with its status, message and WWW-Authenticate header.
#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <mutex>

#include "auth/keys.h"
#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/run_command.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kCognito = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
constexpr const char* kInvoke = "https://gateway.internal/invoke";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using ScriptResult = CommandResult;

// Runs a script of ours with extra environment, capturing stdout and stderr.
ScriptResult run_script(const std::string& env, const std::string& command) {
  return run_command(env, command);
}

// A stand-in for Cognito: keys made by the test, its JWKS served by a real HTTP server.
class TestIdp {
 public:
  TestIdp() : key_(*auth::SigningKey::generate("RS256")) {
    server_ = std::make_unique<FakeUpstream>([this](const UpstreamRequest&) {
      std::lock_guard lock(mutex_);
      ++jwks_fetches_;
      return Reply::json(200, jwks_);
    });
    publish();
  }
  std::string jwks_url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/.well-known/jwks.json";
  }
  std::string token(json::object claims) const { return key_.sign_jwt(claims); }
  json::object claims(std::int64_t exp_in = 3600, const std::string& scope = kInvoke) const {
    return {{"iss", kCognito},       {"sub", "abc"},           {"client_id", "cognito-app"},
            {"custom:team", "data"}, {"scope", scope},         {"token_use", "access"},
            {"iat", now_s()},        {"exp", now_s() + exp_in}};
  }
  void rotate() {
    key_ = *auth::SigningKey::generate("RS256");
    publish();
  }
  int fetches() {
    std::lock_guard lock(mutex_);
    return jwks_fetches_;
  }

 private:
  void publish() {
    std::lock_guard lock(mutex_);
    jwks_ = json::serialize(json::object{{"keys", json::array{key_.public_key().to_jwk()}}});
  }
  auth::SigningKey key_;
  std::mutex mutex_;
  std::string jwks_;
  int jwks_fetches_ = 0;
  std::unique_ptr<FakeUpstream> server_;
};

class AuthTest : public ::testing::Test {
 protected:
  std::string yaml() {
    return "auth:\n"
           "  jwks_min_refresh: 1s\n"
           "  issuers:\n"
           "    - { issuer: \"" +
           std::string(kCognito) + "\", jwks_url: \"" + idp_.jwks_url() +
           "\", team_claim: \"custom:team\" }\n"
           "  builtin_issuer: { enabled: true, keys_dir: ./keys }\n"
           "  clients:\n"
           "    - { client_id: ci-bot, team: platform, client_secret: \"bot-secret-123\", scopes: "
           "[ \"" +
           kInvoke +
           "\" ] }\n"
           "    - { client_id: no-scope, team: platform, client_secret: \"other-secret\", scopes: "
           "[ \"something/else\" ] }\n";
  }
  std::string token_env(const std::string& id = "ci-bot",
                        const std::string& secret = "bot-secret-123") {
    return "GATEWAY_TOKEN_ENDPOINT=http://127.0.0.1:" + std::to_string(gw_.port()) +
           "/oauth2/token GATEWAY_CLIENT_ID=" + id + " GATEWAY_CLIENT_SECRET=" + secret;
  }
  HttpResponse chat(const std::string& token, const std::string& path = "/v1/chat/completions") {
    return http_request(gw_.port(), "POST", path,
                        {{"x-portkey-provider", "mock"}, {"Authorization", "Bearer " + token}},
                        "{}");
  }

  TestIdp idp_;
  AigwProcess gw_{yaml()};
};

TEST_F(AuthTest, TokenFromTheScriptCallsChatCompletions) {
  const auto got = run_script(token_env(), "./scripts/get-gateway-token.sh");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(std::count(got.out.begin(), got.out.end(), '.'), 2);  // only the JWT on stdout
  const auto r = chat(got.out);
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(gw_.wait_for_line("\"client_id\":\"ci-bot\"", 5s));
  for (const auto& line : gw_.log_lines())
    EXPECT_EQ(line.find(got.out), std::string::npos) << "token in the log";
  EXPECT_TRUE(gw_.wait_for_line("\"team\":\"platform\"", 1s));
}

TEST_F(AuthTest, TheTroubleshootingPagesDecodeCommandsWorkOnOurTokens) {
  const std::string env = token_env() + " GATEWAY_SCOPE='" + std::string(kInvoke) + "'";
  const auto token = run_script(env, "./scripts/get-gateway-token.sh").out;
  const auto decoded = run_script(
      "TOKEN=" + token,
      "sh -c 'echo \"$TOKEN\" | cut -d. -f2 | base64 -d 2>/dev/null | python3 -m json.tool'");
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_NE(decoded.out.find("\"client_id\": \"ci-bot\""), std::string::npos) << decoded.out;
  const auto expiry =
      run_script("TOKEN=" + token,
                 "sh -c 'echo \"$TOKEN\" | cut -d. -f2 | base64 -d 2>/dev/null | python3 -c \""
                 "import json, sys, datetime\n"
                 "data = json.load(sys.stdin)\n"
                 "exp = data.get(\\\"exp\\\", 0)\n"
                 "remaining = exp - int(datetime.datetime.now().timestamp())\n"
                 "print(f\\\"Expires in {remaining // 60} minutes\\\")\"'");
  EXPECT_TRUE(expiry.out.find("Expires in 59 minutes") != std::string::npos ||
              expiry.out.find("Expires in 60 minutes") != std::string::npos)
      << expiry.out << expiry.err;
}

TEST_F(AuthTest, ScriptExplainsAWrongSecretAndFails) {
  const auto got = run_script(token_env("ci-bot", "wrong"), "./scripts/get-gateway-token.sh");
  EXPECT_NE(got.exit_code, 0);
  EXPECT_TRUE(got.out.empty());
  EXPECT_NE(got.err.find("{\"error\": \"invalid_client\"}"), std::string::npos) << got.err;
  EXPECT_NE(got.err.find("likely causes"), std::string::npos);
  const auto unset = run_script("GATEWAY_TOKEN_ENDPOINT=", "./scripts/get-gateway-token.sh");
  EXPECT_NE(unset.exit_code, 0);
  EXPECT_NE(unset.err.find("GATEWAY_TOKEN_ENDPOINT is not set"), std::string::npos);
}

TEST_F(AuthTest, CachingWrapperReusesTheTokenAndLaunchesAgents) {
  const TempDir cache;
  const std::string env = token_env() + " GATEWAY_TOKEN_CACHE=" + cache.path();
  const auto first = run_script(env, "./scripts/with-gateway-token.sh");
  const auto second = run_script(env, "./scripts/with-gateway-token.sh");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, second.out);  // cached, not fetched again
  const auto agent = run_script(env,
                                "./scripts/with-gateway-token.sh sh -c 'test \"$OPENAI_API_KEY\" = "
                                "\"$ANTHROPIC_AUTH_TOKEN\" && echo $OPENAI_API_KEY'");
  EXPECT_EQ(agent.out, first.out);
  // Within the margin of expiry (here: any token) it fetches a fresh one.
  const auto fresh =
      run_script(env + " GATEWAY_TOKEN_MARGIN=999999", "./scripts/with-gateway-token.sh");
  EXPECT_NE(fresh.out, first.out);
}

TEST_F(AuthTest, HealthScriptDecodesTheTokenAndChecksProviders) {
  const auto token = run_script(token_env(), "./scripts/get-gateway-token.sh").out;
  const std::string url = "http://127.0.0.1:" + std::to_string(gw_.port());
  const auto ok = run_script("TOKEN=" + token, "./scripts/check-health.sh --url " + url +
                                                   " --token " + token + " --providers");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("client=ci-bot team=platform"), std::string::npos) << ok.out;
  EXPECT_TRUE(ok.out.find("expires in 59 minutes") != std::string::npos ||
              ok.out.find("expires in 60 minutes") != std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("ok    provider mock  200"), std::string::npos) << ok.out;
  const auto expired = idp_.token(idp_.claims(-600));
  const auto bad = run_script("", "./scripts/check-health.sh --url " + url + " --token " + expired);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("expired 10 minutes ago"), std::string::npos) << bad.out;
  const auto down = run_script(
      "", "./scripts/check-health.sh --url http://127.0.0.1:" + std::to_string(closed_port()));
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.out.find("the URL is wrong, the gateway is down"), std::string::npos);
}

TEST_F(AuthTest, ExternalIssuerTokensWorkAndRotationIsFollowed) {
  const auto stranger = *auth::SigningKey::generate("RS256");
  const auto first = chat(idp_.token(idp_.claims()));
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(gw_.wait_for_line("\"team\":\"data\"", 5s));  // from custom:team
  idp_.rotate();
  std::this_thread::sleep_for(1100ms);  // past jwks_min_refresh
  const auto rotated = chat(idp_.token(idp_.claims()));
  EXPECT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(idp_.fetches(), 2);
  // Forged kids do not make the gateway hammer the IdP: refreshes are rate-limited to one per
  // jwks_min_refresh (1 s). On a slow machine the three requests may end past that second, so
  // one more fetch is allowed, never one per request.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chat(stranger.sign_jwt(idp_.claims())).status, 401);
  EXPECT_LE(idp_.fetches(), 3);
}

TEST_F(AuthTest, RejectionsSayWhyWithWwwAuthenticate) {
  const auto expired = chat(idp_.token(idp_.claims(-180)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("token expired 3 minutes ago"), std::string::npos) << expired.body;
  EXPECT_NE(expired.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);

  const auto no_scope = chat(idp_.token(idp_.claims(3600, "something/else")));
  EXPECT_EQ(no_scope.status, 403);
  EXPECT_NE(no_scope.body.find("lacks the required scope https://gateway.internal/invoke"),
            std::string::npos);
  EXPECT_NE(no_scope.header("www-authenticate").find("insufficient_scope"), std::string::npos);

  const auto missing = http_request(gw_.port(), "POST", "/v1/chat/completions",
                                    {{"x-portkey-provider", "mock"}}, "{}");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("missing bearer token"), std::string::npos);

  EXPECT_NE(chat("garbage").body.find("token is malformed"), std::string::npos);
  auto claims = idp_.claims();
  claims["iss"] = "https://evil.example";
  EXPECT_NE(chat(idp_.token(claims)).body.find("is not trusted"), std::string::npos);
  const auto none = chat("eyJhbGciOiJub25lIn0." + std::string("eyJpc3MiOiJ4In0") + ".");
  EXPECT_NE(none.body.find("algorithm \\\"none\\\" is not accepted"), std::string::npos)
      << none.body;

  // Anthropic callers get Anthropic-shaped errors.
  const auto messages = chat(idp_.token(idp_.claims(-180)), "/v1/messages");
  EXPECT_EQ(json::parse(messages.body).at("error").at("type"), "authentication_error");

  // A builtin-issuer client without the scope.
  const auto got =
      run_script(token_env("no-scope", "other-secret"), "./scripts/get-gateway-token.sh");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(chat(got.out).status, 403);
}

TEST_F(AuthTest, ClaudeCodeSendsTheTokenAsXApiKey) {
  const auto token = run_script(token_env(), "./scripts/get-gateway-token.sh").out;
  const auto r = http_request(gw_.port(), "POST", "/v1/messages?beta=true",
                              {{"x-portkey-provider", "mock"}, {"x-api-key", token}},
                              R"({"model":"mock-claude","max_tokens":10,"messages":[]})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(AuthTest, HealthAndDiscoveryNeedNoToken) {
  EXPECT_EQ(http_request(gw_.port(), "GET", "/").status, 200);
  EXPECT_EQ(http_request(gw_.port(), "HEAD", "/").status, 200);
  const auto jwks = http_request(gw_.port(), "GET", "/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(json::parse(jwks.body).at("keys").as_array().size(), 1u);
  // The endpoints come from the configured issuer, never from the request's Host or
  // X-Forwarded-Proto (a caller could otherwise point other clients at its own server).
  const auto oidc = http_request(gw_.port(), "GET", "/.well-known/openid-configuration",
                                 {{"Host", "evil.example:8787"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(json::parse(oidc.body).at("token_endpoint"), "http://localhost:8787/oauth2/token")
      << oidc.body;
  EXPECT_EQ(json::parse(oidc.body).at("jwks_uri"), "http://localhost:8787/.well-known/jwks.json")
      << oidc.body;
}

TEST(DiscoveryTest, PublicUrlNamesTheEndpoints) {
  AigwProcess gw(
      "auth:\n  builtin_issuer: { keys_dir: ./keys, issuer: \"https://gw.example\", public_url: "
      "\"https://gw.example/aigw/\" }\n");
  const auto oidc = http_request(gw.port(), "GET", "/.well-known/openid-configuration",
                                 {{"Host", "evil.example"}});
  ASSERT_EQ(oidc.status, 200) << oidc.body;
  EXPECT_EQ(json::parse(oidc.body).at("issuer"), "https://gw.example");
  EXPECT_EQ(json::parse(oidc.body).at("token_endpoint"), "https://gw.example/aigw/oauth2/token");
}

}  // namespace
}  // namespace aigw::testing

namespace aigw::testing {
namespace {

TEST_F(AuthTest, AdminApiNeedsTheAdminScope) {
  const auto token =
      run_script(token_env(), "./scripts/get-gateway-token.sh").out;  // invoke scope only
  const auto r =
      http_request(gw_.port(), "GET", "/admin/clients", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("https://gateway.internal/admin"), std::string::npos);
  EXPECT_EQ(http_request(gw_.port(), "GET", "/admin/clients").status, 401);
}

TEST(AdminCliTest, ClientsAddedAtRunTimeGetTokensAndSurviveARestart) {
  const std::string yaml =
      "auth:\n  builtin_issuer: { keys_dir: ./keys }\n  clients:\n"
      "    - { client_id: root, team: ops, client_secret: root-secret, scopes: [ "
      "\"https://gateway.internal/invoke\", \"https://gateway.internal/admin\" ] }\n";
  std::string data_dir;
  std::string secret;
  const TempDir token_cache;
  {
    AigwProcess gw(yaml);
    const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
    const std::string env = "GATEWAY_URL=" + url + " GATEWAY_TOKEN_ENDPOINT=" + url +
                            "/oauth2/token GATEWAY_CLIENT_ID=root "
                            "GATEWAY_CLIENT_SECRET=root-secret GATEWAY_TOKEN_CACHE=" +
                            token_cache.path();
    const auto added =
        run_script(env, std::string(AIGW_BINARY) + " admin clients add new-bot --team data");
    ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
    secret = std::string(json::parse(added.out).at("client_secret").as_string());
    const auto listed = run_script(env, std::string(AIGW_BINARY) + " admin clients list");
    EXPECT_NE(listed.out.find("\"new-bot\""), std::string::npos);
    EXPECT_EQ(listed.out.find("secret"), std::string::npos);  // never the hash or secret
    const std::string bot_env =
        "GATEWAY_TOKEN_ENDPOINT=" + url +
        "/oauth2/token GATEWAY_CLIENT_ID=new-bot GATEWAY_CLIENT_SECRET=" + secret;
    const auto token = run_script(bot_env, std::string(AIGW_BINARY) + " token --no-cache");
    ASSERT_EQ(token.exit_code, 0) << token.err;
    const auto health = run_script("", std::string(AIGW_BINARY) + " health --url " + url +
                                           " --token " + token.out + " --providers");
    EXPECT_EQ(health.exit_code, 0) << health.out;
    EXPECT_NE(health.out.find("client=new-bot team=data"), std::string::npos) << health.out;
    const auto removed_config =
        run_script(env, std::string(AIGW_BINARY) + " admin clients remove root");
    EXPECT_NE(removed_config.exit_code, 0);
    EXPECT_NE(removed_config.out.find("declared in the config file"), std::string::npos);
    const auto rotated = run_script(env, std::string(AIGW_BINARY) + " admin keys rotate");
    EXPECT_EQ(rotated.exit_code, 0) << rotated.out;
    EXPECT_EQ(json::parse(http_request(gw.port(), "GET", "/.well-known/jwks.json").body)
                  .at("keys")
                  .as_array()
                  .size(),
              2u);
    // The token signed before the rotation is still accepted.
    EXPECT_EQ(
        http_request(gw.port(), "GET", "/v1/providers", {{"Authorization", "Bearer " + token.out}})
            .status,
        200);
    data_dir = gw.dir();
    std::system(("cp -r '" + data_dir + "' '" + data_dir + ".keep'").c_str());
  }
  // A new gateway on the same data keeps the run-time client (hashed in clients.json).
  AigwProcess again("auth:\n  builtin_issuer: { keys_dir: " + data_dir + ".keep/keys }\n");
  const auto r =
      http_request(again.port(), "POST", "/oauth2/token",
                   {{"Content-Type", "application/x-www-form-urlencoded"}},
                   "grant_type=client_credentials&client_id=new-bot&client_secret=" + secret);
  EXPECT_EQ(r.status, 200) << r.body;
  std::system(("rm -rf '" + data_dir + ".keep'").c_str());
}

TEST(AdminCliTest, TeamsBudgetsLimitsAndUsageThroughTheCli) {
  const std::string yaml =
      "auth:\n  builtin_issuer: { keys_dir: ./keys }\n  clients:\n"
      "    - { client_id: root, team: ops, client_secret: root-secret, scopes: [ "
      "\"https://gateway.internal/invoke\", \"https://gateway.internal/admin\" ] }\n";
  AigwProcess gw(yaml);
  const TempDir token_cache;
  const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
  const std::string env = "GATEWAY_URL=" + url + " GATEWAY_TOKEN_ENDPOINT=" + url +
                          "/oauth2/token GATEWAY_CLIENT_ID=root GATEWAY_CLIENT_SECRET=root-secret "
                          "GATEWAY_TOKEN_CACHE=" +
                          token_cache.path();
  const std::string aigw = AIGW_BINARY;
  const auto set = run_script(env, aigw + " admin budgets set ops --tokens 25 --period daily");
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  EXPECT_EQ(json::parse(set.out).at("budget").at("tokens").as_int64(), 25) << set.out;

  // The mock answers count 20 tokens each: the second request passes 25, the third is refused.
  const std::string token = fetch_token(gw.port(), "root", "root-secret");
  const std::string body = R"({"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]})";
  const auto headers = bearer(token, with_provider("mock"));
  EXPECT_EQ(http_request(gw.port(), "POST", "/v1/chat/completions", headers, body).status, 200);
  EXPECT_EQ(http_request(gw.port(), "POST", "/v1/chat/completions", headers, body).status, 200);
  EXPECT_TRUE(
      is_openai_error(http_request(gw.port(), "POST", "/v1/chat/completions", headers, body), 429,
                      "team \"ops\" used 40 of its 25 tokens for the daily budget"));

  const auto listed = run_script(env, aigw + " admin teams list");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json::value teams = json::parse(listed.out);
  const auto& team = teams.at("data").at(0);
  EXPECT_EQ(team.at("name").as_string(), "ops");
  EXPECT_EQ(team.at("usage").at("tokens").as_int64(), 40);
  EXPECT_EQ(team.at("usage").at("exhausted").as_bool(), true);

  const auto limits = run_script(env, aigw + " admin limits set ops --rpm 100 --tpm 5000");
  ASSERT_EQ(limits.exit_code, 0) << limits.out << limits.err;
  EXPECT_EQ(json::parse(limits.out).at("limits").at("requests_per_minute").as_int64(), 100);
  EXPECT_EQ(json::parse(limits.out).at("budget").at("tokens").as_int64(), 25)
      << "the budget is kept";

  const auto csv = run_script(env, aigw + " admin usage --group-by team,model --csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  // RFC 4180: CRLF line ends.
  EXPECT_EQ(
      csv.out.substr(0, csv.out.find("\r\n")),
      "team,model,input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,cost_usd,"
      "estimated_requests,estimated_tokens");
  EXPECT_NE(csv.out.find("\r\nops,mock-gpt,16,24,0,2,2,"), std::string::npos) << csv.out;
  const auto bad = run_script(env, aigw + " admin usage --from yesterday");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("from: expected a day as YYYY-MM-DD"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace aigw::testing
