// Public keys (from JWKs, to check signatures) and signing keys (the built-in issuer's), on
// OpenSSL 3's EVP API. RS256 and ES256 only: the algorithms our issuers use.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

using EVP_PKEY = struct evp_pkey_st;

namespace aigw::auth {

class PublicKey {
 public:
  // Reads an RSA (n, e) or EC P-256 (x, y) JWK; `error` says why not.
  static std::optional<PublicKey> from_jwk(const boost::json::object& jwk, std::string& error);

  // The key's own algorithm: RS256 for RSA, ES256 for P-256.
  const std::string& algorithm() const { return algorithm_; }
  const std::string& kid() const { return kid_; }
  // Bytes a valid signature has: the RSA modulus size for RS256, 64 (r||s) for ES256.
  std::size_t signature_size() const;
  // False on any mismatch: wrong algorithm for the key, bad length, bad signature.
  bool verify(std::string_view alg, std::string_view signing_input,
              std::string_view signature) const;
  boost::json::object to_jwk() const;

 private:
  friend class SigningKey;
  std::shared_ptr<EVP_PKEY> key_;
  std::string algorithm_;
  std::string kid_;
};

class SigningKey {
 public:
  // "RS256" (RSA 2048) or "ES256" (P-256).
  static std::optional<SigningKey> generate(std::string_view algorithm);
  // A PKCS#8 private key: RSA of at least 2048 bits, or EC on P-256; nullopt otherwise.
  static std::optional<SigningKey> from_pem(const std::string& pem);
  std::string to_pem() const;

  const std::string& algorithm() const { return public_.algorithm_; }
  // The RFC 7638 thumbprint, used as kid.
  const std::string& kid() const { return public_.kid_; }
  const PublicKey& public_key() const { return public_; }
  // A compact JWS over `claims` with this key.
  std::string sign_jwt(const boost::json::object& claims) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
};

}  // namespace aigw::auth
