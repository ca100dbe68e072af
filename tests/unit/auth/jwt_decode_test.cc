// Base64url and the compact JWS decoder: every way a token can be malformed has its own
// message, and nothing in a token is trusted before its signature is checked.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/base64url.h"
#include "auth/jwt_token.h"
#include "auth_test_support.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::make_token;

std::string decode_error(std::string_view token) {
  DecodedJwt jwt;
  return decode_jwt(token, jwt).value_or("ok");
}

TEST(JwtBase64UrlTest, RoundTripsEveryLengthAndEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    EXPECT_EQ(base64url_decode(base64url_encode(all.substr(0, n))), all.substr(0, n));
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // the url-safe alphabet, no padding
}

TEST(JwtBase64UrlTest, RejectsCharactersOutsideTheAlphabetAndImpossibleLengths) {
  EXPECT_FALSE(base64url_decode("ab+/").has_value());
  EXPECT_FALSE(base64url_decode("ab c").has_value());
  EXPECT_FALSE(base64url_decode("abcde").has_value());  // 4n+1 characters cannot be produced
}

TEST(JwtBase64UrlTest, RejectsNonCanonicalTrailingBitsSoATokenCannotBeAlteredUnnoticed) {
  EXPECT_EQ(base64url_decode("QQ"), "A");
  EXPECT_FALSE(base64url_decode("QR").has_value());  // same byte, stray low bits
  EXPECT_EQ(base64url_decode("QUI"), "AB");
  EXPECT_FALSE(base64url_decode("QUJ").has_value());
}

TEST(JwtDecodeTest, SplitsAWellFormedTokenWithoutJudgingIt) {
  const std::string token = make_token({{"alg", "RS256"}, {"kid", "k1"}, {"typ", "JWT"}},
                                       {{"iss", "x"}, {"exp", 1}}, "sig-bytes");
  DecodedJwt jwt;
  ASSERT_EQ(decode_jwt(token, jwt), std::nullopt);
  EXPECT_EQ(jwt.alg, "RS256");
  EXPECT_EQ(jwt.kid, "k1");
  EXPECT_EQ(jwt.claims.at("iss"), "x");
  EXPECT_EQ(jwt.signature, "sig-bytes");
  EXPECT_EQ(jwt.signing_input, token.substr(0, token.rfind('.')));
}

TEST(JwtDecodeTest, EachMalformationHasItsOwnMessage) {
  const std::string header = base64url_encode(R"({"alg":"RS256"})");
  const std::string payload = base64url_encode(R"({"iss":"x"})");
  EXPECT_EQ(decode_error(""), "token is empty");
  EXPECT_EQ(decode_error(std::string(20'000, 'a')), "token is longer than 16384 bytes");
  EXPECT_EQ(decode_error("onlyonepart"), "expected three dot-separated parts");
  EXPECT_EQ(decode_error("two.parts"), "expected three dot-separated parts");
  EXPECT_EQ(decode_error("a.b.c.d"), "expected three dot-separated parts");
  EXPECT_EQ(decode_error("h*der." + payload + ".c2ln"), "header is not base64url");
  EXPECT_EQ(decode_error(base64url_encode("{not json") + "." + payload + ".c2ln"),
            "header is not JSON");
  EXPECT_EQ(decode_error(base64url_encode("[1,2]") + "." + payload + ".c2ln"),
            "header is not a JSON object");
  EXPECT_EQ(decode_error(header + ".pay=load.c2ln"), "payload is not base64url");
  EXPECT_EQ(decode_error(header + "." + base64url_encode("nope") + ".c2ln"), "payload is not JSON");
  EXPECT_EQ(decode_error(header + "." + base64url_encode("\"a string\"") + ".c2ln"),
            "payload is not a JSON object");
  EXPECT_EQ(decode_error(header + "." + payload + ".sig/nature"), "signature is not base64url");
}

TEST(JwtDecodeTest, HeaderNeedsAStringAlgAndAStringKid) {
  EXPECT_EQ(decode_error(make_token({{"typ", "JWT"}}, {})), "header has no alg");
  EXPECT_EQ(decode_error(make_token({{"alg", 256}}, {})), "header has no alg");
  EXPECT_EQ(decode_error(make_token({{"alg", "RS256"}, {"kid", 7}}, {})),
            "header kid is not a string");
}

TEST(JwtDecodeTest, CriticalHeaderExtensionsAreRefused) {
  EXPECT_EQ(decode_error(
                make_token({{"alg", "RS256"}, {"crit", json::array{"b64"}}, {"b64", false}}, {})),
            "header lists crit extensions this gateway does not support");
}

TEST(JwtDecodeTest, AnEmptySignatureStillDecodes) {
  // alg "none" tokens end with a dot: the decoder accepts the shape, the verifier refuses it.
  EXPECT_EQ(decode_error(make_token({{"alg", "none"}}, {{"iss", "x"}})), "ok");
}

}  // namespace
}  // namespace aigw::auth
