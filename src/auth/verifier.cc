#include "auth/verifier.h"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <limits>

#include "auth/jwt_token.h"
#include "core/text.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;

AuthFailure invalid_token(std::string message) {
  return {401, "invalid_token", std::move(message), false, {}};
}

// A value from the token, quoted for a message: the token is the caller's, so what it says
// is cut short and stripped of control characters before it reaches a header or a log.
std::string quoted(std::string_view value) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (const char c : value.substr(0, kMaxShown)) {
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '?' : c;
  }
  return out + (value.size() > kMaxShown ? "...\"" : "\"");
}

std::string string_claim(const json::object& claims, std::string_view key) {
  const auto* v = claims.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// NumericDate claims (RFC 7519 §2), clamped to ±10^12 s (tens of thousands of years) so the
// arithmetic on them cannot overflow whatever a signed token carries.
constexpr std::int64_t kMaxTime = 1'000'000'000'000;

struct TimeClaim {
  bool present = false;
  bool numeric = false;
  std::int64_t value = 0;
};

TimeClaim time_claim(const json::object& claims, std::string_view key) {
  const auto* v = claims.if_contains(key);
  if (!v) return {};
  double d = 0;
  if (v->is_int64())
    d = static_cast<double>(v->as_int64());
  else if (v->is_uint64())
    d = static_cast<double>(v->as_uint64());
  else if (v->is_double())
    d = v->as_double();
  else
    return {true, false, 0};
  if (!(d > -kMaxTime)) d = -kMaxTime;  // also catches NaN
  if (d > kMaxTime) d = kMaxTime;
  return {true, true, static_cast<std::int64_t>(d)};
}

void split_scopes(const std::string& text, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find(' ', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string> scopes_of(const json::object& claims) {
  // `scope` is space-separated (RFC 9068 §2.2.3); Okta sends a `scp` array and Entra ID
  // a space-separated `scp` string.
  std::vector<std::string> out;
  if (const auto* scp = claims.if_contains("scp"); scp && scp->is_array()) {
    for (const auto& s : scp->as_array()) {
      if (s.is_string()) out.emplace_back(s.as_string());
    }
  }
  split_scopes(string_claim(claims, "scp"), out);
  split_scopes(string_claim(claims, "scope"), out);
  return out;
}

bool audience_matches(const json::object& claims, const std::string& audience) {
  const auto* aud = claims.if_contains("aud");
  if (aud && aud->is_string()) return aud->as_string() == audience;
  if (aud && aud->is_array()) {
    return std::any_of(aud->as_array().begin(), aud->as_array().end(), [&](const json::value& v) {
      return v.is_string() && v.as_string() == audience;
    });
  }
  return string_claim(claims, "client_id") ==
         audience;  // Cognito access tokens carry client_id, not aud
}

}  // namespace

bool Principal::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string AuthFailure::www_authenticate() const {
  // A quoted-string (RFC 9110 §5.6.4) that cannot break out of the header.
  std::string description = message;
  for (char& c : description) {
    if (c == '"' || c == '\\')
      c = '\'';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  }
  return "Bearer realm=\"aigw\", error=\"" + error + "\", error_description=\"" + description +
         "\"";
}

std::string human_duration(std::int64_t s) {
  if (s == std::numeric_limits<std::int64_t>::min()) s = std::numeric_limits<std::int64_t>::max();
  if (s < 0) s = -s;
  if (s < 120) return std::to_string(s) + (s == 1 ? " second" : " seconds");
  if (s < 2 * 3600) return std::to_string(s / 60) + " minutes";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " hours";
  return std::to_string(s / 86400) + " days";
}

std::variant<std::string_view, AuthFailure> extract_token(
    std::optional<std::string_view> authorization, std::optional<std::string_view> x_api_key) {
  if (authorization && !authorization->empty()) {
    std::string_view v = *authorization;
    if (v.size() < 7 || !std::equal(v.begin(), v.begin() + 7, "bearer ",
                                    [](char a, char b) { return ascii_lower(a) == b; })) {
      return AuthFailure{
          401, "invalid_request", "Authorization header is not a Bearer token", false, {}};
    }
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (!v.empty()) return v;
  }
  if (x_api_key && !x_api_key->empty()) return *x_api_key;
  return AuthFailure{401,
                     "invalid_request",
                     "missing bearer token: send Authorization: Bearer <token> (get one with "
                     "scripts/get-gateway-token.sh)",
                     false,
                     {}};
}

Verifier::Verifier(std::vector<TrustedIssuer> issuers, VerifierOptions options,
                   std::size_t cache_capacity)
    : issuers_(std::move(issuers)),
      options_(std::move(options)),
      max_entries_per_shard_(std::max<std::size_t>(1, cache_capacity / kShards)) {}

const TrustedIssuer* Verifier::find_issuer(std::string_view iss) const {
  for (const auto& i : issuers_) {
    if (i.issuer == iss) return &i;
  }
  return nullptr;
}

VerifyResult Verifier::verify(std::string_view token, std::int64_t now) const {
  return verify_full(token, now, nullptr);
}

VerifyResult Verifier::verify_full(std::string_view token, std::int64_t now, Verified* out) const {
  DecodedJwt jwt;
  if (auto malformed = decode_jwt(token, jwt))
    return invalid_token("token is malformed: " + *malformed);
  // Only public-key algorithms: `none` is unsigned, and HS* would have us use a public key
  // (known to anyone) as the HMAC secret.
  if (jwt.alg != "RS256" && jwt.alg != "ES256") {
    return invalid_token("token algorithm " + quoted(jwt.alg) +
                         " is not accepted (RS256 or ES256 only)");
  }
  const auto* iss_value = jwt.claims.if_contains("iss");
  if (!iss_value || !iss_value->is_string()) return invalid_token("token has no iss claim");
  const std::string iss(iss_value->as_string());
  const TrustedIssuer* issuer = find_issuer(iss);
  if (!issuer)
    return invalid_token("token issuer " + quoted(iss) + " is not trusted by this gateway");
  const auto key = issuer->keys->find(jwt.kid);
  if (!key) {
    AuthFailure f =
        invalid_token("token signing key " + quoted(jwt.kid) + " is unknown to issuer " + iss);
    f.unknown_kid = true;
    f.issuer = iss;
    return f;
  }
  if (auto bad = check_signature(jwt, *key)) return *bad;
  VerifyResult result = check_claims(jwt, *issuer, now);
  const auto* p = std::get_if<Principal>(&result);
  if (!p) return result;
  if (issuer->revoked) {
    if (auto why = issuer->revoked(*p)) return invalid_token(std::move(*why));
  }
  if (out) *out = Verified{*p, issuer, jwt.kid, key};
  return result;
}

std::optional<AuthFailure> Verifier::check_signature(const DecodedJwt& jwt, const PublicKey& key) {
  // The key decides the algorithm: a token cannot pick a weaker or different check.
  if (jwt.alg != key.algorithm()) {
    return invalid_token("token algorithm " + quoted(jwt.alg) +
                         " does not match its signing key (" + key.algorithm() + ")");
  }
  if (jwt.signature.size() != key.signature_size()) {
    return invalid_token("token is malformed: " + jwt.alg + " signature must be " +
                         std::to_string(key.signature_size()) + " bytes, got " +
                         std::to_string(jwt.signature.size()));
  }
  if (!key.verify(jwt.alg, jwt.signing_input, jwt.signature)) {
    return invalid_token("token signature is invalid");
  }
  return std::nullopt;
}

std::optional<AuthFailure> Verifier::check_time(const json::object& c, std::int64_t now) const {
  const auto exp = time_claim(c, "exp");
  if (!exp.present) return invalid_token("token has no exp claim");
  if (!exp.numeric) return invalid_token("token exp claim is not a number");
  if (exp.value + options_.leeway_seconds <= now) {
    return invalid_token("token expired " + human_duration(now - exp.value) + " ago");
  }
  const auto nbf = time_claim(c, "nbf");
  if (nbf.present && !nbf.numeric) return invalid_token("token nbf claim is not a number");
  if (nbf.numeric && nbf.value - options_.leeway_seconds > now) {
    return invalid_token("token is not valid yet (valid in " + human_duration(nbf.value - now) +
                         ")");
  }
  return std::nullopt;
}

VerifyResult Verifier::check_claims(const DecodedJwt& jwt, const TrustedIssuer& issuer,
                                    std::int64_t now) const {
  const auto& c = jwt.claims;
  if (auto bad = check_time(c, now)) return *bad;
  // Cognito marks its tokens; an ID token must not be usable as an access token.
  if (c.contains("token_use") && string_claim(c, "token_use") != "access") {
    return invalid_token("token_use " + quoted(string_claim(c, "token_use")) +
                         " is not accepted: use an access token");
  }
  if (!issuer.audience.empty() && !audience_matches(c, issuer.audience)) {
    return invalid_token("token audience does not include " + issuer.audience);
  }
  Principal p;
  p.client_id = string_claim(c, "client_id");
  if (p.client_id.empty()) p.client_id = string_claim(c, "sub");
  if (p.client_id.empty())
    return invalid_token("token names no client (no client_id or sub claim)");
  if (!issuer.client_ids.empty() && std::find(issuer.client_ids.begin(), issuer.client_ids.end(),
                                              p.client_id) == issuer.client_ids.end()) {
    return invalid_token("client " + quoted(p.client_id) + " is not allowed for issuer " +
                         issuer.issuer);
  }
  p.team = string_claim(c, issuer.team_claim);
  if (p.team.empty()) {
    const auto it = options_.teams_by_client.find(p.client_id);
    if (it != options_.teams_by_client.end()) p.team = it->second;
  }
  p.issuer = issuer.issuer;
  p.scopes = scopes_of(c);
  p.expires_at = time_claim(c, "exp").value;
  p.secret_version = string_claim(c, "secret_version");
  return p;
}

std::optional<AuthFailure> Verifier::require_scope(const Principal& p,
                                                   std::string_view scope) const {
  if (scope.empty() || p.has_scope(scope)) return std::nullopt;
  std::string has;
  for (const auto& s : p.scopes) has += (has.empty() ? "" : " ") + s;
  return AuthFailure{403,
                     "insufficient_scope",
                     "token lacks the required scope " + std::string(scope) +
                         " (token scopes: " + (has.empty() ? "none" : has) +
                         "); ask the gateway admin to grant it to client " + p.client_id,
                     false,
                     {}};
}

VerifyResult Verifier::verify_cached(std::string_view token, std::int64_t now) {
  Shard& shard = cache_[TokenHash{}(token) % kShards];
  {
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(token);
    if (it != shard.entries.end()) {
      const Verified& v = it->second;
      // Still good: not expired, its key still published (the same key object: a JWKS
      // refresh keeps unchanged keys), and not revoked by its issuer.
      if (v.principal.expires_at + options_.leeway_seconds > now &&
          v.issuer->keys->find(v.kid) == v.key) {
        if (!v.issuer->revoked) return v.principal;
        if (auto why = v.issuer->revoked(v.principal); !why)
          return v.principal;
        else {
          shard.entries.erase(it);
          return invalid_token(std::move(*why));
        }
      }
      shard.entries.erase(it);
    }
  }
  Verified v;
  VerifyResult result = verify_full(token, now, &v);
  if (std::holds_alternative<Principal>(result)) remember(shard, token, std::move(v), now);
  return result;
}

void Verifier::remember(Shard& shard, std::string_view token, Verified v, std::int64_t now) {
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= max_entries_per_shard_) {
    std::erase_if(shard.entries, [&](const auto& e) {
      return e.second.principal.expires_at + options_.leeway_seconds <= now;
    });
  }
  if (shard.entries.size() >= max_entries_per_shard_) {
    // Full of live tokens: drop the one that would leave soonest anyway. A linear scan, paid
    // only by a new token, which has just cost a signature check that is slower still.
    const auto soonest = std::min_element(
        shard.entries.begin(), shard.entries.end(), [](const auto& a, const auto& b) {
          return a.second.principal.expires_at < b.second.principal.expires_at;
        });
    shard.entries.erase(soonest);
  }
  shard.entries.insert_or_assign(std::string(token), std::move(v));
}

std::size_t Verifier::cached_tokens() {
  std::size_t n = 0;
  for (auto& shard : cache_) {
    std::lock_guard lock(shard.mutex);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace aigw::auth
