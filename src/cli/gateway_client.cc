#include "cli/gateway_client.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/base64url.h"
#include "auth/private_file.h"

namespace aigw::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string env(const char* name, std::string fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string sha256_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += {kHex[out[i] >> 4], kHex[out[i] & 15]};
  return hex;
}

// The same file scripts/with-gateway-token.sh uses, so both share one cached token.
fs::path cache_file(const TokenSource& s) {
  const std::string dir =
      env("GATEWAY_TOKEN_CACHE", env("XDG_CACHE_HOME", env("HOME", "/tmp") + "/.cache") + "/aigw");
  return fs::path(dir) /
         ("token-" + sha256_hex(s.endpoint + "|" + s.client_id + "|" + s.scope).substr(0, 16));
}

std::string form_escape(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

std::string base64(const std::string& s) {
  std::string b = auth::base64url_encode(s);
  for (auto& c : b) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b.size() % 4) b += '=';
  return b;
}

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TokenSource TokenSource::from_env() {
  TokenSource s{env("GATEWAY_TOKEN_ENDPOINT"), env("GATEWAY_CLIENT_ID"),
                env("GATEWAY_CLIENT_SECRET"), env("GATEWAY_SCOPE")};
  s.margin_seconds = std::atoll(env("GATEWAY_TOKEN_MARGIN", "300").c_str());
  return s;
}

std::optional<json::object> token_claims(const std::string& token) {
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos) return std::nullopt;
  const auto payload =
      auth::base64url_decode(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

TokenOutcome get_token(const TokenSource& s) {
  if (s.endpoint.empty())
    return {"", "GATEWAY_TOKEN_ENDPOINT is not set (the full token URL, ending in /oauth2/token)"};
  if (s.client_id.empty() || s.client_secret.empty())
    return {"", "GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET must be set"};
  const fs::path cached = cache_file(s);
  if (s.use_cache) {
    std::ifstream in(cached);
    std::string token;
    std::getline(in, token);
    const auto claims = token_claims(token);
    if (claims && claims->contains("exp") &&
        claims->at("exp").to_number<std::int64_t>() - unix_now() > s.margin_seconds) {
      return {token, ""};
    }
  }
  upstream::FetchRequest req;
  req.method = boost::beast::http::verb::post;
  req.url = s.endpoint;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Authorization", "Basic " + base64(form_escape(s.client_id) + ":" +
                                                     form_escape(s.client_secret))}};
  req.body =
      "grant_type=client_credentials" + (s.scope.empty() ? "" : "&scope=" + form_escape(s.scope));
  const auto r = upstream::fetch_blocking({}, req);
  if (r.failure) return {"", "cannot reach " + s.endpoint + ": " + r.failure->detail};
  boost::system::error_code ec;
  const auto v = json::parse(r.body, ec);
  if (r.status != 200 || ec || !v.is_object() || !v.as_object().contains("access_token")) {
    const std::string code = !ec && v.is_object() && v.as_object().contains("error")
                                 ? json::serialize(v.at("error"))
                                 : "\"?\"";
    return {"", "token request failed (HTTP " + std::to_string(r.status) +
                    "): {\"error\": " + code +
                    "}; check GATEWAY_TOKEN_ENDPOINT, GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET"};
  }
  const std::string token(v.at("access_token").as_string());
  if (s.use_cache) {
    std::error_code fs_ec;
    // A directory made here is the user's only; one that exists is left as it is.
    if (fs::create_directories(cached.parent_path(), fs_ec))
      chmod(cached.parent_path().c_str(), 0700);
    try {
      // Created 0600 by open() itself, whatever the umask: a token is a credential.
      auth::write_private_file(cached.string(), token);
    } catch (const std::exception&) {
      // No cache then; the token itself is fine.
    }
  }
  return {token, ""};
}

upstream::FetchResult call(const std::string& url, const std::string& method,
                           const std::string& token, const std::string& body,
                           std::vector<std::pair<std::string, std::string>> headers) {
  upstream::FetchRequest req;
  req.method = boost::beast::http::string_to_verb(method);
  req.url = url;
  req.body = body;
  req.timeout = std::chrono::seconds(60);
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  req.headers = std::move(headers);
  return upstream::fetch_blocking({}, req);
}

std::string error_message(const std::string& body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error")) {
      if (e->is_string()) return std::string(e->as_string());
      if (e->is_object() && e->as_object().contains("message"))
        return std::string(e->at("message").as_string());
    }
  }
  return body.substr(0, 300);
}

}  // namespace aigw::cli
