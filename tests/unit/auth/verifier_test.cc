// Token verification: every rejection with its exact status and message, RS256 and ES256,
// rotation by kid, the per-token cache, and the x-api-key / Bearer extraction.
#include "auth/verifier.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
constexpr const char* kScope = "https://gateway.internal/invoke";

json::object claims(std::int64_t exp = kNow + 3600) {
  return {{"iss", kIss},
          {"sub", "svc"},
          {"client_id", "ci-bot"},
          {"custom:team", "platform"},
          {"scope", std::string(kScope) + " other"},
          {"token_use", "access"},
          {"iat", kNow - 10},
          {"exp", exp}};
}

std::string unsigned_token(const json::object& header, const json::object& body,
                           const std::string& sig = "") {
  return base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(body)) +
         "." + base64url_encode(sig);
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() {
    keys_ = std::make_shared<KeySet>();
    keys_->replace({{rsa_.kid(), rsa_.public_key()}, {ec_.kid(), ec_.public_key()}});
    TrustedIssuer issuer{kIss, keys_, "", "custom:team", "", {}};
    verifier_ = std::make_unique<Verifier>(std::vector<TrustedIssuer>{issuer},
                                           VerifierOptions{kScope, 60, {}});
  }
  std::string failure(const std::string& token, std::int64_t now = kNow) {
    const auto r = verifier_->verify(token, now);
    if (const auto* f = std::get_if<AuthFailure>(&r))
      return std::to_string(f->status) + " " + f->error + ": " + f->message;
    return "accepted";
  }

  SigningKey rsa_ = *SigningKey::generate("RS256");
  SigningKey ec_ = *SigningKey::generate("ES256");
  std::shared_ptr<KeySet> keys_;
  std::unique_ptr<Verifier> verifier_;
};

TEST_F(VerifierTest, GoodRs256AndEs256TokensGiveThePrincipal) {
  for (const SigningKey* key : {&rsa_, &ec_}) {
    const auto r = verifier_->verify(key->sign_jwt(claims()), kNow);
    ASSERT_TRUE(std::holds_alternative<Principal>(r)) << failure(key->sign_jwt(claims()));
    const auto& p = std::get<Principal>(r);
    EXPECT_EQ(p.client_id, "ci-bot");
    EXPECT_EQ(p.team, "platform");  // from the configured team claim
    EXPECT_TRUE(p.has_scope(kScope));
    EXPECT_FALSE(verifier_->require_scope(p, kScope).has_value());
  }
}

TEST_F(VerifierTest, ExpiredTokenSaysHowLongAgo) {
  EXPECT_EQ(failure(rsa_.sign_jwt(claims(kNow - 180))),
            "401 invalid_token: token expired 3 minutes ago");
  EXPECT_EQ(failure(rsa_.sign_jwt(claims(kNow - 30))), "accepted");  // within the leeway
}

TEST_F(VerifierTest, NotYetValidToken) {
  auto c = claims();
  c["nbf"] = kNow + 600;
  EXPECT_EQ(failure(rsa_.sign_jwt(c)),
            "401 invalid_token: token is not valid yet (valid in 10 minutes)");
}

TEST_F(VerifierTest, MissingScopeIs403NamingIt) {
  auto c = claims();
  c["scope"] = "something/else";
  const auto r = verifier_->verify(rsa_.sign_jwt(c), kNow);
  const auto denied = verifier_->require_scope(std::get<Principal>(r), kScope);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->error, "insufficient_scope");
  EXPECT_NE(denied->message.find("lacks the required scope https://gateway.internal/invoke"),
            std::string::npos);
}

TEST_F(VerifierTest, AlgNoneAndHmacAreRefused) {
  const json::object none{{"alg", "none"}, {"kid", rsa_.kid()}};
  EXPECT_EQ(failure(unsigned_token(none, claims())),
            "401 invalid_token: token algorithm \"none\" is not accepted (RS256 or ES256 only)");
  const json::object hs{{"alg", "HS256"}, {"kid", rsa_.kid()}};
  EXPECT_EQ(failure(unsigned_token(hs, claims(), "forged-with-the-public-key")),
            "401 invalid_token: token algorithm \"HS256\" is not accepted (RS256 or ES256 only)");
}

TEST_F(VerifierTest, AlgorithmMustMatchTheKey) {
  // An ES256 header pointing at the RSA key's kid: the key decides, not the token.
  std::string token = rsa_.sign_jwt(claims());
  const json::object header{{"alg", "ES256"}, {"kid", rsa_.kid()}};
  token = base64url_encode(json::serialize(header)) + token.substr(token.find('.'));
  EXPECT_EQ(failure(token),
            "401 invalid_token: token algorithm \"ES256\" does not match its signing key (RS256)");
}

TEST_F(VerifierTest, TamperedPayloadHasAnInvalidSignature) {
  const std::string token = rsa_.sign_jwt(claims());
  auto c = claims();
  c["custom:team"] = "someone-else";
  const std::string forged = token.substr(0, token.find('.') + 1) +
                             base64url_encode(json::serialize(c)) + token.substr(token.rfind('.'));
  EXPECT_EQ(failure(forged), "401 invalid_token: token signature is invalid");
}

TEST_F(VerifierTest, MalformedSegments) {
  EXPECT_EQ(failure("abc"),
            "401 invalid_token: token is malformed: expected three dot-separated parts");
  EXPECT_EQ(failure("a.b.c.d"),
            "401 invalid_token: token is malformed: expected three dot-separated parts");
  EXPECT_EQ(failure("!!!.e30.e30"),
            "401 invalid_token: token is malformed: header is not base64url");
  EXPECT_EQ(failure(base64url_encode(R"({"alg":"RS256"})") + ".bm90IGpzb24.sig"),
            "401 invalid_token: token is malformed: payload is not JSON");
}

TEST_F(VerifierTest, UnknownIssuerAndUnknownKid) {
  auto c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(
      failure(rsa_.sign_jwt(c)),
      "401 invalid_token: token issuer \"https://evil.example\" is not trusted by this gateway");
  const SigningKey stranger = *SigningKey::generate("RS256");
  const auto r = verifier_->verify(stranger.sign_jwt(claims()), kNow);
  const auto& f = std::get<AuthFailure>(r);
  EXPECT_TRUE(f.unknown_kid);
  EXPECT_EQ(f.issuer, kIss);
  // After the IdP's rotation is fetched, the same token verifies.
  keys_->replace({{stranger.kid(), stranger.public_key()}});
  EXPECT_EQ(failure(stranger.sign_jwt(claims())), "accepted");
}

TEST_F(VerifierTest, TokenUseMustBeAccess) {
  auto c = claims();
  c["token_use"] = "id";
  EXPECT_EQ(failure(rsa_.sign_jwt(c)),
            "401 invalid_token: token_use \"id\" is not accepted: use an access token");
}

TEST_F(VerifierTest, AudienceAndClientAllowList) {
  TrustedIssuer strict{kIss, keys_, "", "team", "gateway-api", {"allowed-client"}};
  Verifier v({strict}, VerifierOptions{kScope, 60, {{"allowed-client", "mapped-team"}}});
  auto c = claims();
  c["aud"] = "gateway-api";
  auto r = v.verify(rsa_.sign_jwt(c), kNow);
  EXPECT_NE(std::get<AuthFailure>(r).message.find("client \"ci-bot\" is not allowed"),
            std::string::npos);
  c["client_id"] = "allowed-client";
  r = v.verify(rsa_.sign_jwt(c), kNow);
  ASSERT_TRUE(std::holds_alternative<Principal>(r));
  EXPECT_EQ(std::get<Principal>(r).team, "mapped-team");  // team from the client map
  c["aud"] = "other";
  EXPECT_EQ(std::get<AuthFailure>(v.verify(rsa_.sign_jwt(c), kNow)).message,
            "token audience does not include gateway-api");
}

TEST_F(VerifierTest, CachedResultExpiresWithTheToken) {
  const std::string token = rsa_.sign_jwt(claims(kNow + 100));
  EXPECT_TRUE(std::holds_alternative<Principal>(verifier_->verify_cached(token, kNow)));
  EXPECT_TRUE(std::holds_alternative<Principal>(verifier_->verify_cached(token, kNow + 50)));
  const auto later = verifier_->verify_cached(token, kNow + 500);
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(later));
  EXPECT_NE(std::get<AuthFailure>(later).message.find("expired"), std::string::npos);
}

TEST(ExtractTokenTest, BearerOrXApiKeyOrAClearError) {
  EXPECT_EQ(std::get<std::string_view>(extract_token("Bearer abc.def.ghi", std::nullopt)),
            "abc.def.ghi");
  EXPECT_EQ(std::get<std::string_view>(extract_token("bearer  abc ", std::nullopt)), "abc");
  EXPECT_EQ(std::get<std::string_view>(extract_token(std::nullopt, "abc")), "abc");
  const auto missing = std::get<AuthFailure>(extract_token(std::nullopt, std::nullopt));
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.www_authenticate().find("Bearer realm=\"aigw\", error=\"invalid_request\""),
            std::string::npos);
  EXPECT_EQ(std::get<AuthFailure>(extract_token("Basic Zm9vOmJhcg==", std::nullopt)).message,
            "Authorization header is not a Bearer token");
}

TEST(HumanDurationTest, ReadsLikeThePage) {
  EXPECT_EQ(human_duration(45), "45 seconds");
  EXPECT_EQ(human_duration(180), "3 minutes");
  EXPECT_EQ(human_duration(3 * 3600), "3 hours");
}

}  // namespace
}  // namespace aigw::auth
