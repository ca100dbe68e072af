// Splits and decodes a compact JWS (header.payload.signature) without trusting any of it:
// the signature is checked by the verifier against a key chosen by issuer and kid.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace aigw::auth {

struct DecodedJwt {
  boost::json::object header;
  boost::json::object claims;
  std::string alg;
  std::string kid;
  std::string_view signing_input;  // "header.payload", into the token
  std::string signature;           // decoded bytes
};

// On success fills `out` and returns nullopt; otherwise returns what is malformed.
std::optional<std::string> decode_jwt(std::string_view token, DecodedJwt& out);

}  // namespace aigw::auth
