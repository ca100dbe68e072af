// Bearer token verification: which issuer, which key, signature, time, token use, audience,
// client, scope. Results are cached per token until it expires, so the hot path costs one
// hash lookup. Every rejection says exactly what is wrong (the caller renders it).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "auth/jwt_token.h"
#include "auth/key_set.h"

namespace aigw::auth {

struct Principal {
  std::string client_id;  // client_id claim, else sub
  std::string team;
  std::string issuer;
  std::vector<std::string> scopes;
  std::int64_t expires_at = 0;      // unix seconds
  std::string secret_version = {};  // the built-in issuer's secret_version claim ("" when absent)
  bool has_scope(std::string_view scope) const;
};

struct AuthFailure {
  int status = 401;     // 401, or 403 for a missing scope
  std::string error;    // for WWW-Authenticate: invalid_request, invalid_token, insufficient_scope
  std::string message;  // says which problem, e.g. "token expired 3 minutes ago"
  bool unknown_kid = false;  // the issuer's keys may have rotated: refresh and try again
  std::string issuer;        // set with unknown_kid
  std::string www_authenticate() const;
};

struct TrustedIssuer {
  std::string issuer;  // the exact iss value
  std::shared_ptr<KeySet> keys;
  std::string jwks_url;                 // empty for static keys (file, built-in)
  std::string team_claim = "team";      // e.g. custom:team for Cognito
  std::string audience;                 // required in aud (or client_id) when set
  std::vector<std::string> client_ids;  // allowed clients when not empty
  // Why a token that verifies is no longer good (its client removed, its secret rotated), or
  // nullopt. Asked on every use, cached or not. Empty: never revoked.
  std::function<std::optional<std::string>(const Principal&)> revoked = {};
};

struct VerifierOptions {
  std::string required_scope = "https://gateway.internal/invoke";
  std::int64_t leeway_seconds = 60;
  std::map<std::string, std::string> teams_by_client;  // when the token names no team
};

using VerifyResult = std::variant<Principal, AuthFailure>;

// Finds the token in `Authorization: Bearer …` or, for Claude Code's apiKeyHelper, `x-api-key`.
std::variant<std::string_view, AuthFailure> extract_token(
    std::optional<std::string_view> authorization, std::optional<std::string_view> x_api_key);

// "3 minutes", "45 seconds", "2 hours".
std::string human_duration(std::int64_t seconds);

class Verifier {
 public:
  // Verified tokens kept at most (spread over the cache's shards).
  static constexpr std::size_t kDefaultCacheCapacity = 65'536;

  Verifier(std::vector<TrustedIssuer> issuers, VerifierOptions options,
           std::size_t cache_capacity = kDefaultCacheCapacity);

  // Full check, no cache. `now` is unix seconds from the caller's clock. An unknown kid
  // comes back with AuthFailure::unknown_kid set: the caller may refresh that issuer's keys
  // (KeySet::claim_refresh says whether now) and call again.
  VerifyResult verify(std::string_view token, std::int64_t now) const;
  // The same through the per-token cache: a token verified before costs one hash lookup
  // until it expires, as long as the key that signed it is still its issuer's (a refreshed
  // JWKS may drop it) and the issuer has not revoked it. Only successes are kept; when a
  // shard is full, expired entries go first, then the one closest to expiry. Thread-safe.
  VerifyResult verify_cached(std::string_view token, std::int64_t now);
  std::size_t cached_tokens();
  // Checks the scope a route needs (the invoke scope for API calls, admin for /admin).
  std::optional<AuthFailure> require_scope(const Principal& p, std::string_view scope) const;
  const VerifierOptions& options() const { return options_; }
  const TrustedIssuer* find_issuer(std::string_view iss) const;
  const std::vector<TrustedIssuer>& issuers() const { return issuers_; }

 private:
  // A verified token, and what must still hold for it to stay verified.
  struct Verified {
    Principal principal;
    const TrustedIssuer* issuer = nullptr;
    std::string kid;
    std::shared_ptr<const PublicKey> key;
  };
  VerifyResult verify_full(std::string_view token, std::int64_t now, Verified* out) const;
  static std::optional<AuthFailure> check_signature(const DecodedJwt& jwt, const PublicKey& key);
  std::optional<AuthFailure> check_time(const boost::json::object& claims, std::int64_t now) const;
  VerifyResult check_claims(const DecodedJwt& jwt, const TrustedIssuer& issuer,
                            std::int64_t now) const;

  // Lookups by string_view, so a cache hit allocates nothing. Only the token's last bytes
  // are hashed (its signature: the bytes that differ most between tokens): a whole JWT is
  // ~700 bytes, hashed twice a request (shard, then bucket). Equal tails only share a bucket,
  // the whole token is still compared, and only verified tokens are kept: nobody can fill
  // one bucket with tokens of a chosen tail.
  struct TokenHash {
    using is_transparent = void;
    static constexpr std::size_t kHashedBytes = 32;
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(
          s.size() > kHashedBytes ? s.substr(s.size() - kHashedBytes) : s);
    }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Verified, TokenHash, std::equal_to<>> entries;
  };
  static constexpr std::size_t kShards = 16;

  void remember(Shard& shard, std::string_view token, Verified v, std::int64_t now);

  std::vector<TrustedIssuer> issuers_;
  VerifierOptions options_;
  std::size_t max_entries_per_shard_;
  std::array<Shard, kShards> cache_;
};

}  // namespace aigw::auth
