// Client secrets are stored only as salted PBKDF2-HMAC-SHA256 hashes:
// "pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>".
#pragma once

#include <string>
#include <string_view>

namespace aigw::auth {

constexpr int kSecretHashIterations = 100'000;

std::string hash_secret(std::string_view secret, int iterations = kSecretHashIterations);
// Constant-time comparison; false for a malformed hash.
bool verify_secret(std::string_view secret, std::string_view stored_hash);
bool looks_like_secret_hash(std::string_view text);
// `bytes` random bytes, base64url-encoded: client secrets, jti values.
std::string random_token(std::size_t bytes);

}  // namespace aigw::auth
