#include "auth/auth_settings.h"

#include <set>

#include "auth/client_secret.h"
#include "config/config_node.h"

namespace aigw::auth {
namespace {

IssuerSettings parse_issuer(const config::ConfigNode& node) {
  node.allow_keys({"issuer", "jwks_url", "jwks_file", "team_claim", "audience", "client_ids"});
  IssuerSettings s;
  s.config_path = node.path();
  s.issuer = node.required_str("issuer");
  s.jwks_url = node.str("jwks_url");
  s.jwks_file = node.str("jwks_file");
  if (s.jwks_url.empty() == s.jwks_file.empty()) node.fail("needs exactly one of jwks_url and jwks_file");
  if (!s.jwks_url.empty() && s.jwks_url.rfind("https://", 0) != 0 && s.jwks_url.rfind("http://", 0) != 0) {
    node.child("jwks_url").fail("must be an http(s) URL");
  }
  s.team_claim = node.str("team_claim", s.team_claim);
  if (s.team_claim.empty()) node.child("team_claim").fail("must not be empty");
  s.audience = node.str("audience");
  s.client_ids = node.str_list("client_ids");
  return s;
}

ClientSettings parse_client(const config::ConfigNode& node, const std::string& default_scope) {
  node.allow_keys({"client_id", "team", "client_secret", "client_secret_hash", "scopes"});
  ClientSettings c;
  c.client_id = node.required_str("client_id");
  c.team = node.str("team");
  const std::string secret = node.str("client_secret");
  const std::string hash = node.str("client_secret_hash");
  if (!hash.empty()) {
    if (!looks_like_secret_hash(hash)) node.child("client_secret_hash").fail("expected pbkdf2-sha256$<iterations>$<salt>$<hash> (see `aigw admin hash-secret`)");
    c.secret_hash = hash;
  } else if (!secret.empty()) {
    // Kept only as a hash in memory; a plaintext secret should come from ${ENV}.
    c.secret_hash = hash_secret(secret, 10'000);
  } else {
    node.fail("needs client_secret (e.g. \"${CI_BOT_SECRET}\", which must be set) or client_secret_hash");
  }
  c.scopes = node.str_list("scopes");
  if (c.scopes.empty()) c.scopes = {default_scope};
  return c;
}

// Each issuer and each client once: a second entry would silently shadow the first.
void check_unique(const AuthSettings& s, const config::ConfigNode& node) {
  std::set<std::string> seen;
  std::size_t i = 0;
  node.child("issuers").for_each_item([&](const config::ConfigNode& item) {
    const std::string& id = s.issuers[i++].issuer;
    if (!seen.insert(id).second) item.child("issuer").fail("issuer \"" + id + "\" is listed twice");
    if (s.builtin_issuer && id == s.builtin_issuer_id) {
      item.child("issuer").fail("\"" + id + "\" is the built-in issuer's own id (auth.builtin_issuer.issuer)");
    }
  });
  seen.clear();
  i = 0;
  node.child("clients").for_each_item([&](const config::ConfigNode& item) {
    const std::string& id = s.clients[i++].client_id;
    if (!seen.insert(id).second) item.child("client_id").fail("client \"" + id + "\" is declared twice");
  });
}

}  // namespace

std::string default_builtin_issuer(std::string_view host, int port) {
  const bool any = host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
  std::string name = any ? "localhost" : std::string(host);
  if (name.find(':') != std::string::npos && name.front() != '[') name = "[" + name + "]";  // IPv6
  return "http://" + name + ":" + std::to_string(port);
}

AuthSettings parse_auth_settings(const config::ConfigNode& node, std::string_view default_issuer) {
  AuthSettings s;
  s.builtin_issuer_id = std::string(default_issuer);
  node.allow_keys({"enabled", "scope", "admin_scope", "leeway", "jwks_min_refresh", "issuers", "teams_by_client", "builtin_issuer", "clients"});
  s.enabled = node.boolean("enabled", true);
  s.scope = node.str("scope", s.scope);
  s.admin_scope = node.str("admin_scope", s.admin_scope);
  s.leeway_seconds = node.duration("leeway", std::chrono::seconds(60)).count() / 1000;
  // Leeway absorbs clock skew; much more would keep expired tokens working.
  if (s.leeway_seconds > 600) node.child("leeway").fail("must be at most 10m (it lets expired tokens through)");
  s.jwks_min_refresh_ms = node.duration("jwks_min_refresh", std::chrono::milliseconds(s.jwks_min_refresh_ms)).count();
  node.child("issuers").for_each_item([&](const config::ConfigNode& i) { s.issuers.push_back(parse_issuer(i)); });
  node.child("teams_by_client").for_each_entry([&](const std::string& client, const config::ConfigNode& team) {
    s.teams_by_client[client] = team.scalar();
  });
  const auto builtin = node.child("builtin_issuer");
  builtin.allow_keys({"enabled", "issuer", "token_ttl", "keys_dir", "algorithm"});
  // On by default, off when an external IdP is configured unless asked for.
  s.builtin_issuer = builtin.boolean("enabled", s.issuers.empty());
  s.builtin_issuer_id = builtin.str("issuer", s.builtin_issuer_id);
  s.token_ttl_seconds = builtin.duration("token_ttl", std::chrono::hours(1)).count() / 1000;
  if (s.token_ttl_seconds < 60) builtin.child("token_ttl").fail("must be at least 1m");
  s.keys_dir = builtin.str("keys_dir", s.keys_dir);
  s.algorithm = builtin.str("algorithm", s.algorithm);
  if (s.algorithm != "RS256" && s.algorithm != "ES256") builtin.child("algorithm").fail("must be RS256 or ES256");
  node.child("clients").for_each_item([&](const config::ConfigNode& c) { s.clients.push_back(parse_client(c, s.scope)); });
  check_unique(s, node);
  if (s.enabled && !s.builtin_issuer && s.issuers.empty()) {
    node.fail("auth is enabled but trusts no issuer: configure auth.issuers or enable auth.builtin_issuer");
  }
  return s;
}

}  // namespace aigw::auth
