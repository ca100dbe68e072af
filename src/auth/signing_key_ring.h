// The built-in issuer's signing keys: generated on first start and persisted (mode 0600)
// under keys_dir; rotation makes a new current key and keeps the previous one published in
// the JWKS so tokens it signed stay valid until they expire.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/keys.h"

namespace aigw::auth {

class SigningKeyRing {
 public:
  // Loads current.pem (and previous.pem) from `dir`, creating a key when there is none; a
  // current key of another algorithm than `algorithm` is rotated out (kept as previous).
  // Each key's kid is its RFC 7638 thumbprint. Throws std::runtime_error when the directory
  // or a key cannot be used.
  static std::shared_ptr<SigningKeyRing> load_or_create(const std::string& dir,
                                                        const std::string& algorithm);

  std::shared_ptr<const SigningKey> current() const;
  // Every key whose tokens may still be in use: current first.
  std::vector<std::shared_ptr<const SigningKey>> published() const;
  // New current key; the old current becomes previous (persisted). Throws when the key
  // cannot be made or written (the ring is then unchanged).
  void rotate();
  // Reads current.pem and previous.pem again (another replica rotated and its files were
  // copied here); without a current.pem, or with one that does not load, nothing changes.
  // Throws like load_or_create.
  void reload();
  std::string jwks_document() const;

 private:
  void persist() const;

  std::string dir_;
  std::string algorithm_;
  mutable std::mutex mutex_;
  std::shared_ptr<const SigningKey> current_;
  std::shared_ptr<const SigningKey> previous_;
};

}  // namespace aigw::auth
