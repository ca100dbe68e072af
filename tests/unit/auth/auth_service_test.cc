// Authentication assembled from settings: a static JWKS file for air-gapped issuers, the
// built-in issuer's tokens through the verifier across a key rotation, run-time clients kept
// hashed in a private file, and the demo client's secret.
#include "auth/auth_service.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>

#include "auth/client_secret.h"
#include "auth/key_set.h"
#include "auth/private_file.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::basic_header;
using testing::kTestNow;
using testing::TempDir;

constexpr const char* kInvoke = "https://gateway.internal/invoke";

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

class AuthServiceTest : public ::testing::Test {
 protected:
  AuthSettings builtin_settings() const {
    AuthSettings s;
    s.keys_dir = dir_ / "data/keys";
    s.clients = {{"ci-bot", "platform", hash_secret("s3cret", 1000), {kInvoke}}};
    return s;
  }
  static std::string token_for(AuthService& service, const std::string& id,
                               const std::string& secret) {
    const auto r = service.issuer()->token_request("application/x-www-form-urlencoded",
                                                   "grant_type=client_credentials",
                                                   basic_header(id, secret), kTestNow);
    if (r.status != 200) return "refused: " + r.body;
    return std::string(json::parse(r.body).at("access_token").as_string());
  }
  static bool accepted(AuthService& service, const std::string& token) {
    return std::holds_alternative<Principal>(service.verifier().verify(token, kTestNow + 1));
  }

  TempDir dir_;
  std::vector<std::string> notices_;
};

TEST_F(AuthServiceTest, AStaticJwksFileIssuerVerifiesTokensOffline) {
  const auto idp_key = *SigningKey::generate("ES256");
  std::ofstream(dir_ / "jwks.json") << jwks_document({&idp_key.public_key()});
  AuthSettings s;
  s.builtin_issuer = false;
  s.issuers = {
      {"https://idp.internal", "", dir_ / "jwks.json", "custom:team", "", {}, "auth.issuers[0]"}};
  const auto service = AuthService::create(s, notices_);
  EXPECT_EQ(service->issuer(), nullptr);
  const std::string token = idp_key.sign_jwt({{"iss", "https://idp.internal"},
                                              {"sub", "svc"},
                                              {"custom:team", "ops"},
                                              {"exp", kTestNow + 60}});
  const auto r = service->verifier().verify(token, kTestNow);
  ASSERT_TRUE(std::holds_alternative<Principal>(r)) << std::get<AuthFailure>(r).message;
  EXPECT_EQ(std::get<Principal>(r).team, "ops");
  EXPECT_TRUE(service->verifier().find_issuer("https://idp.internal")->jwks_url.empty())
      << "static: never refetched";
}

TEST_F(AuthServiceTest, AnUnreadableJwksFileStopsStartUpNamingTheKey) {
  AuthSettings s;
  s.builtin_issuer = false;
  s.issuers = {
      {"https://idp.internal", "", dir_ / "missing.json", "team", "", {}, "auth.issuers[0]"}};
  try {
    AuthService::create(s, notices_);
    FAIL() << "expected a start-up error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "auth.issuers[0].jwks_file (" + (dir_ / "missing.json") +
                                         "): cannot read " + (dir_ / "missing.json"));
  }
}

TEST_F(AuthServiceTest, BuiltInTokensVerifyAndOutliveAKeyRotation) {
  const auto service = AuthService::create(builtin_settings(), notices_);
  const std::string before = token_for(*service, "ci-bot", "s3cret");
  ASSERT_TRUE(accepted(*service, before)) << before;
  service->rotate_signing_key();
  const std::string after = token_for(*service, "ci-bot", "s3cret");
  EXPECT_TRUE(accepted(*service, after));
  EXPECT_TRUE(accepted(*service, before))
      << "the previous key stays trusted until its tokens expire";
  EXPECT_EQ(json::parse(service->issuer()->jwks_document()).at("keys").as_array().size(), 2u);
}

TEST_F(AuthServiceTest, RunTimeClientsAreKeptHashedInAPrivateFileAndSurviveARestart) {
  std::string secret;
  {
    const auto service = AuthService::create(builtin_settings(), notices_);
    const auto added = service->add_client("new-bot", "data", {});
    ASSERT_EQ(added.index(), 0u) << std::get<1>(added);
    secret = std::get<0>(added);
    EXPECT_EQ(std::get<1>(service->add_client("new-bot", "data", {})), "client \"new-bot\" exists");
  }
  const std::string file = dir_ / "data/clients.json";
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(read_text_file(file)->find(secret), std::string::npos) << "only the hash is stored";
  const auto service = AuthService::create(builtin_settings(), notices_);
  EXPECT_TRUE(accepted(*service, token_for(*service, "new-bot", secret)));
  const auto rotated = service->rotate_client_secret("new-bot");
  ASSERT_EQ(rotated.index(), 0u);
  EXPECT_EQ(token_for(*service, "new-bot", secret).rfind("refused", 0), 0u);
  EXPECT_TRUE(accepted(*service, token_for(*service, "new-bot", std::get<0>(rotated))));
  EXPECT_EQ(service->remove_client("new-bot"), std::nullopt);
  EXPECT_EQ(service->remove_client("new-bot"), "no client \"new-bot\"");
}

TEST_F(AuthServiceTest, ClientsFromTheConfigAreChangedOnlyThere) {
  const auto service = AuthService::create(builtin_settings(), notices_);
  EXPECT_EQ(service->remove_client("ci-bot"),
            "client \"ci-bot\" is declared in the config file: remove it there");
  EXPECT_EQ(std::get<1>(service->rotate_client_secret("ci-bot")),
            "client \"ci-bot\" is declared in the config file: change its secret there");
}

TEST_F(AuthServiceTest, TheDemoClientsSecretIsMadeOnceAndKeptPrivate) {
  AuthSettings s = builtin_settings();
  s.demo_client = true;
  const auto service = AuthService::create(s, notices_);
  const std::string file = dir_ / "data/demo-client.secret";
  EXPECT_EQ(mode_of(file), 0600u);
  const std::string secret = *read_text_file(file);
  ASSERT_FALSE(notices_.empty());
  for (const auto& line : notices_)
    EXPECT_EQ(line.find(secret), std::string::npos) << "a secret was printed";
  EXPECT_TRUE(accepted(*service, token_for(*service, "demo", secret)));
  std::vector<std::string> again;
  AuthService::create(s, again);
  EXPECT_EQ(*read_text_file(file), secret);
}

TEST_F(AuthServiceTest, RemovingAClientOrRotatingItsSecretRevokesItsTokensCachedOrNot) {
  const auto service = AuthService::create(builtin_settings(), notices_);
  auto& verifier = service->verifier();
  const auto added = service->add_client("bot", "data", {});
  ASSERT_EQ(added.index(), 0u);
  const std::string old_token = token_for(*service, "bot", std::get<0>(added));
  ASSERT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(old_token, kTestNow + 1)));
  ASSERT_EQ(verifier.cached_tokens(), 1u);

  const auto rotated = service->rotate_client_secret("bot");
  ASSERT_EQ(rotated.index(), 0u);
  for (int i = 0; i < 2; ++i) {  // the cache does not keep accepting it either
    const auto r = verifier.verify_cached(old_token, kTestNow + 2);
    ASSERT_TRUE(std::holds_alternative<AuthFailure>(r));
    EXPECT_EQ(std::get<AuthFailure>(r).status, 401);
    EXPECT_EQ(std::get<AuthFailure>(r).message,
              "token was revoked: the secret of client \"bot\" was rotated after the token was "
              "issued; get a new "
              "token");
  }
  const std::string new_token = token_for(*service, "bot", std::get<0>(rotated));
  ASSERT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(new_token, kTestNow + 3)));

  ASSERT_EQ(service->remove_client("bot"), std::nullopt);
  const auto removed = verifier.verify_cached(new_token, kTestNow + 4);
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(removed));
  EXPECT_EQ(std::get<AuthFailure>(removed).message,
            "token was revoked: client \"bot\" no longer exists at this issuer");
  // Added again under the same id: the old tokens stay revoked.
  ASSERT_EQ(service->add_client("bot", "data", {}).index(), 0u);
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(verifier.verify_cached(new_token, kTestNow + 5)));
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(verifier.verify(old_token, kTestNow + 5)));
}

TEST_F(AuthServiceTest, ConfigClientTokensSurviveARestartOfTheService) {
  std::string token;
  {
    const auto service = AuthService::create(builtin_settings(), notices_);
    token = token_for(*service, "ci-bot", "s3cret");
  }
  const auto again = AuthService::create(builtin_settings(), notices_);
  EXPECT_TRUE(accepted(*again, token));
}

TEST_F(AuthServiceTest, TheDemoClientGetsTheAdminScopeOnlyWhenItAsks) {
  AuthSettings s = builtin_settings();
  s.demo_client = true;
  const auto service = AuthService::create(s, notices_);
  const std::string secret = *read_text_file(dir_ / "data/demo-client.secret");
  const auto plain = service->verifier().verify(token_for(*service, "demo", secret), kTestNow + 1);
  ASSERT_TRUE(std::holds_alternative<Principal>(plain));
  EXPECT_EQ(std::get<Principal>(plain).scopes, std::vector<std::string>{kInvoke});
  const auto r = service->issuer()->token_request(
      "application/x-www-form-urlencoded",
      "grant_type=client_credentials&scope=https%3A%2F%2Fgateway.internal%2Fadmin",
      basic_header("demo", secret), kTestNow);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto admin = service->verifier().verify(
      std::string(json::parse(r.body).at("access_token").as_string()), kTestNow + 1);
  ASSERT_TRUE(std::holds_alternative<Principal>(admin));
  EXPECT_EQ(std::get<Principal>(admin).scopes, std::vector<std::string>{kDefaultAdminScope});
  // Its hash costs what the decoy costs: an unknown client id answers no faster.
  const auto demo = service->issuer()->find_client("demo");
  ASSERT_TRUE(demo);
  EXPECT_EQ(secret_hash_iterations(demo->secret_hash),
            secret_hash_iterations(service->issuer()->decoy_hash()));
  EXPECT_EQ(secret_hash_iterations(demo->secret_hash), kSecretHashIterations);
}

TEST_F(AuthServiceTest, SecretFilesAre0600WhateverTheUmask) {
  for (const mode_t mask : {mode_t{022}, mode_t{0}, mode_t{077}}) {
    const mode_t old = umask(mask);
    write_private_file(dir_ / "secret", "x");
    umask(old);
    EXPECT_EQ(mode_of(dir_ / "secret"), 0600u) << "umask " << mask;
  }
}

}  // namespace
}  // namespace aigw::auth
