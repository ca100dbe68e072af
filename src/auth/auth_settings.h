// The `auth:` section of the config (docs/authentication.md), validated at load.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::config {
class ConfigNode;
}

namespace aigw::auth {

inline constexpr const char* kDefaultInvokeScope = "https://gateway.internal/invoke";
inline constexpr const char* kDefaultAdminScope = "https://gateway.internal/admin";

struct IssuerSettings {
  std::string issuer;
  std::string jwks_url;  // exactly one of jwks_url and jwks_file
  std::string jwks_file;
  std::string team_claim = "team";
  std::string audience;
  std::vector<std::string> client_ids;
  std::string config_path;  // e.g. auth.issuers[0], for messages
};

struct ClientSettings {
  std::string client_id;
  std::string team;
  std::string secret_hash;  // from client_secret_hash, or the hash of client_secret
  std::vector<std::string> scopes;
};

// Who may call /admin/* while auth is off (auth.admin_without_auth).
enum class AdminWithoutAuth {
  kRefuse,    // 403 for everyone (the default): the admin API needs a token
  kLoopback,  // peers on 127.0.0.0/8 or ::1 that came through no proxy (explicit opt-in)
};

struct AuthSettings {
  bool enabled = true;
  AdminWithoutAuth admin_without_auth = AdminWithoutAuth::kRefuse;
  std::string scope = kDefaultInvokeScope;
  std::string admin_scope = kDefaultAdminScope;
  std::int64_t leeway_seconds = 60;
  std::int64_t jwks_min_refresh_ms = 30'000;  // an unknown kid refetches a JWKS at most this often
  std::int64_t jwks_refresh_interval_ms = 300'000;  // every jwks_url is fetched again this often
  std::vector<IssuerSettings> issuers;
  std::map<std::string, std::string> teams_by_client;
  bool builtin_issuer = true;
  std::string builtin_issuer_id = "http://localhost:8787";
  // Base of the endpoints in /.well-known/openid-configuration; empty: builtin_issuer_id.
  std::string public_url;
  // The token endpoint's secret checks (PBKDF2) run on this many threads, with at most
  // `secret_check_queue` more waiting; beyond that the endpoint answers 503.
  int secret_check_threads = 2;
  int secret_check_queue = 32;
  std::int64_t token_ttl_seconds = 3600;
  std::string keys_dir = "./data/keys";
  std::string algorithm = "RS256";
  std::vector<ClientSettings> clients;
  bool demo_client = false;           // the embedded default's client, its secret kept under data/
  std::vector<std::string> warnings;  // for the operator at start (config warnings)

  // Where the discovery document says the issuer's endpoints are.
  const std::string& discovery_base() const {
    return public_url.empty() ? builtin_issuer_id : public_url;
  }
};

// True for the hosts a plain-http JWKS URL may name: localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view host);

// The built-in issuer's id when the config names none: from the listen address, with a
// wildcard host (0.0.0.0, ::) read as localhost. E.g. ("0.0.0.0", 8787) → http://localhost:8787.
std::string default_builtin_issuer(std::string_view listen_host, int port);

// Reads `auth:`; throws config::ConfigError naming the key and line. Without the section:
// auth on, the built-in issuer on (as `default_issuer`), no clients.
AuthSettings parse_auth_settings(const config::ConfigNode& auth,
                                 std::string_view default_issuer = "http://localhost:8787");

}  // namespace aigw::auth
