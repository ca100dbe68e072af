// libFuzzer target: any bytes as a bearer token must be refused cleanly (no crash, no leak,
// no undefined behaviour, no acceptance) by the decoder and the verifier. The same bytes are
// also signed as a claims set (to reach the claim checks behind the signature), read as a
// JWKS document, and read as a token request's form and Basic credentials.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "auth/client_secret.h"
#include "auth/jwt_token.h"
#include "auth/key_set.h"
#include "auth/token_issuer.h"
#include "auth/verifier.h"

namespace {

namespace auth = aigw::auth;
constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://idp";

// One fixed key and verifier for the whole run (libFuzzer calls the target millions of times).
struct Fixture {
  Fixture() : key(*auth::SigningKey::generate("ES256")), keys(std::make_shared<auth::KeySet>()) {
    keys->replace({{key.kid(), key.public_key()}});
    verifier = std::make_unique<auth::Verifier>(
        std::vector<auth::TrustedIssuer>{{kIssuer, keys, "", "custom:team", "aud", {}}},
        auth::VerifierOptions{"https://gateway.internal/invoke", 60, {{"c", "t"}}}, 64);
  }
  auth::SigningKey key;
  std::shared_ptr<auth::KeySet> keys;
  std::unique_ptr<auth::Verifier> verifier;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void fuzz_token(std::string_view token) {
  auth::DecodedJwt decoded;
  (void)auth::decode_jwt(token, decoded);
  const auto result = fixture().verifier->verify(token, kNow);
  // Nothing the fuzzer can make is signed by the key: acceptance would be a bug.
  if (std::holds_alternative<auth::Principal>(result)) std::abort();
  (void)fixture().verifier->verify_cached(token, kNow);
  if (const auto* f = std::get_if<auth::AuthFailure>(&result)) (void)f->www_authenticate();
}

// Valid signatures over hostile claims: times, types and sizes the claim checks must survive.
void fuzz_claims(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return;
  boost::json::object claims = std::move(v.as_object());
  claims["iss"] = kIssuer;
  const auto result = fixture().verifier->verify(fixture().key.sign_jwt(claims), kNow);
  if (const auto* p = std::get_if<auth::Principal>(&result)) {
    (void)fixture().verifier->require_scope(*p, "https://gateway.internal/invoke");
  }
}

void fuzz_documents(std::string_view text) {
  std::string error;
  (void)auth::parse_jwks(text, error);
  (void)auth::parse_form(text);
  (void)auth::looks_like_secret_hash(text);
  (void)auth::extract_token(text, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_token(input);
  fuzz_claims(input);
  fuzz_documents(input);
  return 0;
}
