// One issuer's public keys by kid, read from a JWKS document and swapped whole when it is
// fetched again (many threads verify while one refreshes). An unknown kid may trigger a
// refresh, at most one per interval, so a flood of forged kids cannot hammer the IdP.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/keys.h"
#include "core/snapshot.h"

namespace aigw::auth {

// The signing keys of a JWKS document ({"keys": [...]}) by kid. Keys with `use` other than
// "sig", or whose `alg` contradicts their type, are skipped; nullopt (and `error`) when no
// usable key is left or the document is not a JWKS.
std::optional<std::map<std::string, PublicKey>> parse_jwks(std::string_view document,
                                                           std::string& error);
// {"keys": [jwk, ...]} with each key's kid, alg and use.
std::string jwks_document(const std::vector<const PublicKey*>& keys);

class KeySet {
 public:
  explicit KeySet(std::int64_t min_refresh_interval_ms = 30'000)
      : min_interval_ms_(min_refresh_interval_ms) {}

  // Parses a JWKS document and replaces the keys; on error keeps the old ones.
  bool replace_from_jwks(std::string_view document, std::string& error);
  // The same from a file (static keys for air-gapped issuers).
  bool replace_from_file(const std::string& path, std::string& error);
  void replace(std::map<std::string, PublicKey> keys);
  // The key for `kid`; with an empty kid, the only key when there is exactly one.
  std::shared_ptr<const PublicKey> find(std::string_view kid) const;
  std::size_t size() const { return keys_.load()->size(); }
  std::vector<std::string> kids() const;
  // The current keys as a JWKS document.
  std::string to_jwks() const;
  // True (and records the attempt) when a refresh may start now: the first time, then at
  // most once per interval. `now_ms` comes from the caller's clock.
  bool claim_refresh(std::int64_t now_ms);

 private:
  using Map = std::map<std::string, std::shared_ptr<const PublicKey>, std::less<>>;
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

  Snapshot<Map> keys_{std::make_shared<const Map>()};
  std::atomic<std::int64_t> last_refresh_ms_{kNever};
  std::int64_t min_interval_ms_;
};

}  // namespace aigw::auth
