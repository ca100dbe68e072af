#include "auth/auth_settings.h"

#include <arpa/inet.h>

#include <boost/url/parse.hpp>
#include <set>

#include "auth/client_secret.h"
#include "core/config_node.h"

namespace aigw::auth {
namespace {

// Keys fetched over plain http could be swapped by anyone on the path, and whoever picks the
// keys mints tokens: https, or http to this host only (a local IdP or test stand-in).
void check_jwks_url(const std::string& url, const config::ConfigNode& node) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "https" && parsed->scheme() != "http") ||
      parsed->host().empty()) {
    node.fail("must be an http(s) URL");
  }
  // Boost.URL 1.81 reads "127.0.0.1.evil.example" as the IPv4 host 127.0.0.1: the host must be
  // the whole authority as written (up to a port), or the URL is refused.
  const std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::string_view written = authority.starts_with('[')
                                       ? authority.substr(0, authority.find(']') + 1)
                                       : authority.substr(0, authority.find(':'));
  if (written != parsed->encoded_host()) node.fail("must be an http(s) URL with a plain host");
  if (parsed->scheme() == "http" && !is_loopback_host(parsed->host())) {
    node.fail("must be https (plain http is accepted only for localhost, 127.0.0.0/8 and ::1)");
  }
}

IssuerSettings parse_issuer(const config::ConfigNode& node) {
  node.allow_keys({"issuer", "jwks_url", "jwks_file", "team_claim", "audience", "client_ids"});
  IssuerSettings s;
  s.config_path = node.path();
  s.issuer = node.required_str("issuer");
  s.jwks_url = node.str("jwks_url");
  s.jwks_file = node.str("jwks_file");
  if (s.jwks_url.empty() == s.jwks_file.empty())
    node.fail("needs exactly one of jwks_url and jwks_file");
  if (!s.jwks_url.empty()) check_jwks_url(s.jwks_url, node.child("jwks_url"));
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
    if (!looks_like_secret_hash(hash))
      node.child("client_secret_hash")
          .fail("expected pbkdf2-sha256$<iterations>$<salt>$<hash> (see `aigw admin hash-secret`)");
    c.secret_hash = hash;
  } else if (!secret.empty()) {
    // Kept only as a hash in memory; a plaintext secret should come from ${ENV}. The same
    // iterations as every other hash, so no client answers faster than an unknown one.
    c.secret_hash = hash_secret(secret);
  } else {
    node.fail(
        "needs client_secret (e.g. \"${CI_BOT_SECRET}\", which must be set) or client_secret_hash");
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
      item.child("issuer").fail("\"" + id +
                                "\" is the built-in issuer's own id (auth.builtin_issuer.issuer)");
    }
  });
  seen.clear();
  i = 0;
  node.child("clients").for_each_item([&](const config::ConfigNode& item) {
    const std::string& id = s.clients[i++].client_id;
    if (!seen.insert(id).second)
      item.child("client_id").fail("client \"" + id + "\" is declared twice");
  });
}

void warn_about(AuthSettings& s) {
  for (const auto& i : s.issuers) {
    if (i.audience.empty()) {
      s.warnings.push_back(i.config_path + " (" + i.issuer +
                           ") has no audience: every access token it signs with the "
                           "scope " +
                           s.scope +
                           " is accepted, also one made for another application; set audience");
    }
  }
  if (!s.enabled && s.admin_without_auth == AdminWithoutAuth::kLoopback) {
    s.warnings.push_back(
        "auth is off and auth.admin_without_auth is loopback: the admin API (budgets, teams, "
        "clients, usage) is open WITHOUT a token to every process on this host");
  }
  if (s.enabled && s.admin_without_auth == AdminWithoutAuth::kLoopback) {
    s.warnings.push_back(
        "auth.admin_without_auth has no effect while auth is enabled: /admin needs the admin "
        "scope");
  }
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  const std::string text(host);
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

std::string default_builtin_issuer(std::string_view host, int port) {
  const bool any = host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
  std::string name = any ? "localhost" : std::string(host);
  if (name.find(':') != std::string::npos && name.front() != '[') name = "[" + name + "]";  // IPv6
  return "http://" + name + ":" + std::to_string(port);
}

AuthSettings parse_auth_settings(const config::ConfigNode& node, std::string_view default_issuer) {
  AuthSettings s;
  s.builtin_issuer_id = std::string(default_issuer);
  node.allow_keys({"enabled", "admin_without_auth", "scope", "admin_scope", "leeway",
                   "jwks_min_refresh", "jwks_refresh_interval", "issuers", "teams_by_client",
                   "builtin_issuer", "clients"});
  s.enabled = node.boolean("enabled", true);
  const std::string admin = node.str("admin_without_auth", "refuse");
  if (admin == "loopback")
    s.admin_without_auth = AdminWithoutAuth::kLoopback;
  else if (admin != "refuse")
    node.child("admin_without_auth").fail("must be refuse or loopback");
  s.scope = node.str("scope", s.scope);
  s.admin_scope = node.str("admin_scope", s.admin_scope);
  s.leeway_seconds = node.duration("leeway", std::chrono::seconds(60)).count() / 1000;
  // Leeway absorbs clock skew; much more would keep expired tokens working.
  if (s.leeway_seconds > 600)
    node.child("leeway").fail("must be at most 10m (it lets expired tokens through)");
  s.jwks_min_refresh_ms =
      node.duration("jwks_min_refresh", std::chrono::milliseconds(s.jwks_min_refresh_ms)).count();
  s.jwks_refresh_interval_ms =
      node.duration("jwks_refresh_interval", std::chrono::milliseconds(s.jwks_refresh_interval_ms))
          .count();
  if (s.jwks_refresh_interval_ms < 1000)
    node.child("jwks_refresh_interval").fail("must be at least 1s");
  node.child("issuers").for_each_item(
      [&](const config::ConfigNode& i) { s.issuers.push_back(parse_issuer(i)); });
  node.child("teams_by_client")
      .for_each_entry([&](const std::string& client, const config::ConfigNode& team) {
        s.teams_by_client[client] = team.scalar();
      });
  const auto builtin = node.child("builtin_issuer");
  builtin.allow_keys({"enabled", "issuer", "public_url", "token_ttl", "keys_dir", "algorithm",
                      "secret_check_threads", "secret_check_queue"});
  // On by default, off when an external IdP is configured unless asked for.
  s.builtin_issuer = builtin.boolean("enabled", s.issuers.empty());
  s.builtin_issuer_id = builtin.str("issuer", s.builtin_issuer_id);
  s.public_url = builtin.str("public_url");
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  if (!s.public_url.empty() && s.public_url.rfind("https://", 0) != 0 &&
      s.public_url.rfind("http://", 0) != 0) {
    builtin.child("public_url").fail("must be an http(s) URL, e.g. https://gateway.example.com");
  }
  s.secret_check_threads =
      static_cast<int>(builtin.integer("secret_check_threads", s.secret_check_threads));
  if (s.secret_check_threads < 1 || s.secret_check_threads > 64) {
    builtin.child("secret_check_threads").fail("must be 1 to 64");
  }
  s.secret_check_queue =
      static_cast<int>(builtin.integer("secret_check_queue", s.secret_check_queue));
  if (s.secret_check_queue < 0 || s.secret_check_queue > 100'000) {
    builtin.child("secret_check_queue").fail("must be 0 to 100000");
  }
  s.token_ttl_seconds = builtin.duration("token_ttl", std::chrono::hours(1)).count() / 1000;
  if (s.token_ttl_seconds < 60) builtin.child("token_ttl").fail("must be at least 1m");
  s.keys_dir = builtin.str("keys_dir", s.keys_dir);
  s.algorithm = builtin.str("algorithm", s.algorithm);
  if (s.algorithm != "RS256" && s.algorithm != "ES256")
    builtin.child("algorithm").fail("must be RS256 or ES256");
  node.child("clients").for_each_item(
      [&](const config::ConfigNode& c) { s.clients.push_back(parse_client(c, s.scope)); });
  check_unique(s, node);
  if (s.enabled && !s.builtin_issuer && s.issuers.empty()) {
    node.fail(
        "auth is enabled but trusts no issuer: configure auth.issuers or enable "
        "auth.builtin_issuer");
  }
  warn_about(s);
  return s;
}

}  // namespace aigw::auth
