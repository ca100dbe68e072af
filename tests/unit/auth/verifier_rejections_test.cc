// The verifier's answers, one behaviour per test: every rejection with its exact status,
// error code and message; what a principal is made of; and the per-token result cache.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <limits>
#include <thread>
#include <vector>

#include "auth/base64url.h"
#include "auth/verifier.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::kTestNow;
using testing::make_token;
using testing::replace_part;

constexpr const char* kIss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
constexpr const char* kOtherIss = "https://idp.internal";
constexpr const char* kInvoke = "https://gateway.internal/invoke";

json::object good_claims() {
  return {{"iss", kIss},          {"sub", "svc-123"},      {"client_id", "ci-bot"},
          {"team", "platform"},   {"scope", kInvoke},      {"token_use", "access"},
          {"iat", kTestNow - 10}, {"exp", kTestNow + 3600}};
}

class VerifierRejectionTest : public ::testing::Test {
 protected:
  VerifierRejectionTest() {
    keys_->replace({{rsa_.kid(), rsa_.public_key()}, {ec_.kid(), ec_.public_key()}});
    other_keys_->replace({{other_.kid(), other_.public_key()}});
    verifier_ = std::make_unique<Verifier>(
        std::vector<TrustedIssuer>{{kIss, keys_, "https://example/jwks", "team", "", {}},
                                   {kOtherIss, other_keys_, "", "team", "", {}}},
        VerifierOptions{kInvoke, 60, {{"mapped-client", "mapped-team"}}});
  }
  // "<status> <error>: <message>", or "accepted".
  std::string outcome(const std::string& token, std::int64_t now = kTestNow) const {
    const auto r = verifier_->verify(token, now);
    if (const auto* f = std::get_if<AuthFailure>(&r))
      return std::to_string(f->status) + " " + f->error + ": " + f->message;
    return "accepted";
  }
  std::string signed_by_rsa(const json::object& claims) const { return rsa_.sign_jwt(claims); }
  json::object with(const char* name, json::value value) const {
    auto c = good_claims();
    c[name] = std::move(value);
    return c;
  }
  json::object without(const char* name) const {
    auto c = good_claims();
    c.erase(name);
    return c;
  }

  const SigningKey& rsa_ = testing::shared_key("RS256", 1);
  const SigningKey& ec_ = testing::shared_key("ES256", 1);
  const SigningKey& other_ = testing::shared_key("RS256", 2);
  std::shared_ptr<KeySet> keys_ = std::make_shared<KeySet>();
  std::shared_ptr<KeySet> other_keys_ = std::make_shared<KeySet>();
  std::unique_ptr<Verifier> verifier_;
};

TEST_F(VerifierRejectionTest, GoodRs256AndEs256TokensAreAccepted) {
  EXPECT_EQ(outcome(rsa_.sign_jwt(good_claims())), "accepted");
  EXPECT_EQ(outcome(ec_.sign_jwt(good_claims())), "accepted");
}

TEST_F(VerifierRejectionTest, AlgNoneIsRefusedInAnySpelling) {
  for (const char* alg : {"none", "None", "NONE"}) {
    EXPECT_EQ(outcome(make_token({{"alg", alg}, {"kid", rsa_.kid()}}, good_claims())),
              std::string("401 invalid_token: token algorithm \"") + alg +
                  "\" is not accepted (RS256 or ES256 only)");
  }
}

TEST_F(VerifierRejectionTest, Hs256SignedWithTheRsaPublicKeyAsSecretIsRefused) {
  // The classic key-confusion forgery: the public key is public, so an HMAC keyed with it is
  // something anyone can make.
  const std::string input = base64url_encode(json::serialize(json::object{
                                {"alg", "HS256"}, {"kid", rsa_.kid()}, {"typ", "JWT"}})) +
                            "." + base64url_encode(json::serialize(good_claims()));
  const std::string forged =
      input + "." + base64url_encode(testing::hmac_sha256(testing::public_pem(rsa_), input));
  EXPECT_EQ(outcome(forged),
            "401 invalid_token: token algorithm \"HS256\" is not accepted (RS256 or ES256 only)");
  // Relabelled RS256, the same HMAC is the wrong size for the key.
  const std::string relabelled = replace_part(
      forged, 0,
      base64url_encode(json::serialize(json::object{{"alg", "RS256"}, {"kid", rsa_.kid()}})));
  EXPECT_EQ(outcome(relabelled),
            "401 invalid_token: token is malformed: RS256 signature must be 256 bytes, got 32");
}

TEST_F(VerifierRejectionTest, EveryOtherAlgorithmIsRefusedByName) {
  for (const char* alg : {"HS384", "HS512", "RS384", "RS512", "PS256", "ES384", "EdDSA"}) {
    EXPECT_EQ(outcome(make_token({{"alg", alg}, {"kid", rsa_.kid()}}, good_claims(),
                                 std::string(256, 'x'))),
              std::string("401 invalid_token: token algorithm \"") + alg +
                  "\" is not accepted (RS256 or ES256 only)");
  }
}

TEST_F(VerifierRejectionTest, TheKeyNotTheTokenChoosesTheAlgorithm) {
  const std::string token = ec_.sign_jwt(good_claims());
  const std::string as_rs256 = replace_part(
      token, 0,
      base64url_encode(json::serialize(json::object{{"alg", "RS256"}, {"kid", ec_.kid()}})));
  EXPECT_EQ(outcome(as_rs256),
            "401 invalid_token: token algorithm \"RS256\" does not match its signing key (ES256)");
}

TEST_F(VerifierRejectionTest, WrongSignatureLengthsAreMalformed) {
  const std::string es = ec_.sign_jwt(good_claims());
  const std::string der_sized = testing::signature_part(es) + "\x02\x02\x02\x02\x02\x02";
  EXPECT_EQ(outcome(replace_part(es, 2, base64url_encode(der_sized))),
            "401 invalid_token: token is malformed: ES256 signature must be 64 bytes, got 70");
  const std::string rs = rsa_.sign_jwt(good_claims());
  EXPECT_EQ(outcome(replace_part(rs, 2, base64url_encode(testing::signature_part(rs).substr(1)))),
            "401 invalid_token: token is malformed: RS256 signature must be 256 bytes, got 255");
  EXPECT_EQ(outcome(replace_part(rs, 2, "")),
            "401 invalid_token: token is malformed: RS256 signature must be 256 bytes, got 0");
}

TEST_F(VerifierRejectionTest, AlteredSignatureOrClaimsAreInvalid) {
  const std::string token = rsa_.sign_jwt(good_claims());
  std::string sig = testing::signature_part(token);
  sig[10] ^= 0x01;
  EXPECT_EQ(outcome(replace_part(token, 2, base64url_encode(sig))),
            "401 invalid_token: token signature is invalid");
  EXPECT_EQ(outcome(replace_part(token, 1,
                                 base64url_encode(json::serialize(with("scope", "everything"))))),
            "401 invalid_token: token signature is invalid");
}

TEST_F(VerifierRejectionTest, MalformedTokensSayWhatIsWrong) {
  EXPECT_EQ(outcome("not-a-jwt"),
            "401 invalid_token: token is malformed: expected three dot-separated parts");
  EXPECT_EQ(outcome("a.b.c.d"),
            "401 invalid_token: token is malformed: expected three dot-separated parts");
  EXPECT_EQ(outcome("e30.e30.e30"), "401 invalid_token: token is malformed: header has no alg");
  EXPECT_EQ(outcome(base64url_encode("[]") + ".e30.sig"),
            "401 invalid_token: token is malformed: header is not a JSON object");
}

TEST_F(VerifierRejectionTest, IssuerMustBePresentAndTrusted) {
  EXPECT_EQ(outcome(signed_by_rsa(without("iss"))), "401 invalid_token: token has no iss claim");
  EXPECT_EQ(outcome(signed_by_rsa(with("iss", 42))), "401 invalid_token: token has no iss claim");
  EXPECT_EQ(
      outcome(signed_by_rsa(with("iss", "https://evil.example"))),
      "401 invalid_token: token issuer \"https://evil.example\" is not trusted by this gateway");
  // Issuers differing only by a trailing slash are different issuers.
  EXPECT_EQ(outcome(signed_by_rsa(with("iss", json::string(std::string(kIss) + "/")))),
            "401 invalid_token: token issuer \"" + std::string(kIss) +
                "/\" is not trusted by this gateway");
}

TEST_F(VerifierRejectionTest, UnknownKidIsADistinctFailureTheCallerCanRefreshOn) {
  const SigningKey rotated = *SigningKey::generate("RS256");
  const auto r = verifier_->verify(rotated.sign_jwt(good_claims()), kTestNow);
  const auto& f = std::get<AuthFailure>(r);
  EXPECT_TRUE(f.unknown_kid);
  EXPECT_EQ(f.issuer, kIss);
  EXPECT_EQ(f.status, 401);
  EXPECT_EQ(f.error, "invalid_token");
  EXPECT_EQ(f.message, "token signing key \"" + rotated.kid() + "\" is unknown to issuer " + kIss);
  // Other failures never ask for a refresh.
  EXPECT_FALSE(std::get<AuthFailure>(verifier_->verify(signed_by_rsa(without("exp")), kTestNow))
                   .unknown_kid);
}

TEST_F(VerifierRejectionTest, AKeyOfOneIssuerDoesNotSignForAnother) {
  // other_ is trusted, but only for kOtherIss.
  EXPECT_EQ(
      outcome(other_.sign_jwt(good_claims())),
      "401 invalid_token: token signing key \"" + other_.kid() + "\" is unknown to issuer " + kIss);
  EXPECT_EQ(outcome(other_.sign_jwt(with("iss", kOtherIss))), "accepted");
}

TEST_F(VerifierRejectionTest, KidRotationIsFollowedWhenTheNewKeysArrive) {
  const SigningKey next = *SigningKey::generate("ES256");
  const std::string old_token = rsa_.sign_jwt(good_claims());
  const std::string new_token = next.sign_jwt(good_claims());
  EXPECT_TRUE(std::get<AuthFailure>(verifier_->verify(new_token, kTestNow)).unknown_kid);
  keys_->replace(
      {{rsa_.kid(), rsa_.public_key()}, {next.kid(), next.public_key()}});  // both published
  EXPECT_EQ(outcome(new_token), "accepted");
  EXPECT_EQ(outcome(old_token), "accepted");
  keys_->replace({{next.kid(), next.public_key()}});  // the old key retired
  EXPECT_TRUE(std::get<AuthFailure>(verifier_->verify(old_token, kTestNow)).unknown_kid);
}

TEST_F(VerifierRejectionTest, ExpiryIsHumanisedInSecondsMinutesHoursAndDays) {
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 105))),
            "401 invalid_token: token expired 105 seconds ago");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 180))),
            "401 invalid_token: token expired 3 minutes ago");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 3 * 3600))),
            "401 invalid_token: token expired 3 hours ago");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 5 * 86400))),
            "401 invalid_token: token expired 5 days ago");
}

TEST_F(VerifierRejectionTest, LeewayAppliesToExpiryAndNotBefore) {
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 59))), "accepted");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", kTestNow - 60))),
            "401 invalid_token: token expired 60 seconds ago");
  EXPECT_EQ(outcome(signed_by_rsa(with("nbf", kTestNow + 60))), "accepted");
  EXPECT_EQ(outcome(signed_by_rsa(with("nbf", kTestNow + 61))),
            "401 invalid_token: token is not valid yet (valid in 61 seconds)");
  EXPECT_EQ(outcome(signed_by_rsa(with("nbf", kTestNow + 600))),
            "401 invalid_token: token is not valid yet (valid in 10 minutes)");
}

TEST_F(VerifierRejectionTest, TimeClaimsMustBeNumbers) {
  EXPECT_EQ(outcome(signed_by_rsa(without("exp"))), "401 invalid_token: token has no exp claim");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", "tomorrow"))),
            "401 invalid_token: token exp claim is not a number");
  EXPECT_EQ(outcome(signed_by_rsa(with("nbf", true))),
            "401 invalid_token: token nbf claim is not a number");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", static_cast<double>(kTestNow) + 30.5))), "accepted");
}

TEST_F(VerifierRejectionTest, ExtremeTimesNeitherOverflowNorSlipThrough) {
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", 1e300))), "accepted");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", std::uint64_t{18'446'744'073'709'551'615u}))),
            "accepted");
  EXPECT_EQ(outcome(signed_by_rsa(with("exp", std::int64_t{9'223'372'036'854'775'807}))),
            "accepted");
  EXPECT_NE(outcome(signed_by_rsa(with("exp", -1e300))).find("401 invalid_token: token expired"),
            std::string::npos);
  EXPECT_NE(outcome(signed_by_rsa(with("exp", std::numeric_limits<std::int64_t>::min())))
                .find("token expired"),
            std::string::npos);
  EXPECT_NE(outcome(signed_by_rsa(with("nbf", 1e300))).find("token is not valid yet"),
            std::string::npos);
}

TEST_F(VerifierRejectionTest, TokenUseWhenPresentMustBeAccess) {
  EXPECT_EQ(outcome(signed_by_rsa(with("token_use", "id"))),
            "401 invalid_token: token_use \"id\" is not accepted: use an access token");
  EXPECT_EQ(outcome(signed_by_rsa(with("token_use", 1))),
            "401 invalid_token: token_use \"\" is not accepted: use an access token");
  EXPECT_EQ(outcome(signed_by_rsa(without("token_use"))), "accepted");  // other IdPs do not send it
}

TEST_F(VerifierRejectionTest, ATokenMustNameItsClient) {
  auto c = without("client_id");
  c.erase("sub");
  EXPECT_EQ(outcome(signed_by_rsa(c)),
            "401 invalid_token: token names no client (no client_id or sub claim)");
}

TEST_F(VerifierRejectionTest, ValuesFromTheTokenAreSanitisedInMessagesAndHeaders) {
  const auto r =
      verifier_->verify(signed_by_rsa(with("iss", "evil\r\nX-Injected: yes\"")), kTestNow);
  const auto& f = std::get<AuthFailure>(r);
  EXPECT_EQ(f.message, "token issuer \"evil??X-Injected: yes?\" is not trusted by this gateway");
  EXPECT_EQ(f.www_authenticate().find_first_of("\r\n"), std::string::npos);
  const std::string long_kid(500, 'k');
  const auto l =
      verifier_->verify(make_token({{"alg", "RS256"}, {"kid", long_kid}}, good_claims()), kTestNow);
  EXPECT_EQ(std::get<AuthFailure>(l).message,
            "token signing key \"" + std::string(80, 'k') + "...\" is unknown to issuer " + kIss);
}

TEST_F(VerifierRejectionTest, WwwAuthenticateCarriesTheErrorAndDescription) {
  const auto r = verifier_->verify(signed_by_rsa(with("exp", kTestNow - 180)), kTestNow);
  EXPECT_EQ(std::get<AuthFailure>(r).www_authenticate(),
            "Bearer realm=\"aigw\", error=\"invalid_token\", error_description=\"token expired 3 "
            "minutes ago\"");
}

TEST_F(VerifierRejectionTest, MissingScopeIs403InsufficientScopeNamingIt) {
  const auto p =
      std::get<Principal>(verifier_->verify(signed_by_rsa(with("scope", "a b")), kTestNow));
  const auto denied = verifier_->require_scope(p, kInvoke);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->error, "insufficient_scope");
  EXPECT_EQ(denied->message,
            "token lacks the required scope https://gateway.internal/invoke (token scopes: a b); "
            "ask the gateway admin "
            "to grant it to client ci-bot");
  const auto none = verifier_->require_scope(
      std::get<Principal>(verifier_->verify(signed_by_rsa(without("scope")), kTestNow)),
      "https://gateway.internal/admin");
  EXPECT_NE(none->message.find("(token scopes: none)"), std::string::npos);
}

TEST_F(VerifierRejectionTest, AudienceAndAllowedClientsAreCheckedWhenConfigured) {
  Verifier strict({{kIss, keys_, "", "team", "gateway", {"ci-bot", "other"}}}, VerifierOptions{});
  auto verdict = [&](const json::object& c) {
    const auto r = strict.verify(rsa_.sign_jwt(c), kTestNow);
    const auto* f = std::get_if<AuthFailure>(&r);
    return f ? f->message : std::string("accepted");
  };
  EXPECT_EQ(verdict(with("aud", "gateway")), "accepted");
  EXPECT_EQ(verdict(with("aud", json::array{"x", "gateway"})), "accepted");
  EXPECT_EQ(verdict(with("aud", json::array{"x", "y"})), "token audience does not include gateway");
  EXPECT_EQ(verdict(with("aud", "gateway-other")), "token audience does not include gateway");
  EXPECT_EQ(verdict(good_claims()), "token audience does not include gateway");
  // Cognito access tokens have no aud: their client_id is the audience.
  auto cognito = with("client_id", "gateway");
  EXPECT_EQ(verdict(cognito), "client \"gateway\" is not allowed for issuer " + std::string(kIss));
  cognito["aud"] = "gateway";
  cognito["client_id"] = "intruder";
  EXPECT_EQ(verdict(cognito), "client \"intruder\" is not allowed for issuer " + std::string(kIss));
}

TEST(VerifierPrincipalTest, ClientTeamScopesIssuerAndExpiryComeFromTheClaims) {
  const auto key = *SigningKey::generate("ES256");
  auto keys = std::make_shared<KeySet>();
  keys->replace({{key.kid(), key.public_key()}});
  Verifier v({{kIss, keys, "", "custom:team", "", {}}},
             VerifierOptions{kInvoke, 60, {{"ci-bot", "from-map"}}});
  auto principal = [&](json::object c) {
    c["iss"] = kIss;
    c["exp"] = kTestNow + 100;
    return std::get<Principal>(v.verify(key.sign_jwt(c), kTestNow));
  };
  const auto full = principal(
      {{"client_id", "ci-bot"}, {"sub", "s"}, {"custom:team", "data"}, {"scope", "a  b"}});
  EXPECT_EQ(full.client_id, "ci-bot");
  EXPECT_EQ(full.team, "data");
  EXPECT_EQ(full.scopes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(full.issuer, kIss);
  EXPECT_EQ(full.expires_at, kTestNow + 100);
  EXPECT_EQ(principal({{"sub", "only-sub"}}).client_id, "only-sub");
  EXPECT_EQ(principal({{"client_id", "ci-bot"}, {"team", "not-the-claim"}}).team, "from-map");
  EXPECT_EQ(principal({{"client_id", "unmapped"}}).team, "");
  EXPECT_EQ(principal({{"sub", "x"}, {"scp", json::array{"a", "b"}}}).scopes,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(principal({{"sub", "x"}, {"scp", "c d"}}).scopes, (std::vector<std::string>{"c", "d"}));
}

TEST(VerifierExtractTokenTest, BearerHeaderFirstThenXApiKey) {
  EXPECT_EQ(std::get<std::string_view>(extract_token("Bearer abc.def.ghi", "other")),
            "abc.def.ghi");
  EXPECT_EQ(std::get<std::string_view>(extract_token("BEARER abc", std::nullopt)), "abc");
  EXPECT_EQ(std::get<std::string_view>(extract_token(std::nullopt, "abc.def.ghi")), "abc.def.ghi");
  EXPECT_EQ(std::get<std::string_view>(extract_token("", "abc")), "abc");
  EXPECT_EQ(std::get<std::string_view>(extract_token("Bearer   ", "abc")), "abc");
}

TEST(VerifierExtractTokenTest, NoTokenIs401InvalidRequest) {
  for (const auto& [authorization, api_key] :
       std::vector<std::pair<std::optional<std::string_view>, std::optional<std::string_view>>>{
           {std::nullopt, std::nullopt}, {"", ""}, {"Bearer ", std::nullopt}}) {
    const auto f = std::get<AuthFailure>(extract_token(authorization, api_key));
    EXPECT_EQ(f.status, 401);
    EXPECT_EQ(f.error, "invalid_request");
    EXPECT_EQ(f.message,
              "missing bearer token: send Authorization: Bearer <token> (get one with "
              "scripts/get-gateway-token.sh)");
    EXPECT_FALSE(f.unknown_kid);
  }
  const auto basic = std::get<AuthFailure>(extract_token("Basic Zm9vOmJhcg==", std::nullopt));
  EXPECT_EQ(basic.error, "invalid_request");
  EXPECT_EQ(basic.message, "Authorization header is not a Bearer token");
}

TEST(VerifierHumanDurationTest, PicksTheUnitThatReadsNaturally) {
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(0), "0 seconds");
  EXPECT_EQ(human_duration(119), "119 seconds");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(7199), "119 minutes");
  EXPECT_EQ(human_duration(7200), "2 hours");
  EXPECT_EQ(human_duration(2 * 86400), "2 days");
  EXPECT_EQ(human_duration(-180), "3 minutes");
  EXPECT_FALSE(human_duration(std::numeric_limits<std::int64_t>::min()).empty());
}

class VerifierCacheTest : public ::testing::Test {
 protected:
  VerifierCacheTest() { keys_->replace({{key_.kid(), key_.public_key()}}); }
  std::string token(std::int64_t exp, const std::string& sub = "svc") const {
    return key_.sign_jwt({{"iss", kIss}, {"sub", sub}, {"exp", exp}});
  }
  static bool accepted(const VerifyResult& r) { return std::holds_alternative<Principal>(r); }

  SigningKey key_ = *SigningKey::generate("ES256");
  std::shared_ptr<KeySet> keys_ = std::make_shared<KeySet>();
};

TEST_F(VerifierCacheTest, ARepeatedTokenIsAnsweredFromTheCache) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{});
  const std::string t = token(kTestNow + 600);
  ASSERT_TRUE(accepted(v.verify_cached(t, kTestNow)));
  EXPECT_EQ(v.cached_tokens(), 1u);
  EXPECT_TRUE(accepted(v.verify_cached(t, kTestNow + 1)));
  EXPECT_EQ(v.cached_tokens(), 1u);  // answered from the cache, not added again
  keys_->replace({});  // the IdP withdrew the key: a cached token signed by it goes too
  EXPECT_FALSE(accepted(v.verify_cached(t, kTestNow + 2)));
  EXPECT_FALSE(accepted(v.verify(t, kTestNow + 2)));
}

TEST_F(VerifierCacheTest, FailuresAreNotCached) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{});
  const SigningKey next = *SigningKey::generate("ES256");
  const std::string t = next.sign_jwt({{"iss", kIss}, {"sub", "svc"}, {"exp", kTestNow + 600}});
  EXPECT_TRUE(std::get<AuthFailure>(v.verify_cached(t, kTestNow)).unknown_kid);
  EXPECT_EQ(v.cached_tokens(), 0u);
  keys_->replace({{next.kid(), next.public_key()}});  // the refresh arrived
  EXPECT_TRUE(accepted(v.verify_cached(t, kTestNow)));
}

TEST_F(VerifierCacheTest, ACachedTokenExpiresWithTheTokenPlusLeeway) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{kInvoke, 60, {}});
  const std::string t = token(kTestNow + 100);
  ASSERT_TRUE(accepted(v.verify_cached(t, kTestNow)));
  EXPECT_TRUE(accepted(v.verify_cached(t, kTestNow + 159)));
  const auto late = v.verify_cached(t, kTestNow + 160);
  EXPECT_EQ(std::get<AuthFailure>(late).message, "token expired 60 seconds ago");
  EXPECT_EQ(v.cached_tokens(), 0u);
}

TEST_F(VerifierCacheTest, SizeIsBoundedAndEvictedTokensStillVerify) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{}, 32);
  std::vector<std::string> tokens;
  for (int i = 0; i < 200; ++i)
    tokens.push_back(token(kTestNow + 600 + i, "svc-" + std::to_string(i)));
  for (const auto& t : tokens) ASSERT_TRUE(accepted(v.verify_cached(t, kTestNow)));
  EXPECT_LE(v.cached_tokens(), 32u);
  EXPECT_GT(v.cached_tokens(), 0u);
  for (const auto& t : tokens) EXPECT_TRUE(accepted(v.verify_cached(t, kTestNow)));
  EXPECT_LE(v.cached_tokens(), 32u);
}

TEST_F(VerifierCacheTest, ExpiredEntriesMakeRoomForNewTokens) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{kInvoke, 0, {}},
             16);  // one entry per shard
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i) tokens.push_back(token(kTestNow + 10, "short-" + std::to_string(i)));
  for (const auto& t : tokens) v.verify_cached(t, kTestNow);
  // Later, long-lived tokens take the places of the expired ones.
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(accepted(v.verify_cached(token(kTestNow + 999, std::to_string(i)), kTestNow + 20)));
  EXPECT_LE(v.cached_tokens(), 16u);
}

TEST_F(VerifierCacheTest, ManyThreadsShareTheCache) {
  Verifier v({{kIss, keys_, "", "team", "", {}}}, VerifierOptions{});
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(token(kTestNow + 600, "svc-" + std::to_string(i)));
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        failures += accepted(v.verify_cached(tokens[(i + t) % tokens.size()], kTestNow)) ? 0 : 1;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(v.cached_tokens(), tokens.size());
}

}  // namespace
}  // namespace aigw::auth
