// JWKS documents and the per-issuer key store: a Cognito-shaped document, keys that must be
// skipped, swaps while other threads verify, the refresh rate limit, and static files.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <thread>
#include <vector>

#include "auth/key_set.h"
#include "auth/verifier.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::kTestNow;
using testing::TempDir;

// A JWK as Cognito publishes it: RSA, alg RS256, use sig, and a base64-looking kid.
json::object cognito_jwk(const SigningKey& key, const std::string& kid) {
  json::object jwk = key.public_key().to_jwk();
  return {{"alg", "RS256"}, {"e", jwk.at("e")}, {"kid", kid},
          {"kty", "RSA"},   {"n", jwk.at("n")}, {"use", "sig"}};
}

class JwksKeySetTest : public ::testing::Test {
 protected:
  const SigningKey& rsa1_ = testing::shared_key("RS256", 1);
  const SigningKey& rsa2_ = testing::shared_key("RS256", 2);
  const SigningKey& ec_ = testing::shared_key("ES256", 1);
};

TEST_F(JwksKeySetTest, ParsesACognitoShapedDocumentByKid) {
  const std::string kid1 = "q3sOs6NkVwzF8QxgpGyI0JWPWUHN2k5J5Hx6j4Xl+AE=";
  const std::string kid2 = "tm1f8ClHeOfrTqv7u3l0dNYDHw8AYgqsiuA/Q2pcoLY=";
  const std::string doc = json::serialize(
      json::object{{"keys", json::array{cognito_jwk(rsa1_, kid1), cognito_jwk(rsa2_, kid2)}}});
  KeySet keys;
  std::string error;
  ASSERT_TRUE(keys.replace_from_jwks(doc, error)) << error;
  EXPECT_EQ(keys.size(), 2u);
  ASSERT_TRUE(keys.find(kid1));
  EXPECT_EQ(keys.find(kid1)->algorithm(), "RS256");
  EXPECT_EQ(keys.find(kid2)->kid(), kid2);
  EXPECT_FALSE(keys.find("someone-else"));
  EXPECT_FALSE(keys.find("")) << "no kid is only allowed when the issuer has a single key";
}

TEST_F(JwksKeySetTest, MixesRsaAndEcKeys) {
  const std::string doc = jwks_document({&rsa1_.public_key(), &ec_.public_key()});
  std::string error;
  const auto parsed = parse_jwks(doc, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->at(rsa1_.kid()).algorithm(), "RS256");
  EXPECT_EQ(parsed->at(ec_.kid()).algorithm(), "ES256");
}

TEST_F(JwksKeySetTest, SkipsEncryptionKeysAndKeysWhoseAlgContradictsTheirType) {
  json::object enc = cognito_jwk(rsa1_, "enc-key");
  enc["use"] = "enc";
  json::object lying = cognito_jwk(rsa2_, "lying-key");
  lying["alg"] = "ES256";
  const std::string doc = json::serialize(
      json::object{{"keys", json::array{enc, lying, ec_.public_key().to_jwk(), "not an object"}}});
  KeySet keys;
  std::string error;
  ASSERT_TRUE(keys.replace_from_jwks(doc, error)) << error;
  EXPECT_EQ(keys.kids(), std::vector<std::string>{ec_.kid()});
  EXPECT_TRUE(keys.find("")) << "the single key serves tokens without a kid";
}

TEST_F(JwksKeySetTest, ABadDocumentKeepsTheKeysWeHave) {
  KeySet keys;
  keys.replace({{rsa1_.kid(), rsa1_.public_key()}});
  std::string error;
  EXPECT_FALSE(keys.replace_from_jwks("<html>login page</html>", error));
  EXPECT_EQ(error, "not a JWKS document (expected {\"keys\": [...]})");
  EXPECT_FALSE(keys.replace_from_jwks(R"({"keys": {}})", error));
  EXPECT_EQ(error, "not a JWKS document (expected {\"keys\": [...]})");
  EXPECT_FALSE(keys.replace_from_jwks(R"({"keys": []})", error));
  EXPECT_EQ(error, "no usable signing key in the JWKS");
  EXPECT_FALSE(keys.replace_from_jwks(R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})", error));
  EXPECT_EQ(error, "no usable signing key in the JWKS (unsupported key type \"oct\")");
  EXPECT_TRUE(keys.find(rsa1_.kid()));
}

TEST_F(JwksKeySetTest, SerialisesItsKeysAsAJwksDocument) {
  KeySet keys;
  keys.replace({{rsa1_.kid(), rsa1_.public_key()}, {ec_.kid(), ec_.public_key()}});
  KeySet copy;
  std::string error;
  ASSERT_TRUE(copy.replace_from_jwks(keys.to_jwks(), error)) << error;
  EXPECT_EQ(copy.kids(), keys.kids());
  const auto doc = json::parse(keys.to_jwks()).as_object();
  for (const auto& k : doc.at("keys").as_array()) EXPECT_FALSE(k.as_object().contains("d"));
}

TEST_F(JwksKeySetTest, RefreshOnUnknownKidIsAllowedAtMostOncePerInterval) {
  KeySet keys(30'000);
  const std::int64_t t0 = 5'000;  // an injected clock, in milliseconds
  EXPECT_TRUE(keys.claim_refresh(t0)) << "the first refresh is always allowed";
  EXPECT_FALSE(keys.claim_refresh(t0));
  EXPECT_FALSE(keys.claim_refresh(t0 + 29'999));
  EXPECT_TRUE(keys.claim_refresh(t0 + 30'000));
  EXPECT_FALSE(keys.claim_refresh(t0 + 30'001));
}

TEST_F(JwksKeySetTest, OnlyOneOfManyThreadsWinsTheRefresh) {
  KeySet keys(30'000);
  std::atomic<int> winners = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) winners += keys.claim_refresh(1'000'000) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
}

TEST_F(JwksKeySetTest, LoadsAStaticFileForAirGappedIssuers) {
  TempDir dir;
  std::ofstream(dir / "jwks.json") << jwks_document({&ec_.public_key()});
  KeySet keys;
  std::string error;
  ASSERT_TRUE(keys.replace_from_file(dir / "jwks.json", error)) << error;
  EXPECT_TRUE(keys.find(ec_.kid()));
  EXPECT_FALSE(keys.replace_from_file(dir / "missing.json", error));
  EXPECT_EQ(error, "cannot read " + (dir / "missing.json"));
}

TEST_F(JwksKeySetTest, VerifiersKeepWorkingWhileTheKeysAreSwapped) {
  auto keys = std::make_shared<KeySet>();
  keys->replace({{rsa1_.kid(), rsa1_.public_key()}});
  Verifier verifier({{"https://idp", keys, "", "team", "", {}}}, VerifierOptions{});
  const std::string token =
      rsa1_.sign_jwt({{"iss", "https://idp"}, {"sub", "svc"}, {"exp", kTestNow + 600}});
  std::atomic<bool> stop = false;
  std::atomic<int> failures = 0;
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop)
        failures += std::holds_alternative<Principal>(verifier.verify(token, kTestNow)) ? 0 : 1;
    });
  }
  // Every published set still holds the token's key, as after an IdP adds a new one.
  for (int i = 0; i < 200; ++i) {
    if (i % 2)
      keys->replace({{rsa1_.kid(), rsa1_.public_key()}, {rsa2_.kid(), rsa2_.public_key()}});
    else
      keys->replace({{rsa1_.kid(), rsa1_.public_key()}});
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace aigw::auth
