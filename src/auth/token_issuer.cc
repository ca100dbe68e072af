#include "auth/token_issuer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "auth/base64url.h"
#include "auth/client_secret.h"
#include "core/text.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

IssuerResponse oauth_error(int status, std::string error, std::string description) {
  IssuerResponse r;
  r.status = status;
  r.body = json::serialize(json::object{{"error", error}, {"error_description", description}});
  r.headers = {{"Cache-Control", "no-store"}};
  return r;
}

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char p, char t) { return ascii_lower(t) == p; });
}

bool is_form(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type.size() == 33 &&
         starts_with_nocase(content_type, "application/x-www-form-urlencoded");
}

// RFC 6749 §3.2: parameters must not be repeated (which copy would count?).
std::optional<std::string> repeated_parameter(std::string_view body) {
  std::set<std::string, std::less<>> seen;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const auto pair = body.substr(start, end - start);
    std::string name = url_decode(pair.substr(0, pair.find('=')));
    if (!pair.empty() && !seen.insert(name).second) return name;
    start = end + 1;
  }
  return std::nullopt;
}

struct Credentials {
  std::string client_id;
  std::string secret;
};

struct ClientAuth {
  std::optional<Credentials> credentials;  // none: no usable credentials (invalid_client)
  bool via_basic = false;                  // a 401 must then ask for Basic again
  std::string problem;                     // set: the request itself is wrong (invalid_request)
};

// HTTP Basic whose user and password are form-urlencoded (RFC 6749 §2.3.1); standard base64.
std::optional<Credentials> basic_credentials(std::string_view authorization) {
  std::string b64(authorization.substr(6));
  while (!b64.empty() && b64.front() == ' ') b64.erase(0, 1);
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  const auto decoded = base64url_decode(b64);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{url_decode(decoded->substr(0, colon)), url_decode(decoded->substr(colon + 1))};
}

// Credentials by HTTP Basic or by the form fields client_id/client_secret, never both
// (RFC 6749 §2.3: one authentication method per request).
ClientAuth client_auth(std::optional<std::string_view> authorization,
                       const std::map<std::string, std::string>& form) {
  ClientAuth a;
  const auto form_id = form.find("client_id");
  const auto form_secret = form.find("client_secret");
  if (authorization && starts_with_nocase(*authorization, "basic ")) {
    a.via_basic = true;
    if (form_secret != form.end()) {
      a.problem =
          "send the client credentials once: HTTP Basic or the client_secret form field, not both";
      return a;
    }
    a.credentials = basic_credentials(*authorization);
    if (a.credentials && form_id != form.end() && form_id->second != a.credentials->client_id) {
      a.problem = "client_id in the form differs from the one in HTTP Basic";
    }
    return a;
  }
  if (form_id != form.end() && form_secret != form.end()) {
    a.credentials = Credentials{form_id->second, form_secret->second};
  }
  return a;
}

IssuerResponse invalid_client(bool via_basic) {
  IssuerResponse r = oauth_error(401, "invalid_client", "unknown client or wrong client secret");
  if (via_basic) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"aigw\"");
  return r;
}

std::vector<std::string> split_scopes(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    const auto end = std::min(s.find(' ', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const auto pair = body.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      out[url_decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

TokenIssuer::TokenIssuer(std::string issuer, std::int64_t ttl_seconds,
                         std::shared_ptr<SigningKeyRing> keys, std::vector<ClientRecord> clients,
                         std::string admin_scope)
    : issuer_(std::move(issuer)),
      ttl_seconds_(ttl_seconds),
      keys_(std::move(keys)),
      admin_scope_(std::move(admin_scope)) {
  for (auto& c : clients) {
    work_iterations_ = std::max(work_iterations_, secret_hash_iterations(c.secret_hash));
    clients_.emplace(c.client_id, std::move(c));
  }
  decoy_hash_ = hash_secret(random_token(16), work_iterations_);
}

void TokenIssuer::raise_work_for(const std::string& secret_hash) {
  const int iterations = secret_hash_iterations(secret_hash);
  if (iterations <= work_iterations_) return;
  work_iterations_ = iterations;
  decoy_hash_ = hash_secret(random_token(16), work_iterations_);
}

int TokenIssuer::work_iterations() const {
  std::shared_lock lock(clients_mutex_);
  return work_iterations_;
}

std::string TokenIssuer::decoy_hash() const {
  std::shared_lock lock(clients_mutex_);
  return decoy_hash_;
}

bool TokenIssuer::secret_known_good(const TokenGrant& grant) {
  const auto client = find_client(grant.client_id);
  if (!client) return false;
  const std::string fingerprint = sha256_hex(client->secret_hash + "|" + grant.secret);
  std::lock_guard lock(verified_mutex_);
  const auto it = verified_.find(client->client_id);
  return it != verified_.end() && it->second == fingerprint;
}

SecretCheck TokenIssuer::check_secret(const std::string& client_id, std::string_view secret) {
  std::optional<ClientRecord> client;
  std::string decoy;
  int work = 0;
  {
    std::shared_lock lock(clients_mutex_);
    const auto it = clients_.find(client_id);
    if (it != clients_.end()) client = it->second;
    decoy = decoy_hash_;
    work = work_iterations_;
  }
  if (!client) {
    // The same work as for a known client, so timing does not tell which client ids exist.
    verify_secret(secret, decoy);
    return {false, work};
  }
  const std::string fingerprint = sha256_hex(client->secret_hash + "|" + std::string(secret));
  {
    // PBKDF2 is slow by design; a client asking again with the same secret skips it.
    std::lock_guard lock(verified_mutex_);
    const auto it = verified_.find(client_id);
    if (it != verified_.end() && it->second == fingerprint) return {true, 0};
  }
  const int own = secret_hash_iterations(client->secret_hash);
  const bool matched = verify_secret(secret, client->secret_hash);
  spend_secret_work(work - own);
  if (matched) {
    std::lock_guard lock(verified_mutex_);
    verified_[client_id] = fingerprint;
  }
  return {matched, work};
}

std::optional<std::string> TokenIssuer::revoked(const std::string& client_id,
                                                const std::string& secret_version) const {
  std::shared_lock lock(clients_mutex_);
  const auto it = clients_.find(client_id);
  if (it == clients_.end()) {
    return "token was revoked: client \"" + client_id + "\" no longer exists at this issuer";
  }
  if (it->second.secret_version != secret_version) {
    return "token was revoked: the secret of client \"" + client_id +
           "\" was rotated after the token was issued; get a new token";
  }
  return std::nullopt;
}

IssuerResponse TokenIssuer::token_request(std::string_view content_type, std::string_view body,
                                          std::optional<std::string_view> authorization,
                                          std::int64_t now) {
  auto step = read_request(content_type, body, authorization);
  if (auto* answer = std::get_if<IssuerResponse>(&step)) return std::move(*answer);
  return grant(std::get<TokenGrant>(step), now);
}

std::variant<IssuerResponse, TokenGrant> TokenIssuer::read_request(
    std::string_view content_type, std::string_view body,
    std::optional<std::string_view> authorization) const {
  if (!is_form(content_type)) {
    return oauth_error(400, "invalid_request",
                       "the token request must be application/x-www-form-urlencoded");
  }
  if (const auto repeated = repeated_parameter(body)) {
    return oauth_error(400, "invalid_request", "parameter " + *repeated + " is repeated");
  }
  const auto form = parse_form(body);
  const auto grant_type = form.find("grant_type");
  if (grant_type == form.end()) return oauth_error(400, "invalid_request", "grant_type is missing");
  if (grant_type->second != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type",
                       "only the client_credentials grant is supported");
  }
  const ClientAuth auth = client_auth(authorization, form);
  if (!auth.problem.empty()) return oauth_error(400, "invalid_request", auth.problem);
  if (!auth.credentials) return invalid_client(auth.via_basic);
  TokenGrant g{auth.credentials->client_id, auth.credentials->secret, std::nullopt, auth.via_basic};
  if (const auto asked = form.find("scope"); asked != form.end() && !asked->second.empty())
    g.scope = asked->second;
  return g;
}

IssuerResponse TokenIssuer::grant(const TokenGrant& g, std::int64_t now) {
  if (!check_secret(g.client_id, g.secret).matched) return invalid_client(g.via_basic);
  const auto found = find_client(g.client_id);
  if (!found) return invalid_client(g.via_basic);  // removed meanwhile
  const ClientRecord& client = *found;

  std::vector<std::string> scopes;
  if (g.scope) {
    scopes = split_scopes(*g.scope);
    for (const auto& s : scopes) {
      if (std::find(client.scopes.begin(), client.scopes.end(), s) == client.scopes.end()) {
        return oauth_error(400, "invalid_scope",
                           "scope " + s + " is not allowed for client " + client.client_id);
      }
    }
  } else {
    // Least privilege: a token made for an agent must not carry the admin API by default.
    for (const auto& s : client.scopes) {
      if (s != admin_scope_) scopes.push_back(s);
    }
    if (scopes.empty()) {
      return oauth_error(400, "invalid_scope",
                         "client " + client.client_id +
                             " has only the admin scope, which is granted only when "
                             "asked for: send scope=" +
                             admin_scope_);
    }
  }
  IssuerResponse r;
  r.body = json::serialize(json::object{{"access_token", issue(client, scopes, now)},
                                        {"expires_in", ttl_seconds_},
                                        {"token_type", "Bearer"}});
  r.headers = {{"Cache-Control", "no-store"}};
  return r;
}

std::vector<ClientRecord> TokenIssuer::clients() const {
  std::shared_lock lock(clients_mutex_);
  std::vector<ClientRecord> out;
  for (const auto& [_, c] : clients_) out.push_back(c);
  return out;
}

std::optional<ClientRecord> TokenIssuer::find_client(const std::string& client_id) const {
  std::shared_lock lock(clients_mutex_);
  const auto it = clients_.find(client_id);
  if (it == clients_.end()) return std::nullopt;
  return it->second;
}

void TokenIssuer::put_client(ClientRecord client) {
  std::unique_lock lock(clients_mutex_);
  raise_work_for(client.secret_hash);
  clients_[client.client_id] = std::move(client);
}

bool TokenIssuer::remove_client(const std::string& client_id) {
  std::unique_lock lock(clients_mutex_);
  return clients_.erase(client_id) > 0;
}

void TokenIssuer::replace_runtime_clients(std::vector<ClientRecord> clients) {
  std::unique_lock lock(clients_mutex_);
  std::erase_if(clients_, [](const auto& entry) { return !entry.second.from_config; });
  for (auto& c : clients) {
    if (clients_.count(c.client_id) != 0) continue;  // the config's client wins
    raise_work_for(c.secret_hash);
    clients_[c.client_id] = std::move(c);
  }
}

std::string TokenIssuer::issue(const ClientRecord& client, const std::vector<std::string>& scopes,
                               std::int64_t now) const {
  std::string scope;
  for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
  json::object claims{{"iss", issuer_},
                      {"sub", client.client_id},
                      {"client_id", client.client_id},
                      {"team", client.team},
                      {"scope", scope},
                      {"token_use", "access"},
                      {"iat", now},
                      {"exp", now + ttl_seconds_},
                      {"jti", random_token(16)}};
  if (!client.secret_version.empty()) claims["secret_version"] = client.secret_version;
  return keys_->current()->sign_jwt(claims);
}

std::string TokenIssuer::openid_configuration(std::string_view base_url) const {
  const std::string base(base_url);
  return json::serialize(json::object{
      {"issuer", issuer_},
      {"token_endpoint", base + "/oauth2/token"},
      {"jwks_uri", base + "/.well-known/jwks.json"},
      {"grant_types_supported", json::array{"client_credentials"}},
      {"token_endpoint_auth_methods_supported",
       json::array{"client_secret_basic", "client_secret_post"}},
      {"id_token_signing_alg_values_supported", json::array{keys_->current()->algorithm()}},
      {"response_types_supported", json::array{"token"}},
      {"subject_types_supported", json::array{"public"}}});
}

}  // namespace aigw::auth
