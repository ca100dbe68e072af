// POST /oauth2/token as the built-in issuer answers it: client_credentials with HTTP Basic
// (URL-decoded id and secret) or form fields, the claims of the token it signs, each RFC 6749
// error with its status, body and headers, form decoding, and the discovery documents.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "auth/client_secret.h"
#include "auth/key_set.h"
#include "auth/token_issuer.h"
#include "auth/verifier.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::basic_header;
using testing::kTestNow;
using testing::TempDir;

constexpr const char* kIssuer = "http://localhost:8787";
constexpr const char* kInvoke = "https://gateway.internal/invoke";
constexpr const char* kAdmin = "https://gateway.internal/admin";
constexpr const char* kForm = "application/x-www-form-urlencoded";

json::object payload_of(const std::string& token) {
  const auto first = token.find('.');
  return json::parse(*base64url_decode(token.substr(first + 1, token.rfind('.') - first - 1)))
      .as_object();
}

json::object header_of(const std::string& token) {
  return json::parse(*base64url_decode(token.substr(0, token.find('.')))).as_object();
}

class IssuerTokenRequestTest : public ::testing::Test {
 protected:
  IssuerTokenRequestTest()
      : ring_(SigningKeyRing::load_or_create(dir_ / "keys", "RS256")),
        issuer_(kIssuer, 3600, ring_,
                {{"ci-bot", "platform", hash_secret("s3cret", 1000), {kInvoke, kAdmin}},
                 {"team:bot", "data", hash_secret("p@ss:w rd+", 1000), {kInvoke}}}) {}

  IssuerResponse post(const std::string& body,
                      std::optional<std::string> authorization = std::nullopt,
                      const std::string& content_type = kForm) {
    return issuer_.token_request(content_type, body, authorization, kTestNow);
  }
  static std::string error_of(const IssuerResponse& r) {
    return std::to_string(r.status) + " " + json::serialize(json::parse(r.body));
  }
  static std::string oauth_error(int status, const std::string& error,
                                 const std::string& description) {
    return std::to_string(status) + " " +
           json::serialize(json::object{{"error", error}, {"error_description", description}});
  }
  static std::string header(const IssuerResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }
  static std::string access_token(const IssuerResponse& r) {
    return std::string(json::parse(r.body).at("access_token").as_string());
  }

  TempDir dir_;
  std::shared_ptr<SigningKeyRing> ring_;
  TokenIssuer issuer_;
};

TEST_F(IssuerTokenRequestTest, BasicCredentialsGetACognitoShapedAnswer) {
  const auto r = post("grant_type=client_credentials", basic_header("ci-bot", "s3cret"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body.size(), 3u);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 3600);
  EXPECT_EQ(std::count(body.at("access_token").as_string().begin(),
                       body.at("access_token").as_string().end(), '.'),
            2);
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
}

TEST_F(IssuerTokenRequestTest, TheTokenCarriesTheDocumentedClaims) {
  const std::string token =
      access_token(post("grant_type=client_credentials", basic_header("ci-bot", "s3cret")));
  const auto h = header_of(token);
  EXPECT_EQ(h.at("alg"), "RS256");
  EXPECT_EQ(h.at("typ"), "JWT");
  EXPECT_EQ(h.at("kid").as_string(), ring_->current()->kid());
  const auto c = payload_of(token);
  EXPECT_EQ(c.at("iss"), kIssuer);
  EXPECT_EQ(c.at("sub"), "ci-bot");
  EXPECT_EQ(c.at("client_id"), "ci-bot");
  EXPECT_EQ(c.at("team"), "platform");
  // Default: the client's scopes but the admin scope, which must be asked for.
  EXPECT_EQ(c.at("scope").as_string(), kInvoke);
  EXPECT_EQ(c.at("token_use"), "access");
  EXPECT_EQ(c.at("iat").as_int64(), kTestNow);
  EXPECT_EQ(c.at("exp").as_int64(), kTestNow + 3600);
  EXPECT_GE(c.at("jti").as_string().size(), 16u);
}

TEST_F(IssuerTokenRequestTest, EveryTokenHasItsOwnJti) {
  std::set<std::string> jtis;
  for (int i = 0; i < 5; ++i) {
    const auto token =
        access_token(post("grant_type=client_credentials&client_id=ci-bot&client_secret=s3cret"));
    jtis.insert(std::string(payload_of(token).at("jti").as_string()));
  }
  EXPECT_EQ(jtis.size(), 5u);
}

TEST_F(IssuerTokenRequestTest, IssuedTokensPassTheVerifierBeforeAndAfterKeyRotation) {
  const std::string before =
      access_token(post("grant_type=client_credentials", basic_header("ci-bot", "s3cret")));
  ring_->rotate();
  const std::string after =
      access_token(post("grant_type=client_credentials", basic_header("ci-bot", "s3cret")));
  EXPECT_NE(header_of(before).at("kid"), header_of(after).at("kid"));
  auto keys = std::make_shared<KeySet>();
  std::string error;
  ASSERT_TRUE(keys->replace_from_jwks(issuer_.jwks_document(), error)) << error;
  Verifier v({{kIssuer, keys, "", "team", "", {}}}, VerifierOptions{});
  for (const auto& token : {before, after}) {
    const auto r = v.verify(token, kTestNow + 10);
    ASSERT_TRUE(std::holds_alternative<Principal>(r)) << std::get<AuthFailure>(r).message;
    EXPECT_EQ(std::get<Principal>(r).team, "platform");
    EXPECT_FALSE(v.require_scope(std::get<Principal>(r), kInvoke));
  }
}

TEST_F(IssuerTokenRequestTest, FormFieldCredentialsWork) {
  EXPECT_EQ(post("grant_type=client_credentials&client_id=ci-bot&client_secret=s3cret").status,
            200);
}

TEST_F(IssuerTokenRequestTest, BasicIdAndSecretAreUrlDecoded) {
  // RFC 6749 §2.3.1: form-encode id and secret, then Basic. "p@ss:w rd+" → "p%40ss%3Aw+rd%2B".
  const auto r =
      post("grant_type=client_credentials", basic_header("team%3Abot", "p%40ss%3Aw+rd%2B"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(payload_of(access_token(r)).at("client_id"), "team:bot");
  // The form fields are decoded the same way.
  EXPECT_EQ(
      post("grant_type=client_credentials&client_id=team%3Abot&client_secret=p%40ss%3Aw+rd%2B")
          .status,
      200);
}

TEST_F(IssuerTokenRequestTest, ANarrowerScopeIsGrantedAsAsked) {
  const auto r = post("grant_type=client_credentials&scope=" +
                          std::string("https%3A%2F%2Fgateway.internal%2Finvoke"),
                      basic_header("ci-bot", "s3cret"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(payload_of(access_token(r)).at("scope"), kInvoke);
}

TEST_F(IssuerTokenRequestTest, TheAdminScopeIsGrantedOnlyWhenAskedFor) {
  const auto asked = post("grant_type=client_credentials&scope=" +
                              std::string("https%3A%2F%2Fgateway.internal%2Fadmin"),
                          basic_header("ci-bot", "s3cret"));
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_EQ(payload_of(access_token(asked)).at("scope"), kAdmin);
  const auto both =
      post("grant_type=client_credentials&scope=" + std::string(kInvoke) + "+" + kAdmin,
           basic_header("ci-bot", "s3cret"));
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(payload_of(access_token(both)).at("scope").as_string(),
            std::string(kInvoke) + " " + kAdmin);

  // A client with nothing but the admin scope is told to ask for it.
  issuer_.put_client({"root", "ops", hash_secret("root", 1000), {kAdmin}, false, "v1"});
  EXPECT_EQ(error_of(post("grant_type=client_credentials", basic_header("root", "root"))),
            oauth_error(
                400, "invalid_scope",
                "client root has only the admin scope, which is granted only when asked for: send "
                "scope=https://gateway.internal/admin"));
  const auto root = post("grant_type=client_credentials&scope=" + std::string(kAdmin),
                         basic_header("root", "root"));
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_EQ(payload_of(access_token(root)).at("secret_version"), "v1");
}

TEST_F(IssuerTokenRequestTest, UnknownAndKnownClientsCostTheSamePbkdf2Work) {
  // Hashes of different costs: 1000 iterations (the fixture), the default, and a dearer one.
  issuer_.put_client({"default-cost", "t", hash_secret("x"), {kInvoke}, false, ""});
  EXPECT_EQ(issuer_.work_iterations(), kSecretHashIterations);
  const std::string decoy = issuer_.decoy_hash();
  EXPECT_EQ(decoy.substr(0, decoy.find('$', 14) + 1),
            "pbkdf2-sha256$" + std::to_string(kSecretHashIterations) + "$");
  EXPECT_EQ(secret_hash_iterations(decoy), issuer_.work_iterations());

  const int work = issuer_.work_iterations();
  EXPECT_EQ(issuer_.check_secret("no-such-client", "s3cret").iterations, work);
  EXPECT_EQ(issuer_.check_secret("ci-bot", "wrong").iterations, work);  // own hash: 1000, padded
  EXPECT_EQ(issuer_.check_secret("default-cost", "wrong").iterations,
            work);  // own hash: the default
  const auto first = issuer_.check_secret("ci-bot", "s3cret");
  EXPECT_TRUE(first.matched);
  EXPECT_EQ(first.iterations, work);

  // A dearer hash raises the work of every check, the decoy's included.
  issuer_.put_client(
      {"dear", "t", hash_secret("y", kSecretHashIterations + 1), {kInvoke}, false, ""});
  EXPECT_EQ(issuer_.work_iterations(), kSecretHashIterations + 1);
  EXPECT_EQ(secret_hash_iterations(issuer_.decoy_hash()), kSecretHashIterations + 1);
  EXPECT_EQ(issuer_.check_secret("no-such-client", "y").iterations, kSecretHashIterations + 1);
  EXPECT_EQ(issuer_.check_secret("default-cost", "wrong").iterations, kSecretHashIterations + 1);
}

TEST_F(IssuerTokenRequestTest, ReadRequestIsCheapAndGrantChecksTheSecret) {
  const auto step = issuer_.read_request(kForm, "grant_type=client_credentials&scope=a+b",
                                         basic_header("ci-bot", "nope"));
  ASSERT_TRUE(std::holds_alternative<TokenGrant>(step));
  const auto& g = std::get<TokenGrant>(step);
  EXPECT_EQ(g.client_id, "ci-bot");
  EXPECT_EQ(g.scope, "a b");
  EXPECT_TRUE(g.via_basic);
  EXPECT_FALSE(issuer_.secret_known_good(g));
  EXPECT_EQ(issuer_.grant(g, kTestNow).status, 401);
  // A malformed request is answered without a grant.
  EXPECT_TRUE(std::holds_alternative<IssuerResponse>(
      issuer_.read_request(kForm, "grant_type=password", std::nullopt)));
  // A secret accepted once is known good afterwards (no PBKDF2 again).
  const TokenGrant good{"ci-bot", "s3cret", std::nullopt, false};
  EXPECT_FALSE(issuer_.secret_known_good(good));
  EXPECT_EQ(issuer_.grant(good, kTestNow).status, 200);
  EXPECT_TRUE(issuer_.secret_known_good(good));
}

TEST_F(IssuerTokenRequestTest, RevokedSaysWhy) {
  EXPECT_FALSE(issuer_.revoked("ci-bot", ""));
  issuer_.put_client({"bot", "t", hash_secret("z", 1000), {kInvoke}, false, "v2"});
  EXPECT_FALSE(issuer_.revoked("bot", "v2"));
  EXPECT_EQ(issuer_.revoked("bot", "v1"),
            "token was revoked: the secret of client \"bot\" was rotated after the "
            "token was issued; get a new token");
  issuer_.remove_client("bot");
  EXPECT_EQ(issuer_.revoked("bot", "v2"),
            "token was revoked: client \"bot\" no longer exists at this issuer");
}

TEST_F(IssuerTokenRequestTest, WrongSecretOverBasicIs401WithABasicChallenge) {
  const auto r = post("grant_type=client_credentials", basic_header("ci-bot", "wrong"));
  EXPECT_EQ(error_of(r),
            oauth_error(401, "invalid_client", "unknown client or wrong client secret"));
  EXPECT_EQ(header(r, "WWW-Authenticate"), "Basic realm=\"aigw\"");
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
}

TEST_F(IssuerTokenRequestTest, UnknownClientLooksLikeAWrongSecret) {
  EXPECT_EQ(error_of(post("grant_type=client_credentials", basic_header("nobody", "s3cret"))),
            oauth_error(401, "invalid_client", "unknown client or wrong client secret"));
}

TEST_F(IssuerTokenRequestTest, WrongSecretInTheFormIs401WithoutAChallenge) {
  const auto r = post("grant_type=client_credentials&client_id=ci-bot&client_secret=nope");
  EXPECT_EQ(error_of(r),
            oauth_error(401, "invalid_client", "unknown client or wrong client secret"));
  EXPECT_EQ(header(r, "WWW-Authenticate"), "");
}

TEST_F(IssuerTokenRequestTest, MissingOrUnreadableCredentialsAreInvalidClient) {
  EXPECT_EQ(error_of(post("grant_type=client_credentials")),
            oauth_error(401, "invalid_client", "unknown client or wrong client secret"));
  EXPECT_EQ(error_of(post("grant_type=client_credentials&client_id=ci-bot")),
            oauth_error(401, "invalid_client", "unknown client or wrong client secret"));
  for (const std::string& bad : {std::string("Basic !!!notbase64"),
                                 std::string("Basic bm9jb2xvbg=="), std::string("Basic ")}) {
    const auto r = post("grant_type=client_credentials", bad);
    EXPECT_EQ(r.status, 401) << bad;
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Basic realm=\"aigw\"") << bad;
  }
}

TEST_F(IssuerTokenRequestTest, OnlyClientCredentialsIsSupported) {
  for (const char* grant : {"password", "authorization_code", "refresh_token", ""}) {
    EXPECT_EQ(error_of(post(std::string("grant_type=") + grant, basic_header("ci-bot", "s3cret"))),
              oauth_error(400, "unsupported_grant_type",
                          "only the client_credentials grant is supported"));
  }
}

TEST_F(IssuerTokenRequestTest, MissingGrantTypeIsInvalidRequest) {
  EXPECT_EQ(error_of(post("", basic_header("ci-bot", "s3cret"))),
            oauth_error(400, "invalid_request", "grant_type is missing"));
}

TEST_F(IssuerTokenRequestTest, AScopeTheClientDoesNotHaveIsInvalidScope) {
  EXPECT_EQ(error_of(post("grant_type=client_credentials&scope=" + std::string(kInvoke) + "+extra",
                          basic_header("team%3Abot", "p%40ss%3Aw+rd%2B"))),
            oauth_error(400, "invalid_scope", "scope extra is not allowed for client team:bot"));
}

TEST_F(IssuerTokenRequestTest, OnlyFormBodiesAreAccepted) {
  const std::string body = "grant_type=client_credentials";
  EXPECT_EQ(error_of(post(body, basic_header("ci-bot", "s3cret"), "application/json")),
            oauth_error(400, "invalid_request",
                        "the token request must be application/x-www-form-urlencoded"));
  EXPECT_EQ(post(body, basic_header("ci-bot", "s3cret"), "").status, 400);
  EXPECT_EQ(
      post(body, basic_header("ci-bot", "s3cret"), "application/x-www-form-urlencoded-not").status,
      400);
  EXPECT_EQ(post(body, basic_header("ci-bot", "s3cret"),
                 "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
                .status,
            200);
}

TEST_F(IssuerTokenRequestTest, RepeatedParametersAreInvalidRequest) {
  EXPECT_EQ(error_of(post("grant_type=client_credentials&scope=a&scope=b",
                          basic_header("ci-bot", "s3cret"))),
            oauth_error(400, "invalid_request", "parameter scope is repeated"));
}

TEST_F(IssuerTokenRequestTest, CredentialsInBothPlacesAreInvalidRequest) {
  EXPECT_EQ(error_of(post("grant_type=client_credentials&client_secret=s3cret",
                          basic_header("ci-bot", "s3cret"))),
            oauth_error(400, "invalid_request",
                        "send the client credentials once: HTTP Basic or the client_secret form "
                        "field, not both"));
  EXPECT_EQ(error_of(post("grant_type=client_credentials&client_id=other",
                          basic_header("ci-bot", "s3cret"))),
            oauth_error(400, "invalid_request",
                        "client_id in the form differs from the one in HTTP Basic"));
  EXPECT_EQ(post("grant_type=client_credentials&client_id=ci-bot", basic_header("ci-bot", "s3cret"))
                .status,
            200);
}

TEST_F(IssuerTokenRequestTest, ANewSecretRetiresTheOldOneAtOnce) {
  ASSERT_EQ(post("grant_type=client_credentials", basic_header("ci-bot", "s3cret")).status,
            200);  // now remembered
  auto client = *issuer_.find_client("ci-bot");
  client.secret_hash = hash_secret("n3w", 1000);
  issuer_.put_client(client);
  EXPECT_EQ(post("grant_type=client_credentials", basic_header("ci-bot", "s3cret")).status, 401);
  EXPECT_EQ(post("grant_type=client_credentials", basic_header("ci-bot", "n3w")).status, 200);
  ASSERT_TRUE(issuer_.remove_client("ci-bot"));
  EXPECT_EQ(post("grant_type=client_credentials", basic_header("ci-bot", "n3w")).status, 401);
}

TEST(IssuerEs256Test, AnEs256IssuerSignsEs256Tokens) {
  TempDir dir;
  TokenIssuer issuer(kIssuer, 600, SigningKeyRing::load_or_create(dir / "keys", "ES256"),
                     {{"c", "t", hash_secret("s", 1000), {kInvoke}}});
  const auto r = issuer.token_request(
      kForm, "grant_type=client_credentials&client_id=c&client_secret=s", std::nullopt, kTestNow);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token(json::parse(r.body).at("access_token").as_string());
  EXPECT_EQ(header_of(token).at("alg"), "ES256");
  EXPECT_EQ(json::parse(r.body).at("expires_in").as_int64(), 600);
  EXPECT_EQ(payload_of(token).at("exp").as_int64(), kTestNow + 600);
}

TEST(IssuerDocumentsTest, JwksPublishesTheCurrentKeyWithoutPrivateParts) {
  TempDir dir;
  auto ring = SigningKeyRing::load_or_create(dir / "keys", "RS256");
  TokenIssuer issuer(kIssuer, 3600, ring, {});
  const auto keys = json::parse(issuer.jwks_document()).at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  const auto& k = keys[0].as_object();
  EXPECT_EQ(k.at("kid").as_string(), ring->current()->kid());
  EXPECT_EQ(k.at("kty"), "RSA");
  EXPECT_EQ(k.at("alg"), "RS256");
  EXPECT_EQ(k.at("use"), "sig");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"})
    EXPECT_FALSE(k.contains(secret)) << secret;
}

TEST(IssuerDocumentsTest, OpenIdConfigurationDescribesTheTokenEndpoint) {
  TempDir dir;
  TokenIssuer issuer(kIssuer, 3600, SigningKeyRing::load_or_create(dir / "keys", "RS256"), {});
  const auto v = json::parse(issuer.openid_configuration("https://gw.example:8443")).as_object();
  EXPECT_EQ(v.at("issuer"), kIssuer);
  EXPECT_EQ(v.at("token_endpoint"), "https://gw.example:8443/oauth2/token");
  EXPECT_EQ(v.at("jwks_uri"), "https://gw.example:8443/.well-known/jwks.json");
  EXPECT_EQ(v.at("grant_types_supported"), json::value(json::array{"client_credentials"}));
  EXPECT_EQ(v.at("token_endpoint_auth_methods_supported"),
            json::value(json::array{"client_secret_basic", "client_secret_post"}));
  EXPECT_EQ(v.at("id_token_signing_alg_values_supported"), json::value(json::array{"RS256"}));
}

TEST(IssuerFormTest, DecodesPercentPlusAndBarePairs) {
  const auto f = parse_form("a=1&b=x+y&c=%2F%3A&d&=v&&e=%E2%82%AC");
  EXPECT_EQ(f.at("a"), "1");
  EXPECT_EQ(f.at("b"), "x y");
  EXPECT_EQ(f.at("c"), "/:");
  EXPECT_EQ(f.at("d"), "");
  EXPECT_EQ(f.at(""), "v");
  EXPECT_EQ(f.at("e"), "\xE2\x82\xAC");
  EXPECT_EQ(f.size(), 6u);
}

TEST(IssuerFormTest, KeepsBrokenEscapesLiterally) {
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(url_decode("%41%62"), "Ab");
  EXPECT_EQ(url_decode("%00").size(), 1u);
}

TEST(IssuerFormTest, EmptyBodyHasNoFields) { EXPECT_TRUE(parse_form("").empty()); }

}  // namespace
}  // namespace aigw::auth
