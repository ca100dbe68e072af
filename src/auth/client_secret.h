// Client secrets are stored only as salted PBKDF2-HMAC-SHA256 hashes:
// "pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>".
#pragma once

#include <string>
#include <string_view>

namespace aigw::auth {

constexpr int kSecretHashIterations = 100'000;

// A fresh 16-byte random salt each time. Throws when the system has no randomness (never on
// the request path: secrets are hashed at start-up and by the admin API).
std::string hash_secret(std::string_view secret, int iterations = kSecretHashIterations);
// Constant-time comparison; false for a malformed hash (never throws).
bool verify_secret(std::string_view secret, std::string_view stored_hash);
// The stored format, well-formed (scheme, iterations in range, salt, 32-byte hash).
bool looks_like_secret_hash(std::string_view text);
// The iterations a stored hash asks for; 0 when it is malformed.
int secret_hash_iterations(std::string_view stored_hash);
// Runs PBKDF2-HMAC-SHA256 for `iterations` over nothing in particular: pads a cheaper check up
// to the cost of the dearest, so how long a check takes tells nothing about the client.
void spend_secret_work(int iterations);
// `bytes` random bytes (OpenSSL's CSPRNG), base64url-encoded: client secrets, ids, jti values.
std::string random_token(std::size_t bytes);

}  // namespace aigw::auth
