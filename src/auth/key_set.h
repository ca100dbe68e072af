// One issuer's public keys by kid, read from a JWKS document and swapped whole when it is
// fetched again (many threads verify while one refreshes). An unknown kid may trigger a
// refresh, at most one per interval, so a flood of forged kids cannot hammer the IdP.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "auth/keys.h"

namespace aigw::auth {

class KeySet {
 public:
  explicit KeySet(std::int64_t min_refresh_interval_ms = 30'000) : min_interval_ms_(min_refresh_interval_ms) {}

  // Parses a JWKS document and replaces the keys; on error keeps the old ones.
  bool replace_from_jwks(std::string_view document, std::string& error);
  void replace(std::map<std::string, PublicKey> keys);
  // The key for `kid`; with an empty kid, the only key when there is exactly one.
  std::shared_ptr<const PublicKey> find(std::string_view kid) const;
  std::size_t size() const { return keys_.load()->size(); }
  // True (and records the attempt) when a refresh may start now.
  bool claim_refresh(std::int64_t now_ms);

 private:
  using Map = std::map<std::string, std::shared_ptr<const PublicKey>, std::less<>>;
  std::atomic<std::shared_ptr<const Map>> keys_{std::make_shared<const Map>()};
  std::atomic<std::int64_t> last_refresh_ms_{-1'000'000'000};
  std::int64_t min_interval_ms_;
};

}  // namespace aigw::auth
