// The built-in issuer: client_credentials with Basic or form credentials, RFC 6749 errors,
// scopes, hashed secrets, persisted keys and rotation, JWKS documents.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>

#include "auth/base64url.h"
#include "auth/client_secret.h"
#include "auth/key_set.h"
#include "auth/token_issuer.h"
#include "auth/verifier.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
constexpr std::int64_t kNow = 1'800'000'000;

std::string temp_dir() {
  std::string p = (std::filesystem::temp_directory_path() / "aigw-issuer-XXXXXX").string();
  return mkdtemp(p.data());
}

std::string basic(const std::string& id, const std::string& secret) {
  std::string b = base64url_encode(id + ":" + secret);
  std::replace(b.begin(), b.end(), '-', '+');
  std::replace(b.begin(), b.end(), '_', '/');
  while (b.size() % 4) b += '=';
  return "Basic " + b;
}

class IssuerTest : public ::testing::Test {
 protected:
  IssuerTest()
      : dir_(temp_dir()),
        ring_(SigningKeyRing::load_or_create(dir_ + "/keys", "RS256")),
        issuer_("http://localhost:8787", 3600, ring_,
                {{"ci-bot",
                  "platform",
                  hash_secret("s3cret", 1000),
                  {"https://gateway.internal/invoke", "extra"}}}) {}
  ~IssuerTest() override { std::filesystem::remove_all(dir_); }
  IssuerResponse post(const std::string& body, std::optional<std::string> auth = std::nullopt) {
    return issuer_.token_request("application/x-www-form-urlencoded", body, auth, kNow);
  }
  std::string error_of(const IssuerResponse& r) {
    return std::string(json::parse(r.body).at("error").as_string());
  }

  std::string dir_;
  std::shared_ptr<SigningKeyRing> ring_;
  TokenIssuer issuer_;
};

TEST_F(IssuerTest, BasicCredentialsGiveACognitoShapedAnswerWithTheClaims) {
  const auto r = post("grant_type=client_credentials", basic("ci-bot", "s3cret"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto v = json::parse(r.body).as_object();
  EXPECT_EQ(v.at("token_type"), "Bearer");
  EXPECT_EQ(v.at("expires_in").as_int64(), 3600);
  auto keys = std::make_shared<KeySet>();
  std::string error;
  ASSERT_TRUE(keys->replace_from_jwks(issuer_.jwks_document(), error)) << error;
  Verifier verifier({{"http://localhost:8787", keys, "", "team", "", {}}}, {});
  const auto checked = verifier.verify(std::string(v.at("access_token").as_string()), kNow);
  ASSERT_TRUE(std::holds_alternative<Principal>(checked));
  const auto& p = std::get<Principal>(checked);
  EXPECT_EQ(p.client_id, "ci-bot");
  EXPECT_EQ(p.team, "platform");
  EXPECT_EQ(p.expires_at, kNow + 3600);
  EXPECT_TRUE(p.has_scope("extra"));
}

TEST_F(IssuerTest, FormCredentialsAndANarrowerScope) {
  const auto r = post(
      "grant_type=client_credentials&client_id=ci-bot&client_secret=s3cret&scope=https%3A%2F%"
      "2Fgateway.internal%2Finvoke");
  ASSERT_EQ(r.status, 200) << r.body;
}

TEST_F(IssuerTest, Rfc6749Errors) {
  const auto wrong = post("grant_type=client_credentials", basic("ci-bot", "nope"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(error_of(wrong), "invalid_client");
  EXPECT_EQ(wrong.headers.back().first, "WWW-Authenticate");
  EXPECT_EQ(error_of(post("grant_type=client_credentials", basic("nobody", "s3cret"))),
            "invalid_client");
  const auto grant = post("grant_type=password", basic("ci-bot", "s3cret"));
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(error_of(grant), "unsupported_grant_type");
  const auto scope = post("grant_type=client_credentials&scope=admin", basic("ci-bot", "s3cret"));
  EXPECT_EQ(scope.status, 400);
  EXPECT_EQ(error_of(scope), "invalid_scope");
  EXPECT_EQ(error_of(post("", basic("ci-bot", "s3cret"))), "invalid_request");
  EXPECT_EQ(error_of(issuer_.token_request("application/json", "{}", std::nullopt, kNow)),
            "invalid_request");
}

TEST_F(IssuerTest, KeysArePersistedPrivatelyAndRotationKeepsThePreviousKey) {
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/keys/current.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first_kid = ring_->current()->kid();
  EXPECT_EQ(SigningKeyRing::load_or_create(dir_ + "/keys", "RS256")->current()->kid(),
            first_kid);  // reloaded, not regenerated
  ring_->rotate();
  EXPECT_NE(ring_->current()->kid(), first_kid);
  const auto jwks = json::parse(ring_->jwks_document()).at("keys").as_array();
  ASSERT_EQ(jwks.size(), 2u);
  EXPECT_EQ(jwks[1].at("kid").as_string(), first_kid);
}

TEST_F(IssuerTest, OpenIdConfigurationNamesTheEndpoints) {
  const auto v = json::parse(issuer_.openid_configuration("https://gw.example")).as_object();
  EXPECT_EQ(v.at("token_endpoint"), "https://gw.example/oauth2/token");
  EXPECT_EQ(v.at("jwks_uri"), "https://gw.example/.well-known/jwks.json");
  EXPECT_EQ(v.at("issuer"), "http://localhost:8787");
}

TEST(SigningKeyTest, TokensDecodeWithPlainBase64EvenWithAwkwardClaims) {
  const auto key = *SigningKey::generate("ES256");
  const std::string token =
      key.sign_jwt({{"iss", "x"}, {"sub", "a?b>c~d?x>>>~~~"}, {"exp", kNow + 60}});
  const std::string payload =
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  EXPECT_EQ(payload.find_first_of("-_"), std::string::npos) << payload;
  auto keys = std::make_shared<KeySet>();
  keys->replace({{key.kid(), key.public_key()}});
  Verifier v({{"x", keys, "", "team", "", {}}}, VerifierOptions{"", 60, {}});
  const auto r = v.verify(token, kNow);
  ASSERT_TRUE(std::holds_alternative<Principal>(r));
  EXPECT_EQ(std::get<Principal>(r).client_id, "a?b>c~d?x>>>~~~");
}

TEST(ClientSecretTest, HashesVerifyAndNeverEqualTheSecret) {
  const std::string h = hash_secret("correct horse", 1000);
  EXPECT_TRUE(looks_like_secret_hash(h));
  EXPECT_EQ(h.find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_secret("correct horse", h));
  EXPECT_FALSE(verify_secret("correct horsE", h));
  EXPECT_FALSE(verify_secret("x", "pbkdf2-sha256$1$bad"));
  EXPECT_NE(hash_secret("same", 1000), hash_secret("same", 1000));  // salted
}

TEST(FormTest, DecodesPercentAndPlus) {
  const auto f = parse_form("a=1&b=x+y&c=%2F%3A&d");
  EXPECT_EQ(f.at("b"), "x y");
  EXPECT_EQ(f.at("c"), "/:");
  EXPECT_EQ(f.at("d"), "");
}

TEST(Base64UrlTest, RoundTripsAndRejectsJunk) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00z"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_FALSE(base64url_decode("a+b/").has_value());
  EXPECT_FALSE(base64url_decode("a").has_value());
}

}  // namespace
}  // namespace aigw::auth
