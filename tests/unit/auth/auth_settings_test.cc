// The `auth:` section: the documented shape and its defaults, and each validation error
// naming its key and line.
#include "auth/auth_settings.h"

#include <gtest/gtest.h>

#include <map>

#include "auth/client_secret.h"
#include "core/config_node.h"

namespace aigw::auth {
namespace {

config::EnvLookup env_with(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

AuthSettings parse(const std::string& yaml, const config::EnvLookup& env = env_with({})) {
  const config::ConfigNode root(config::parse_yaml(yaml, "test.yaml"), "", &env);
  return parse_auth_settings(root.child("auth"));
}

std::string error_of(const std::string& yaml, const config::EnvLookup& env = env_with({})) {
  try {
    parse(yaml, env);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(AuthSettingsTest, WithoutTheSectionAuthAndTheBuiltInIssuerAreOn) {
  const auto s = parse("listen: 0.0.0.0:8787\n");
  EXPECT_TRUE(s.enabled);
  EXPECT_TRUE(s.builtin_issuer);
  EXPECT_EQ(s.builtin_issuer_id, "http://localhost:8787");
  EXPECT_EQ(s.scope, "https://gateway.internal/invoke");
  EXPECT_EQ(s.admin_scope, "https://gateway.internal/admin");
  EXPECT_EQ(s.leeway_seconds, 60);
  EXPECT_EQ(s.jwks_min_refresh_ms, 30'000);
  EXPECT_EQ(s.token_ttl_seconds, 3600);
  EXPECT_EQ(s.keys_dir, "./data/keys");
  EXPECT_EQ(s.algorithm, "RS256");
  EXPECT_TRUE(s.issuers.empty());
  EXPECT_TRUE(s.clients.empty());
}

TEST(AuthSettingsTest, ParsesTheDocumentedShape) {
  const std::string hash = hash_secret("other-secret", 1000);
  const auto s = parse(R"(auth:
  enabled: true
  scope: https://gateway.internal/invoke
  admin_scope: https://gateway.internal/admin
  leeway: 30s
  jwks_min_refresh: 1m
  issuers:
    - { issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC", jwks_url: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/.well-known/jwks.json", team_claim: "custom:team" }
    - { issuer: "https://idp.internal", jwks_file: /etc/aigw/jwks.json, audience: gateway, client_ids: [ a, b ] }
  teams_by_client: { ci-bot: platform }
  builtin_issuer:
    enabled: true
    issuer: http://gw.example:8787
    token_ttl: 2h
    keys_dir: /var/lib/aigw/keys
    algorithm: ES256
  clients:
    - { client_id: ci-bot, team: platform, client_secret: "${CI_BOT_SECRET}", scopes: [ "https://gateway.internal/invoke" ] }
    - { client_id: other, team: x, client_secret_hash: ")" +
                           hash + R"(" }
)",
                       env_with({{"CI_BOT_SECRET", "from-env"}}));
  EXPECT_EQ(s.leeway_seconds, 30);
  EXPECT_EQ(s.jwks_min_refresh_ms, 60'000);
  ASSERT_EQ(s.issuers.size(), 2u);
  EXPECT_EQ(s.issuers[0].issuer, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC");
  EXPECT_EQ(s.issuers[0].team_claim, "custom:team");
  EXPECT_EQ(s.issuers[0].jwks_file, "");
  EXPECT_EQ(s.issuers[0].config_path, "auth.issuers[0]");
  EXPECT_EQ(s.issuers[1].jwks_file, "/etc/aigw/jwks.json");
  EXPECT_EQ(s.issuers[1].team_claim, "team");
  EXPECT_EQ(s.issuers[1].audience, "gateway");
  EXPECT_EQ(s.issuers[1].client_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.teams_by_client.at("ci-bot"), "platform");
  EXPECT_TRUE(s.builtin_issuer);
  EXPECT_EQ(s.builtin_issuer_id, "http://gw.example:8787");
  EXPECT_EQ(s.token_ttl_seconds, 7200);
  EXPECT_EQ(s.keys_dir, "/var/lib/aigw/keys");
  EXPECT_EQ(s.algorithm, "ES256");
  ASSERT_EQ(s.clients.size(), 2u);
  EXPECT_TRUE(verify_secret("from-env", s.clients[0].secret_hash))
      << "the plaintext secret is kept only hashed";
  EXPECT_EQ(s.clients[0].secret_hash.find("from-env"), std::string::npos);
  EXPECT_EQ(s.clients[1].secret_hash, hash);
  EXPECT_EQ(s.clients[1].scopes,
            std::vector<std::string>{"https://gateway.internal/invoke"});  // the default scope
}

TEST(AuthSettingsTest, ExternalIssuersTurnTheBuiltInOneOffUnlessAskedFor) {
  const std::string issuer =
      "auth:\n  issuers:\n    - { issuer: https://idp, jwks_file: /k.json }\n";
  EXPECT_FALSE(parse(issuer).builtin_issuer);
  EXPECT_TRUE(parse(issuer + "  builtin_issuer: { enabled: true }\n").builtin_issuer);
}

TEST(AuthSettingsTest, DisabledAuthNeedsNoIssuer) {
  EXPECT_FALSE(parse("auth:\n  enabled: false\n  builtin_issuer: { enabled: false }\n").enabled);
}

TEST(AuthSettingsTest, AnIssuerNeedsExactlyOneKeySource) {
  EXPECT_EQ(error_of("auth:\n  issuers:\n    - { issuer: https://idp }\n"),
            "auth.issuers[0] (line 3): needs exactly one of jwks_url and jwks_file");
  EXPECT_EQ(error_of("auth:\n  issuers:\n    - { issuer: https://idp, jwks_url: https://idp/jwks, "
                     "jwks_file: /k }\n"),
            "auth.issuers[0] (line 3): needs exactly one of jwks_url and jwks_file");
  EXPECT_EQ(
      error_of("auth:\n  issuers:\n    - { issuer: https://idp, jwks_url: ftp://idp/jwks }\n"),
      "auth.issuers[0].jwks_url (line 3): must be an http(s) URL");
  EXPECT_EQ(error_of("auth:\n  issuers:\n    - { jwks_file: /k }\n"),
            "auth.issuers[0] (line 3): missing required key 'issuer'");
}

TEST(AuthSettingsTest, UnknownKeysAreNamedWithTheKnownOnes) {
  EXPECT_EQ(error_of("auth:\n  issuers:\n    - { issuer: https://idp, jwks_file: /k, team: x }\n"),
            "auth.issuers[0].team (line 3): unknown key (known keys here: issuer, jwks_url, "
            "jwks_file, team_claim, "
            "audience, client_ids)");
  EXPECT_NE(error_of("auth:\n  scopes: x\n").find("auth.scopes (line 2): unknown key"),
            std::string::npos);
}

TEST(AuthSettingsTest, DuplicatesAreRefused) {
  EXPECT_EQ(error_of("auth:\n  issuers:\n    - { issuer: https://idp, jwks_file: /a }\n"
                     "    - { issuer: https://idp, jwks_file: /b }\n"),
            "auth.issuers[1].issuer (line 4): issuer \"https://idp\" is listed twice");
  EXPECT_EQ(error_of("auth:\n  clients:\n    - { client_id: a, client_secret: x }\n"
                     "    - { client_id: a, client_secret: y }\n"),
            "auth.clients[1].client_id (line 4): client \"a\" is declared twice");
  EXPECT_EQ(
      error_of("auth:\n  builtin_issuer: { enabled: true }\n"
               "  issuers:\n    - { issuer: \"http://localhost:8787\", jwks_file: /a }\n"),
      "auth.issuers[0].issuer (line 4): \"http://localhost:8787\" is the built-in issuer's own id "
      "(auth.builtin_issuer.issuer)");
}

TEST(AuthSettingsTest, ClientsNeedASecretThatIsSetOrAWellFormedHash) {
  EXPECT_EQ(
      error_of(
          "auth:\n  clients:\n    - { client_id: ci-bot, client_secret: \"${CI_BOT_SECRET}\" }\n"),
      "auth.clients[0] (line 3): needs client_secret (e.g. \"${CI_BOT_SECRET}\", which must be "
      "set) or "
      "client_secret_hash");
  EXPECT_EQ(error_of("auth:\n  clients:\n    - { client_id: a, client_secret_hash: "
                     "\"pbkdf2-sha256$x$y$z\" }\n"),
            "auth.clients[0].client_secret_hash (line 3): expected "
            "pbkdf2-sha256$<iterations>$<salt>$<hash> (see "
            "`aigw admin hash-secret`)");
  EXPECT_EQ(error_of("auth:\n  clients:\n    - { client_secret: x }\n"),
            "auth.clients[0] (line 3): missing required key 'client_id'");
}

TEST(AuthSettingsTest, BuiltInIssuerValuesAreChecked) {
  EXPECT_EQ(error_of("auth:\n  builtin_issuer:\n    algorithm: HS256\n"),
            "auth.builtin_issuer.algorithm (line 3): must be RS256 or ES256");
  EXPECT_EQ(error_of("auth:\n  builtin_issuer:\n    token_ttl: 30s\n"),
            "auth.builtin_issuer.token_ttl (line 3): must be at least 1m");
  EXPECT_EQ(error_of("auth:\n  builtin_issuer:\n    token_ttl: soon\n"),
            "auth.builtin_issuer.token_ttl (line 3): expected a duration such as 250ms, 10s, 5m or "
            "1h, got \"soon\"");
}

TEST(AuthSettingsTest, LeewayIsBounded) {
  EXPECT_EQ(error_of("auth:\n  leeway: 1h\n"),
            "auth.leeway (line 2): must be at most 10m (it lets expired tokens through)");
  EXPECT_EQ(parse("auth:\n  leeway: 0s\n").leeway_seconds, 0);
}

TEST(AuthSettingsTest, TeamClaimMustNotBeEmpty) {
  EXPECT_EQ(
      error_of(
          "auth:\n  issuers:\n    - { issuer: https://idp, jwks_file: /k, team_claim: \"\" }\n"),
      "auth.issuers[0].team_claim (line 3): must not be empty");
}

TEST(AuthSettingsTest, EnabledAuthMustTrustSomeIssuer) {
  EXPECT_EQ(error_of("auth:\n  builtin_issuer: { enabled: false }\n"),
            "auth (line 2): auth is enabled but trusts no issuer: configure auth.issuers or enable "
            "auth.builtin_issuer");
}

TEST(AuthSettingsTest, DefaultIssuerComesFromTheListenAddress) {
  EXPECT_EQ(default_builtin_issuer("0.0.0.0", 8787), "http://localhost:8787");
  EXPECT_EQ(default_builtin_issuer("::", 9000), "http://localhost:9000");
  EXPECT_EQ(default_builtin_issuer("10.0.0.5", 8787), "http://10.0.0.5:8787");
  EXPECT_EQ(default_builtin_issuer("::1", 8787), "http://[::1]:8787");
  const config::EnvLookup env = env_with({});
  const config::ConfigNode root(config::parse_yaml("auth: {}\n", "t"), "", &env);
  EXPECT_EQ(parse_auth_settings(root.child("auth"), "http://gw:1234").builtin_issuer_id,
            "http://gw:1234");
}

}  // namespace
}  // namespace aigw::auth
