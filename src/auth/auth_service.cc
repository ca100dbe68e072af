#include "auth/auth_service.h"

#include <boost/json.hpp>
#include <filesystem>
#include <stdexcept>

#include "auth/client_secret.h"
#include "auth/private_file.h"

namespace aigw::auth {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) throw std::runtime_error("cannot read " + path);
  return std::move(*text);
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
    write_private_file(file.string(), secret);
  }
  notices.push_back(
      "demo client \"demo\" (team demo): get a token with\n"
      "  GATEWAY_TOKEN_ENDPOINT=http://localhost:8787/oauth2/token GATEWAY_CLIENT_ID=demo \\\n"
      "  GATEWAY_CLIENT_SECRET=$(cat " +
      file.string() + ") ./scripts/get-gateway-token.sh");
  // Admin too, but only in tokens that ask for it (scope=...): agents get the invoke scope.
  return {"demo", "demo", hash_secret(secret), {s.scope, s.admin_scope}};
}

// Clients added through the admin API, kept (hashed secrets only) next to the keys.
std::vector<ClientRecord> load_runtime_clients(const std::string& path) {
  std::vector<ClientRecord> out;
  if (!fs::exists(path)) return out;
  boost::system::error_code ec;
  const auto v = boost::json::parse(read_text(path), ec);
  if (ec || !v.is_array()) throw std::runtime_error(path + " is not a JSON list of clients");
  try {
    for (const auto& item : v.as_array()) {
      const auto& o = item.as_object();
      ClientRecord c{std::string(o.at("client_id").as_string()),
                     std::string(o.at("team").as_string()),
                     std::string(o.at("secret_hash").as_string()),
                     {},
                     false,
                     ""};
      if (const auto* v = o.if_contains("secret_version"))
        c.secret_version = std::string(v->as_string());
      for (const auto& s : o.at("scopes").as_array()) c.scopes.emplace_back(s.as_string());
      out.push_back(std::move(c));
    }
  } catch (const std::exception&) {  // a hand-edited file: say which one
    throw std::runtime_error(path + " has a client without client_id, team, secret_hash or scopes");
  }
  return out;
}

}  // namespace

std::shared_ptr<AuthService> AuthService::create(const AuthSettings& settings,
                                                 std::vector<std::string>& notices) {
  auto service = std::shared_ptr<AuthService>(new AuthService());
  service->settings_ = settings;
  std::vector<TrustedIssuer> trusted;
  if (settings.builtin_issuer) {
    service->ring_ = SigningKeyRing::load_or_create(settings.keys_dir, settings.algorithm);
    service->builtin_keys_ = std::make_shared<KeySet>();
    service->builtin_keys_->replace(public_keys(*service->ring_));
    std::vector<ClientRecord> clients;
    for (const auto& c : settings.clients)
      clients.push_back({c.client_id, c.team, c.secret_hash, c.scopes, true, ""});
    if (settings.demo_client) {
      const auto d = demo_client(settings, notices);
      clients.push_back({d.client_id, d.team, d.secret_hash, d.scopes, true, ""});
    }
    service->clients_file_ = (fs::path(settings.keys_dir).parent_path() / "clients.json").string();
    for (auto& c : load_runtime_clients(service->clients_file_)) clients.push_back(std::move(c));
    service->issuer_ =
        std::make_unique<TokenIssuer>(settings.builtin_issuer_id, settings.token_ttl_seconds,
                                      service->ring_, std::move(clients), settings.admin_scope);
    service->secret_checks_ = std::make_unique<BoundedPool>(
        settings.secret_check_threads, static_cast<std::size_t>(settings.secret_check_queue));
    TrustedIssuer builtin{
        settings.builtin_issuer_id, service->builtin_keys_, "", "team", "", {}, {}};
    // Our own tokens die with their client: removed, or its secret rotated since.
    builtin.revoked = [issuer = service->issuer_.get()](const Principal& p) {
      return issuer->revoked(p.client_id, p.secret_version);
    };
    trusted.push_back(std::move(builtin));
  }
  for (const auto& i : settings.issuers) {
    auto keys = std::make_shared<KeySet>(settings.jwks_min_refresh_ms);
    if (!i.jwks_file.empty()) {
      std::string error;
      if (!keys->replace_from_file(i.jwks_file, error)) {
        throw std::runtime_error(i.config_path + ".jwks_file (" + i.jwks_file + "): " + error);
      }
    }
    trusted.push_back({i.issuer, keys, i.jwks_url, i.team_claim, i.audience, i.client_ids, {}});
  }
  VerifierOptions options{settings.scope, settings.leeway_seconds, settings.teams_by_client};
  service->verifier_ = std::make_unique<Verifier>(std::move(trusted), std::move(options));
  return service;
}

void AuthService::save_runtime_clients() const {
  boost::json::array list;
  for (const auto& c : issuer_->clients()) {
    if (c.from_config) continue;
    boost::json::array scopes;
    for (const auto& s : c.scopes) scopes.emplace_back(s);
    list.push_back(boost::json::object{{"client_id", c.client_id},
                                       {"team", c.team},
                                       {"secret_hash", c.secret_hash},
                                       {"secret_version", c.secret_version},
                                       {"scopes", std::move(scopes)}});
  }
  write_private_file(clients_file_, boost::json::serialize(list));
  if (files_changed_) files_changed_();
}

std::variant<std::string, std::string> AuthService::add_client(const std::string& id,
                                                               const std::string& team,
                                                               std::vector<std::string> scopes) {
  if (!issuer_)
    return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                  "the built-in issuer is off");
  if (id.empty() || id.size() > 128)
    return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                  "client_id must be 1 to 128 characters");
  if (issuer_->find_client(id))
    return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                  "client \"" + id + "\" exists");
  if (scopes.empty()) scopes = {settings_.scope};
  const std::string secret = random_token(24);
  issuer_->put_client({id, team, hash_secret(secret), std::move(scopes), false, random_token(9)});
  save_runtime_clients();
  return std::variant<std::string, std::string>(std::in_place_index<0>, secret);
}

std::variant<std::string, std::string> AuthService::rotate_client_secret(const std::string& id) {
  auto client = issuer_ ? issuer_->find_client(id) : std::nullopt;
  if (!client)
    return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                  "no client \"" + id + "\"");
  if (client->from_config) {
    return std::variant<std::string, std::string>(
        std::in_place_index<1>,
        "client \"" + id + "\" is declared in the config file: change its secret there");
  }
  const std::string secret = random_token(24);
  client->secret_hash = hash_secret(secret);
  client->secret_version = random_token(9);  // revokes the tokens issued with the old secret
  issuer_->put_client(*client);
  save_runtime_clients();
  return std::variant<std::string, std::string>(std::in_place_index<0>, secret);
}

std::optional<std::string> AuthService::remove_client(const std::string& id) {
  auto client = issuer_ ? issuer_->find_client(id) : std::nullopt;
  if (!client) return "no client \"" + id + "\"";
  if (client->from_config)
    return "client \"" + id + "\" is declared in the config file: remove it there";
  issuer_->remove_client(id);
  save_runtime_clients();
  return std::nullopt;
}

void AuthService::rotate_signing_key() {
  if (!ring_) return;
  ring_->rotate();
  builtin_keys_->replace(public_keys(*ring_));
  if (files_changed_) files_changed_();
}

std::vector<std::string> AuthService::shared_files(const AuthSettings& settings) {
  if (!settings.enabled || !settings.builtin_issuer) return {};
  const fs::path keys(settings.keys_dir);
  return {(keys / "current.pem").string(), (keys / "previous.pem").string(),
          (keys.parent_path() / "clients.json").string()};
}

void AuthService::reload() {
  if (!ring_) return;
  ring_->reload();
  builtin_keys_->replace(public_keys(*ring_));
  issuer_->replace_runtime_clients(load_runtime_clients(clients_file_));
}

}  // namespace aigw::auth
