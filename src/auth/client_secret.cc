#include "auth/client_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "auth/base64url.h"

namespace aigw::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kHashBytes = 32;

std::string pbkdf2(std::string_view secret, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(kHashBytes),
                    reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("no randomness available");
  }
  return base64url_encode(raw);
}

std::string hash_secret(std::string_view secret, int iterations) {
  std::string salt(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(salt) + "$" +
         base64url_encode(pbkdf2(secret, salt, iterations));
}

bool looks_like_secret_hash(std::string_view text) {
  return text.rfind(std::string(kScheme) + "$", 0) == 0 && split(text, '$').size() == 4;
}

bool verify_secret(std::string_view secret, std::string_view stored_hash) {
  const auto parts = split(stored_hash, '$');
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  int iterations = 0;
  try {
    iterations = std::stoi(std::string(parts[1]));
  } catch (const std::exception&) {
    return false;
  }
  const auto salt = base64url_decode(parts[2]);
  const auto expected = base64url_decode(parts[3]);
  if (!salt || !expected || expected->size() != kHashBytes || iterations < 1 || iterations > 10'000'000) return false;
  const std::string actual = pbkdf2(secret, *salt, iterations);
  return CRYPTO_memcmp(actual.data(), expected->data(), kHashBytes) == 0;
}

}  // namespace aigw::auth
