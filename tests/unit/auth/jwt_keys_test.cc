// Keys: JWKs in (RSA n/e, EC P-256 x/y) and out, RFC 7638 kids, PEM persistence, and the
// signature checks RS256 (PKCS#1 v1.5) and ES256 (JOSE r||s) make.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "auth/base64url.h"
#include "auth/keys.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

// The example key of RFC 7638 §3.1, with its published thumbprint.
constexpr const char* kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMstn"
    "64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
    "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
    "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
    "kEgU8awapJzKnqDKgw";
constexpr const char* kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

std::string jwk_error(const json::object& jwk) {
  std::string error;
  return PublicKey::from_jwk(jwk, error) ? "ok" : error;
}

std::string pem_of_generated(const char* type, const char* param, std::size_t bits) {
  EVP_PKEY* key = std::string_view(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

TEST(JwtKeysTest, KidIsTheRfc7638Thumbprint) {
  std::string error;
  const auto key = PublicKey::from_jwk({{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}}, error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->algorithm(), "RS256");
  EXPECT_EQ(key->to_jwk().at("kid"), kRfc7638Thumbprint);
}

TEST(JwtKeysTest, JwkMembersAreRoundTripped) {
  for (const char* alg : {"RS256", "ES256"}) {
    const auto signer = *SigningKey::generate(alg);
    const json::object jwk = signer.public_key().to_jwk();
    EXPECT_EQ(jwk.at("kid").as_string(), signer.kid());
    EXPECT_EQ(jwk.at("alg"), alg);
    EXPECT_EQ(jwk.at("use"), "sig");
    EXPECT_FALSE(jwk.contains("d")) << "a private member leaked into the JWK";
    std::string error;
    const auto back = PublicKey::from_jwk(jwk, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->kid(), signer.kid());
    const std::string token = signer.sign_jwt({{"iss", "x"}});
    const auto dot = token.rfind('.');
    EXPECT_TRUE(back->verify(alg, token.substr(0, dot), *base64url_decode(token.substr(dot + 1))));
  }
}

TEST(JwtKeysTest, UnusableJwksAreRefusedWithTheReason) {
  const std::string short_n = base64url_encode(std::string(128, '\x81'));
  const std::string long_n = base64url_encode(std::string(1025, '\x81'));
  const std::string coord = base64url_encode(std::string(32, '\x01'));
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"e", "AQAB"}}), "RSA key without valid n and e");
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"n", "!!"}, {"e", "AQAB"}}),
            "RSA key without valid n and e");
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"n", short_n}, {"e", "AQAB"}}),
            "RSA key shorter than 2048 bits");
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"n", long_n}, {"e", "AQAB"}}),
            "RSA key longer than 8192 bits");
  EXPECT_EQ(jwk_error({{"kty", "oct"}, {"k", "c2VjcmV0"}}), "unsupported key type \"oct\"");
  EXPECT_EQ(jwk_error({{"kty", "EC"}, {"crv", "P-384"}, {"x", coord}, {"y", coord}}),
            "EC key on a curve other than P-256");
  EXPECT_EQ(jwk_error({{"kty", "EC"}, {"crv", "P-256"}, {"x", coord}, {"y", "AQ"}}),
            "EC key without valid x and y");
  EXPECT_EQ(jwk_error({{"kty", "EC"}, {"crv", "P-256"}, {"x", coord}, {"y", coord}}),
            "OpenSSL rejected the EC key")
      << "a point off the curve must not be accepted";
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"alg", "RS512"}}),
            "key alg RS512 does not match its type");
  EXPECT_EQ(jwk_error({{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"alg", "HS256"}}),
            "key alg HS256 does not match its type");
}

TEST(JwtKeysTest, SignatureSizesAreFixedByTheKey) {
  EXPECT_EQ(SigningKey::generate("RS256")->public_key().signature_size(), 256u);
  EXPECT_EQ(SigningKey::generate("ES256")->public_key().signature_size(), 64u);
}

TEST(JwtKeysTest, VerifyRefusesAnotherAlgorithmAlteredInputAndDerSignatures) {
  const auto ec = *SigningKey::generate("ES256");
  const std::string token = ec.sign_jwt({{"iss", "x"}});
  const auto dot = token.rfind('.');
  const std::string input = token.substr(0, dot);
  const std::string sig = *base64url_decode(token.substr(dot + 1));
  ASSERT_EQ(sig.size(), 64u);  // JOSE r||s, not DER
  const PublicKey& pub = ec.public_key();
  EXPECT_TRUE(pub.verify("ES256", input, sig));
  EXPECT_FALSE(pub.verify("RS256", input, sig));
  EXPECT_FALSE(pub.verify("ES256", input + "x", sig));
  EXPECT_FALSE(pub.verify("ES256", input, std::string(64, '\0')));
  EXPECT_FALSE(pub.verify("ES256", input, "\x30\x44" + sig + "\x02\x02\x02\x02"));  // DER-sized
}

TEST(JwtKeysTest, PemRoundTripKeepsTheKid) {
  for (const char* alg : {"RS256", "ES256"}) {
    const auto key = *SigningKey::generate(alg);
    const auto back = SigningKey::from_pem(key.to_pem());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->kid(), key.kid());
    EXPECT_EQ(back->algorithm(), alg);
  }
}

TEST(JwtKeysTest, PemOfAWeakOrForeignKeyIsRefused) {
  EXPECT_FALSE(SigningKey::from_pem(pem_of_generated("RSA", nullptr, 1024)));
  EXPECT_FALSE(SigningKey::from_pem(pem_of_generated("EC", "P-384", 0)));
  EXPECT_FALSE(
      SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"));
}

TEST(JwtKeysTest, GeneratesOnlyTheTwoAlgorithms) {
  EXPECT_TRUE(SigningKey::generate("RS256"));
  EXPECT_TRUE(SigningKey::generate("ES256"));
  EXPECT_FALSE(SigningKey::generate("HS256"));
  EXPECT_FALSE(SigningKey::generate("none"));
}

}  // namespace
}  // namespace aigw::auth
