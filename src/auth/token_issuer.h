// The built-in OAuth2 issuer (client_credentials, RFC 6749 §4.4), answering like Cognito:
// {"access_token": "...", "expires_in": 3600, "token_type": "Bearer"}. Pure: the gateway
// hands it the request's pieces and sends back what it returns.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "auth/auth_settings.h"
#include "auth/client_secret.h"
#include "auth/signing_key_ring.h"

namespace aigw::auth {

struct ClientRecord {
  std::string client_id;
  std::string team;
  std::string secret_hash;          // see client_secret.h
  std::vector<std::string> scopes;  // what the client may ask for
  bool from_config = false;         // declared in the YAML (not removable at run time)
  // Changes whenever the secret does (run-time clients; "" for config clients). Tokens carry
  // it, so a rotated secret revokes the tokens issued with the old one.
  std::string secret_version = {};
};

// A token request that is well-formed, with its client secret still to be checked (the slow
// part: PBKDF2, run off the I/O threads).
struct TokenGrant {
  std::string client_id;
  std::string secret;
  std::optional<std::string> scope;  // as asked for
  bool via_basic = false;            // a 401 must then ask for Basic again
};

// What checking a client secret did: whether it matched, and the PBKDF2 work it cost.
struct SecretCheck {
  bool matched = false;
  int iterations = 0;  // 0 only for a secret matched before (cached)
};

struct IssuerResponse {
  int status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// application/x-www-form-urlencoded, into name → value (later duplicates win).
std::map<std::string, std::string> parse_form(std::string_view body);
std::string url_decode(std::string_view text);

class TokenIssuer {
 public:
  // Without `scope`, a token request gets the client's scopes except `admin_scope`, which
  // must be asked for.
  TokenIssuer(std::string issuer, std::int64_t ttl_seconds, std::shared_ptr<SigningKeyRing> keys,
              std::vector<ClientRecord> clients, std::string admin_scope = kDefaultAdminScope);

  // POST /oauth2/token, all at once (read_request, then grant).
  IssuerResponse token_request(std::string_view content_type, std::string_view body,
                               std::optional<std::string_view> authorization, std::int64_t now);
  // The cheap first half: checks the request's form; an answer when it is refused already.
  std::variant<IssuerResponse, TokenGrant> read_request(
      std::string_view content_type, std::string_view body,
      std::optional<std::string_view> authorization) const;
  // True when the grant's secret was accepted before, so grant() will not run PBKDF2.
  bool secret_known_good(const TokenGrant& grant);
  // The slow half: checks the secret and signs the token. Thread-safe.
  IssuerResponse grant(const TokenGrant& grant, std::int64_t now);
  // Checks a client's secret at the same PBKDF2 cost whether or not the client exists, and
  // whatever iterations its own hash has: unknown clients are checked against a decoy hash
  // and cheaper hashes are padded up to work_iterations().
  SecretCheck check_secret(const std::string& client_id, std::string_view secret);
  // The cost of every secret check: the most iterations of any client's hash (at least
  // kSecretHashIterations); the decoy hash has this many.
  int work_iterations() const;
  std::string decoy_hash() const;
  // Why a token of this issuer is no longer good (client removed, secret rotated since), or
  // nullopt. Called on every request for built-in tokens: a shared lock and a map lookup.
  std::optional<std::string> revoked(const std::string& client_id,
                                     const std::string& secret_version) const;
  // A signed token for a known client (also used by tests and `aigw token --local`).
  std::string issue(const ClientRecord& client, const std::vector<std::string>& scopes,
                    std::int64_t now) const;
  std::string jwks_document() const { return keys_->jwks_document(); }
  // /.well-known/openid-configuration, with endpoints under `base_url` (scheme://host[:port]).
  std::string openid_configuration(std::string_view base_url) const;
  const std::string& issuer() const { return issuer_; }
  const SigningKeyRing& keys() const { return *keys_; }

  // Run-time client management (the admin API). Thread-safe.
  std::vector<ClientRecord> clients() const;
  std::optional<ClientRecord> find_client(const std::string& client_id) const;
  void put_client(ClientRecord client);
  bool remove_client(const std::string& client_id);
  // Replaces every run-time client (not from_config) with `clients` at once.
  void replace_runtime_clients(std::vector<ClientRecord> clients);

 private:
  // Raises the work (and remakes the decoy) when a client's hash asks for more. Under the lock.
  void raise_work_for(const std::string& secret_hash);

  std::string issuer_;
  std::int64_t ttl_seconds_;
  std::shared_ptr<SigningKeyRing> keys_;
  std::string admin_scope_;
  mutable std::shared_mutex clients_mutex_;
  int work_iterations_ = kSecretHashIterations;
  std::string decoy_hash_;  // checked for unknown clients, at work_iterations_
  std::map<std::string, ClientRecord> clients_;
  // PBKDF2 is slow by design; a client asking again with the same secret skips it.
  std::mutex verified_mutex_;
  std::map<std::string, std::string> verified_;  // client_id → SHA-256 of the accepted secret
};

}  // namespace aigw::auth
