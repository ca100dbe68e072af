// libFuzzer target: any bytes as a bearer token must be refused cleanly (no crash, no leak,
// no acceptance) by the decoder and the verifier.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "auth/jwt_token.h"
#include "auth/verifier.h"

namespace {

aigw::auth::Verifier& verifier() {
  static const auto key = *aigw::auth::SigningKey::generate("ES256");
  static auto keys = [] {
    auto k = std::make_shared<aigw::auth::KeySet>();
    k->replace({{key.kid(), key.public_key()}});
    return k;
  }();
  static aigw::auth::Verifier v({{"https://idp", keys, "", "team", "", {}}}, {});
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  aigw::auth::DecodedJwt decoded;
  (void)aigw::auth::decode_jwt(token, decoded);
  const auto result = verifier().verify(token, 1'800'000'000);
  // Nothing the fuzzer can make is signed by the key: acceptance would be a bug.
  if (std::holds_alternative<aigw::auth::Principal>(result)) std::abort();
  return 0;
}
