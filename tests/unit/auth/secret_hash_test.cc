// Client secrets at rest: PBKDF2-HMAC-SHA256 with a random salt in a self-describing format,
// verification that never throws on a bad stored value, and random secrets and ids.
#include <gtest/gtest.h>

#include <set>

#include "auth/base64url.h"
#include "auth/client_secret.h"

namespace aigw::auth {
namespace {

TEST(SecretHashTest, RoundTripsAndRefusesAnyOtherSecret) {
  const std::string h = hash_secret("correct horse battery staple", 1000);
  EXPECT_TRUE(verify_secret("correct horse battery staple", h));
  EXPECT_FALSE(verify_secret("correct horse battery stapl", h));
  EXPECT_FALSE(verify_secret("correct horse battery staple ", h));
  EXPECT_FALSE(verify_secret("", h));
}

TEST(SecretHashTest, FormatIsSchemeIterationsSaltAndHash) {
  const std::string h = hash_secret("s3cret", 1234);
  const std::string prefix = "pbkdf2-sha256$1234$";
  ASSERT_EQ(h.substr(0, prefix.size()), prefix);
  const std::string salt = h.substr(prefix.size(), h.rfind('$') - prefix.size());
  const std::string hash = h.substr(h.rfind('$') + 1);
  EXPECT_EQ(base64url_decode(salt)->size(), 16u);
  EXPECT_EQ(base64url_decode(hash)->size(), 32u);  // SHA-256 output
  EXPECT_EQ(h.find("s3cret"), std::string::npos);
  EXPECT_TRUE(looks_like_secret_hash(h));
  EXPECT_NE(hash_secret("same", 1000), hash_secret("same", 1000)) << "each hash has its own salt";
  EXPECT_NE(hash_secret("x").find("$100000$"), std::string::npos);  // the default work factor
}

TEST(SecretHashTest, AnEmptySecretStillHashes) {
  const std::string h = hash_secret("", 1000);
  EXPECT_TRUE(verify_secret("", h));
  EXPECT_FALSE(verify_secret("x", h));
}

TEST(SecretHashTest, MalformedStoredValuesNeverVerifyAndNeverThrow) {
  const std::string good = hash_secret("pw", 1000);
  const std::string salt_and_hash = good.substr(good.find('$', 14));  // "$<salt>$<hash>"
  for (const std::string& bad :
       {std::string(""), std::string("pw"), std::string("pbkdf2-sha256$1$bad"),
        "pbkdf2-sha1$1000" + salt_and_hash, "pbkdf2-sha256$abc" + salt_and_hash,
        "pbkdf2-sha256$1000x" + salt_and_hash, "pbkdf2-sha256$0" + salt_and_hash,
        "pbkdf2-sha256$-5" + salt_and_hash, "pbkdf2-sha256$99999999999" + salt_and_hash,
        "pbkdf2-sha256$20000000" + salt_and_hash, good.substr(0, good.size() - 2), good + "$extra",
        good.substr(0, good.rfind('$') + 1) + "!!!!"}) {
    EXPECT_FALSE(verify_secret("pw", bad)) << bad;
    EXPECT_FALSE(looks_like_secret_hash(bad)) << bad;
  }
}

TEST(SecretHashTest, RejectsAnAbsurdWorkFactorWhenHashing) {
  EXPECT_THROW(hash_secret("x", 0), std::invalid_argument);
  EXPECT_THROW(hash_secret("x", 20'000'000), std::invalid_argument);
}

TEST(SecretHashTest, RandomTokensAreUrlSafeOfTheAskedStrengthAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = random_token(24);
    EXPECT_EQ(t.size(), 32u);
    EXPECT_EQ(base64url_decode(t)->size(), 24u);
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(random_token(16).size(), 22u);
}

}  // namespace
}  // namespace aigw::auth
