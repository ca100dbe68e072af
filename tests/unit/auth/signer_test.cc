// The built-in issuer's signing keys on disk: created once with mode 0600, reloaded on
// restart, rotated with the previous key still published, and refused when damaged.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "auth/private_file.h"
#include "auth/signing_key_ring.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::TempDir;

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

std::vector<std::string> published_kids(const SigningKeyRing& ring) {
  std::vector<std::string> kids;
  const json::value doc = json::parse(ring.jwks_document());
  for (const auto& k : doc.at("keys").as_array()) {
    kids.emplace_back(k.at("kid").as_string());
  }
  return kids;
}

// Restores the process umask whatever the test does.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(SignerKeyRingTest, FirstStartCreatesAPrivateKeyFileEvenWithAPermissiveUmask) {
  TempDir dir;
  ScopedUmask open_umask(0);
  const auto ring = SigningKeyRing::load_or_create(dir / "keys", "RS256");
  EXPECT_EQ(mode_of(dir / "keys/current.pem"), 0600u);
  EXPECT_EQ(mode_of(dir / "keys"), 0700u);
  EXPECT_FALSE(std::filesystem::exists(dir / "keys/previous.pem"));
  EXPECT_EQ(ring->current()->algorithm(), "RS256");
  EXPECT_EQ(published_kids(*ring), std::vector<std::string>{ring->current()->kid()});
}

TEST(SignerKeyRingTest, RestartLoadsTheSameKey) {
  TempDir dir;
  const std::string kid = SigningKeyRing::load_or_create(dir / "keys", "ES256")->current()->kid();
  EXPECT_EQ(SigningKeyRing::load_or_create(dir / "keys", "ES256")->current()->kid(), kid);
}

TEST(SignerKeyRingTest, RotationKeepsThePreviousKeyPublishedAcrossRestarts) {
  TempDir dir;
  auto ring = SigningKeyRing::load_or_create(dir / "keys", "RS256");
  const std::string first = ring->current()->kid();
  ring->rotate();
  const std::string second = ring->current()->kid();
  EXPECT_NE(first, second);
  EXPECT_EQ(published_kids(*ring), (std::vector<std::string>{second, first}));
  EXPECT_EQ(mode_of(dir / "keys/previous.pem"), 0600u);
  const auto reloaded = SigningKeyRing::load_or_create(dir / "keys", "RS256");
  EXPECT_EQ(published_kids(*reloaded), (std::vector<std::string>{second, first}));
}

TEST(SignerKeyRingTest, ASecondRotationRetiresTheOldestKey) {
  TempDir dir;
  auto ring = SigningKeyRing::load_or_create(dir / "keys", "ES256");
  const std::string first = ring->current()->kid();
  ring->rotate();
  const std::string second = ring->current()->kid();
  ring->rotate();
  EXPECT_EQ(published_kids(*ring), (std::vector<std::string>{ring->current()->kid(), second}));
  EXPECT_EQ(ring->published().size(), 2u);
  for (const auto& kid : published_kids(*ring)) EXPECT_NE(kid, first);
}

TEST(SignerKeyRingTest, ChangingTheAlgorithmRotatesToANewKindOfKey) {
  TempDir dir;
  const std::string rsa_kid =
      SigningKeyRing::load_or_create(dir / "keys", "RS256")->current()->kid();
  const auto ring = SigningKeyRing::load_or_create(dir / "keys", "ES256");
  EXPECT_EQ(ring->current()->algorithm(), "ES256");
  EXPECT_EQ(published_kids(*ring), (std::vector<std::string>{ring->current()->kid(), rsa_kid}));
  EXPECT_EQ(SigningKeyRing::load_or_create(dir / "keys", "ES256")->current()->kid(),
            ring->current()->kid());
}

TEST(SignerKeyRingTest, ADamagedKeyFileStopsStartUpNamingIt) {
  TempDir dir;
  std::filesystem::create_directories(dir / "keys");
  std::ofstream(dir / "keys/current.pem") << "not a key";
  try {
    SigningKeyRing::load_or_create(dir / "keys", "RS256");
    FAIL() << "a damaged key must not be replaced silently (tokens it signed would all fail)";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "keys/current.pem") + " is not a usable private key");
  }
}

TEST(SignerKeyRingTest, AKeysDirThatCannotBeMadeStopsStartUp) {
  TempDir dir;
  std::ofstream(dir / "file") << "x";
  EXPECT_THROW(SigningKeyRing::load_or_create(dir / "file/keys", "RS256"), std::runtime_error);
}

TEST(SignerKeyRingTest, TokensAreSignedWithTheCurrentKey) {
  TempDir dir;
  auto ring = SigningKeyRing::load_or_create(dir / "keys", "ES256");
  const std::string token = ring->current()->sign_jwt({{"iss", "x"}});
  const auto header = json::parse(*base64url_decode(token.substr(0, token.find('.')))).as_object();
  EXPECT_EQ(header.at("kid").as_string(), ring->current()->kid());
  EXPECT_EQ(header.at("alg"), "ES256");
}

TEST(SignerPrivateFileTest, WritesWholeFilesReadableOnlyByTheOwner) {
  TempDir dir;
  ScopedUmask open_umask(0);
  write_private_file(dir / "secret", "first");
  write_private_file(dir / "secret", "second");
  EXPECT_EQ(mode_of(dir / "secret"), 0600u);
  EXPECT_EQ(read_text_file(dir / "secret"), "second");
  EXPECT_FALSE(std::filesystem::exists(dir / "secret.tmp"));
  EXPECT_EQ(read_text_file(dir / "missing"), std::nullopt);
  EXPECT_THROW(write_private_file(dir / "no/such/dir/file", "x"), std::runtime_error);
}

}  // namespace
}  // namespace aigw::auth
