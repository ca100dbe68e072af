// The built-in OAuth2 issuer (client_credentials, RFC 6749 §4.4), answering like Cognito:
// {"access_token": "...", "expires_in": 3600, "token_type": "Bearer"}. Pure: the gateway
// hands it the request's pieces and sends back what it returns.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/client_secret.h"
#include "auth/signing_key_ring.h"

namespace aigw::auth {

struct ClientRecord {
  std::string client_id;
  std::string team;
  std::string secret_hash;          // see client_secret.h
  std::vector<std::string> scopes;  // what the client may ask for
  bool from_config = false;         // declared in the YAML (not removable at run time)
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
  TokenIssuer(std::string issuer, std::int64_t ttl_seconds, std::shared_ptr<SigningKeyRing> keys,
              std::vector<ClientRecord> clients);

  // POST /oauth2/token.
  IssuerResponse token_request(std::string_view content_type, std::string_view body,
                               std::optional<std::string_view> authorization, std::int64_t now);
  // A signed token for a known client (also used by tests and `aigw token --local`).
  std::string issue(const ClientRecord& client, const std::vector<std::string>& scopes, std::int64_t now) const;
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

 private:
  bool secret_matches(const ClientRecord& client, std::string_view secret);

  std::string issuer_;
  std::int64_t ttl_seconds_;
  std::shared_ptr<SigningKeyRing> keys_;
  std::string decoy_hash_ = hash_secret(random_token(16));  // checked for unknown clients
  mutable std::mutex clients_mutex_;
  std::map<std::string, ClientRecord> clients_;
  // PBKDF2 is slow by design; a client asking again with the same secret skips it.
  std::mutex verified_mutex_;
  std::map<std::string, std::string> verified_;  // client_id → SHA-256 of the accepted secret
};

}  // namespace aigw::auth
