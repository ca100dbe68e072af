// Base64url without padding (RFC 7515 §2), as JWS and JWK use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw::auth {

std::string base64url_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace aigw::auth
