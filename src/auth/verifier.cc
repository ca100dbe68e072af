#include "auth/verifier.h"

#include <boost/json.hpp>

#include <algorithm>
#include <functional>

#include "auth/jwt_token.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

AuthFailure invalid_token(std::string message) { return {401, "invalid_token", std::move(message), false, {}}; }

std::string string_claim(const json::object& claims, std::string_view key) {
  const auto* v = claims.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::optional<std::int64_t> time_claim(const json::object& claims, std::string_view key) {
  const auto* v = claims.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  return std::nullopt;
}

std::vector<std::string> scopes_of(const json::object& claims) {
  std::vector<std::string> out;
  if (const auto* scp = claims.if_contains("scp"); scp && scp->is_array()) {
    for (const auto& s : scp->as_array()) {
      if (s.is_string()) out.emplace_back(s.as_string());
    }
  }
  const std::string scope = string_claim(claims, "scope");
  std::size_t start = 0;
  while (start < scope.size()) {
    const auto end = std::min(scope.find(' ', start), scope.size());
    if (end > start) out.push_back(scope.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool audience_matches(const json::object& claims, const std::string& audience) {
  const auto* aud = claims.if_contains("aud");
  if (aud && aud->is_string()) return aud->as_string() == audience;
  if (aud && aud->is_array()) {
    return std::any_of(aud->as_array().begin(), aud->as_array().end(),
                       [&](const json::value& v) { return v.is_string() && v.as_string() == audience; });
  }
  return string_claim(claims, "client_id") == audience;  // Cognito access tokens carry client_id, not aud
}

}  // namespace

bool Principal::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string AuthFailure::www_authenticate() const {
  std::string description = message;
  std::replace(description.begin(), description.end(), '"', '\'');
  return "Bearer realm=\"aigw\", error=\"" + error + "\", error_description=\"" + description + "\"";
}

std::string human_duration(std::int64_t s) {
  if (s < 0) s = -s;
  if (s < 120) return std::to_string(s) + (s == 1 ? " second" : " seconds");
  if (s < 2 * 3600) return std::to_string(s / 60) + " minutes";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " hours";
  return std::to_string(s / 86400) + " days";
}

std::variant<std::string_view, AuthFailure> extract_token(std::optional<std::string_view> authorization,
                                                          std::optional<std::string_view> x_api_key) {
  if (authorization && !authorization->empty()) {
    std::string_view v = *authorization;
    if (v.size() < 7 || !std::equal(v.begin(), v.begin() + 7, "bearer ", [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      return AuthFailure{401, "invalid_request", "Authorization header is not a Bearer token", false, {}};
    }
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (!v.empty()) return v;
  }
  if (x_api_key && !x_api_key->empty()) return *x_api_key;
  return AuthFailure{401, "invalid_request",
                     "missing bearer token: send Authorization: Bearer <token> (get one with scripts/get-gateway-token.sh)",
                     false, {}};
}

Verifier::Verifier(std::vector<TrustedIssuer> issuers, VerifierOptions options)
    : issuers_(std::move(issuers)), options_(std::move(options)) {}

const TrustedIssuer* Verifier::find_issuer(std::string_view iss) const {
  for (const auto& i : issuers_) {
    if (i.issuer == iss) return &i;
  }
  return nullptr;
}

VerifyResult Verifier::verify(std::string_view token, std::int64_t now) const {
  DecodedJwt jwt;
  if (auto malformed = decode_jwt(token, jwt)) return invalid_token("token is malformed: " + *malformed);
  if (jwt.alg != "RS256" && jwt.alg != "ES256") {
    return invalid_token("token algorithm \"" + jwt.alg + "\" is not accepted (RS256 or ES256 only)");
  }
  const std::string iss = string_claim(jwt.claims, "iss");
  const TrustedIssuer* issuer = find_issuer(iss);
  if (!issuer) return invalid_token("token issuer \"" + iss + "\" is not trusted by this gateway");
  const auto key = issuer->keys->find(jwt.kid);
  if (!key) {
    AuthFailure f = invalid_token("token signing key \"" + jwt.kid + "\" is unknown to issuer " + iss);
    f.unknown_kid = true;
    f.issuer = iss;
    return f;
  }
  if (!key->verify(jwt.alg, jwt.signing_input, jwt.signature)) return invalid_token("token signature is invalid");
  return check_claims(jwt, *issuer, now);
}

VerifyResult Verifier::check_claims(const DecodedJwt& jwt, const TrustedIssuer& issuer, std::int64_t now) const {
  const auto& c = jwt.claims;
  const auto exp = time_claim(c, "exp");
  if (!exp) return invalid_token("token has no exp claim");
  if (*exp + options_.leeway_seconds <= now) return invalid_token("token expired " + human_duration(now - *exp) + " ago");
  if (const auto nbf = time_claim(c, "nbf"); nbf && *nbf - options_.leeway_seconds > now) {
    return invalid_token("token is not valid yet (valid in " + human_duration(*nbf - now) + ")");
  }
  if (c.contains("token_use") && string_claim(c, "token_use") != "access") {
    return invalid_token("token_use \"" + string_claim(c, "token_use") + "\" is not accepted: use an access token");
  }
  if (!issuer.audience.empty() && !audience_matches(c, issuer.audience)) {
    return invalid_token("token audience does not include " + issuer.audience);
  }
  Principal p;
  p.client_id = string_claim(c, "client_id");
  if (p.client_id.empty()) p.client_id = string_claim(c, "sub");
  if (!issuer.client_ids.empty() &&
      std::find(issuer.client_ids.begin(), issuer.client_ids.end(), p.client_id) == issuer.client_ids.end()) {
    return invalid_token("client \"" + p.client_id + "\" is not allowed for issuer " + issuer.issuer);
  }
  p.team = string_claim(c, issuer.team_claim);
  if (p.team.empty()) {
    const auto it = options_.teams_by_client.find(p.client_id);
    if (it != options_.teams_by_client.end()) p.team = it->second;
  }
  p.issuer = issuer.issuer;
  p.scopes = scopes_of(c);
  p.expires_at = *exp;
  return p;
}

std::optional<AuthFailure> Verifier::require_scope(const Principal& p, std::string_view scope) const {
  if (scope.empty() || p.has_scope(scope)) return std::nullopt;
  std::string has;
  for (const auto& s : p.scopes) has += (has.empty() ? "" : " ") + s;
  return AuthFailure{403, "insufficient_scope",
                     "token lacks the required scope " + std::string(scope) + " (token scopes: " +
                         (has.empty() ? "none" : has) + "); ask the gateway admin to grant it to client " + p.client_id,
                     false, {}};
}

VerifyResult Verifier::verify_cached(std::string_view token, std::int64_t now) {
  Shard& shard = cache_[std::hash<std::string_view>{}(token) % kShards];
  {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(token);
    if (it != shard.entries.end()) {
      if (it->second.expires_at + options_.leeway_seconds > now) return it->second;
      shard.entries.erase(it);
    }
  }
  VerifyResult result = verify(token, now);
  if (const auto* p = std::get_if<Principal>(&result)) {
    std::lock_guard lock(shard.mutex);
    if (shard.entries.size() >= kMaxEntriesPerShard) {
      // Drop expired entries; if none, the cache is full of live tokens: start over.
      std::erase_if(shard.entries, [&](const auto& e) { return e.second.expires_at + options_.leeway_seconds <= now; });
      if (shard.entries.size() >= kMaxEntriesPerShard) shard.entries.clear();
    }
    shard.entries.emplace(std::string(token), *p);
  }
  return result;
}

}  // namespace aigw::auth
