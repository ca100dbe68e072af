#include "auth/client_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kHashBytes = 32;

constexpr std::size_t kSaltBytes = 16;
// A stored hash asking for more work than this is refused rather than run: verifying it would
// stall the token endpoint.
constexpr int kMaxIterations = 10'000'000;

// Empty when OpenSSL fails (the caller then refuses the secret).
std::string pbkdf2(std::string_view secret, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  const int ok =
      PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(kHashBytes), reinterpret_cast<unsigned char*>(out.data()));
  return ok == 1 ? out : std::string();
}

std::optional<int> parse_iterations(std::string_view text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > kMaxIterations) {
    return std::nullopt;
  }
  return n;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

std::string random_bytes(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("no randomness available");
  }
  return raw;
}

std::string random_token(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

std::string hash_secret(std::string_view secret, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations)
    throw std::invalid_argument("PBKDF2 iterations out of range");
  const std::string salt = random_bytes(kSaltBytes);
  const std::string hash = pbkdf2(secret, salt, iterations);
  if (hash.empty()) throw std::runtime_error("PBKDF2 failed");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(salt) +
         "$" + base64url_encode(hash);
}

bool looks_like_secret_hash(std::string_view text) {
  const auto parts = split(text, '$');
  if (parts.size() != 4 || parts[0] != kScheme || !parse_iterations(parts[1])) return false;
  const auto salt = base64url_decode(parts[2]);
  const auto hash = base64url_decode(parts[3]);
  return salt && !salt->empty() && hash && hash->size() == kHashBytes;
}

int secret_hash_iterations(std::string_view stored_hash) {
  if (!looks_like_secret_hash(stored_hash)) return 0;
  return *parse_iterations(split(stored_hash, '$')[1]);
}

void spend_secret_work(int iterations) {
  if (iterations > 0) pbkdf2("padding", "0123456789abcdef", std::min(iterations, kMaxIterations));
}

bool verify_secret(std::string_view secret, std::string_view stored_hash) {
  const auto parts = split(stored_hash, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  const auto iterations = parse_iterations(parts[1]);
  const auto salt = base64url_decode(parts[2]);
  const auto expected = base64url_decode(parts[3]);
  if (!iterations || !salt || !expected || expected->size() != kHashBytes) return false;
  const std::string actual = pbkdf2(secret, *salt, *iterations);
  return actual.size() == kHashBytes &&
         CRYPTO_memcmp(actual.data(), expected->data(), kHashBytes) == 0;
}

}  // namespace aigw::auth
