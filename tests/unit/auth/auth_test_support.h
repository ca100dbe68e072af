// Helpers shared by the auth unit tests: hand-built tokens, temporary directories, HTTP Basic
// values, and keys in the forms attackers use (a public key's PEM as an HMAC secret).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "auth/base64url.h"
#include "auth/keys.h"

namespace aigw::auth::testing {

inline constexpr std::int64_t kTestNow = 1'800'000'000;

// A compact JWS with whatever header, payload and signature bytes the test wants.
inline std::string make_token(const boost::json::object& header, const boost::json::object& claims,
                              const std::string& signature = "") {
  return base64url_encode(boost::json::serialize(header)) + "." +
         base64url_encode(boost::json::serialize(claims)) + "." + base64url_encode(signature);
}

// The same token with one part replaced (0 header, 1 payload, 2 signature), already encoded.
inline std::string replace_part(const std::string& token, int index, const std::string& encoded) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (index == 0) return encoded + token.substr(first);
  if (index == 1) return token.substr(0, first + 1) + encoded + token.substr(second);
  return token.substr(0, second + 1) + encoded;
}

inline std::string signature_part(const std::string& token) {
  return *base64url_decode(token.substr(token.rfind('.') + 1));
}

// Keys made once per test binary and slot: RSA generation is slow under the sanitizers, and
// tests only need distinct keys, not fresh ones.
inline const SigningKey& shared_key(const char* algorithm, int slot) {
  static std::map<std::pair<std::string, int>, SigningKey> keys;
  const auto id = std::make_pair(std::string(algorithm), slot);
  auto it = keys.find(id);
  if (it == keys.end()) it = keys.emplace(id, *SigningKey::generate(algorithm)).first;
  return it->second;
}

// "Basic <standard base64 of id:secret>", as curl -u sends it.
inline std::string basic_header(const std::string& id, const std::string& secret) {
  std::string b = base64url_encode(id + ":" + secret);
  std::replace(b.begin(), b.end(), '-', '+');
  std::replace(b.begin(), b.end(), '_', '/');
  while (b.size() % 4) b += '=';
  return "Basic " + b;
}

// The PEM of a signing key's public half: what the HS256 key-confusion attack uses as secret.
inline std::string public_pem(const SigningKey& key) {
  const std::string private_pem = key.to_pem();
  BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(out, pkey);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(out);
  EVP_PKEY_free(pkey);
  return pem;
}

inline std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// A fresh directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string p = (std::filesystem::temp_directory_path() / "aigw-auth-XXXXXX").string();
    path_ = mkdtemp(p.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace aigw::auth::testing
