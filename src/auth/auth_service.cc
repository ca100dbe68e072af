#include "auth/auth_service.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/client_secret.h"

namespace aigw::auth {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, PublicKey> public_keys(const SigningKeyRing& ring) {
  std::map<std::string, PublicKey> keys;
  for (const auto& k : ring.published()) keys.emplace(k->kid(), k->public_key());
  return keys;
}

// The embedded default's demo client: its secret is made once and kept next to the keys.
ClientSettings demo_client(const AuthSettings& s, std::vector<std::string>& notices) {
  const fs::path file = fs::path(s.keys_dir).parent_path() / "demo-client.secret";
  std::string secret;
  if (fs::exists(file)) {
    secret = read_text(file.string());
  } else {
    secret = random_token(24);
    std::ofstream(file) << secret;
    chmod(file.c_str(), 0600);
  }
  notices.push_back("demo client \"demo\" (team demo): get a token with\n"
                    "  GATEWAY_TOKEN_ENDPOINT=http://localhost:8787/oauth2/token GATEWAY_CLIENT_ID=demo \\\n"
                    "  GATEWAY_CLIENT_SECRET=$(cat " + file.string() + ") ./scripts/get-gateway-token.sh");
  return {"demo", "demo", hash_secret(secret, 10'000), {s.scope, s.admin_scope}};
}

}  // namespace

std::shared_ptr<AuthService> AuthService::create(const AuthSettings& settings, std::vector<std::string>& notices) {
  auto service = std::shared_ptr<AuthService>(new AuthService());
  service->settings_ = settings;
  std::vector<TrustedIssuer> trusted;
  if (settings.builtin_issuer) {
    service->ring_ = SigningKeyRing::load_or_create(settings.keys_dir, settings.algorithm);
    service->builtin_keys_ = std::make_shared<KeySet>();
    service->builtin_keys_->replace(public_keys(*service->ring_));
    std::vector<ClientRecord> clients;
    for (const auto& c : settings.clients) clients.push_back({c.client_id, c.team, c.secret_hash, c.scopes});
    if (settings.demo_client) {
      const auto d = demo_client(settings, notices);
      clients.push_back({d.client_id, d.team, d.secret_hash, d.scopes});
    }
    service->issuer_ = std::make_unique<TokenIssuer>(settings.builtin_issuer_id, settings.token_ttl_seconds,
                                                     service->ring_, std::move(clients));
    trusted.push_back({settings.builtin_issuer_id, service->builtin_keys_, "", "team", "", {}});
  }
  for (const auto& i : settings.issuers) {
    auto keys = std::make_shared<KeySet>(settings.jwks_min_refresh_ms);
    if (!i.jwks_file.empty()) {
      std::string error;
      if (!keys->replace_from_jwks(read_text(i.jwks_file), error)) {
        throw std::runtime_error(i.config_path + ".jwks_file (" + i.jwks_file + "): " + error);
      }
    }
    trusted.push_back({i.issuer, keys, i.jwks_url, i.team_claim, i.audience, i.client_ids});
  }
  VerifierOptions options{settings.scope, settings.leeway_seconds, settings.teams_by_client};
  service->verifier_ = std::make_unique<Verifier>(std::move(trusted), std::move(options));
  return service;
}

void AuthService::rotate_signing_key() {
  if (!ring_) return;
  ring_->rotate();
  builtin_keys_->replace(public_keys(*ring_));
}

}  // namespace aigw::auth
