#include "cli/commands.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "auth/auth_settings.h"
#include "auth/client_secret.h"
#include "cli/gateway_client.h"

namespace aigw::cli {
namespace {

namespace json = boost::json;

std::string claim(const json::object& c, const char* key) {
  const auto* v = c.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// The token to call the admin API with: --token, else $GATEWAY_TOKEN, else from the issuer,
// asking for the admin scope ($GATEWAY_ADMIN_SCOPE, default https://gateway.internal/admin):
// issuers grant it only when it is asked for.
std::string resolve_admin_token(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* t = std::getenv("GATEWAY_TOKEN"); t && *t) return t;
  TokenSource source = TokenSource::from_env();
  const char* admin_scope = std::getenv("GATEWAY_ADMIN_SCOPE");
  source.scope = admin_scope && *admin_scope ? admin_scope : auth::kDefaultAdminScope;
  const auto got = get_token(source);
  if (got.token.empty()) std::fprintf(stderr, "aigw: no token: %s\n", got.error.c_str());
  return got.token;
}

int print_result(const upstream::FetchResult& r) {
  if (r.failure) {
    std::fprintf(stderr, "aigw: cannot reach the gateway: %s\n", r.failure->detail.c_str());
    return 1;
  }
  std::cout << r.body << "\n";
  return r.status >= 200 && r.status < 300 ? 0 : 1;
}

struct HealthCheck {
  int failures = 0;
  void ok(const std::string& s) { std::cout << "ok    " << s << "\n"; }
  void bad(const std::string& s) {
    std::cout << "FAIL  " << s << "\n";
    ++failures;
  }
};

void check_token(HealthCheck& h, const std::string& url, const std::string& token) {
  const auto c = token_claims(token);
  if (!c) {
    h.bad("token    is not a well-formed JWT (three base64url parts)");
    return;
  }
  const std::int64_t left =
      c->contains("exp") ? c->at("exp").to_number<std::int64_t>() - unix_now() : 0;
  const std::string who =
      "client=" + (claim(*c, "client_id").empty() ? claim(*c, "sub") : claim(*c, "client_id")) +
      " team=" + claim(*c, "team") + " scopes=\"" + claim(*c, "scope") + "\"";
  if (left > 0)
    h.ok("token    " + who + " expires in " + std::to_string(left / 60) + " minutes");
  else
    h.bad("token    " + who + " expired " + std::to_string(-left / 60) + " minutes ago");
  const auto r = call(url + "/v1/providers", "GET", token);
  if (r.status == 200)
    h.ok("auth     the gateway accepted the token");
  else
    h.bad("auth     " + std::to_string(r.status) + ": " + error_message(r.body));
}

void check_providers(HealthCheck& h, const std::string& url, const std::string& token) {
  const auto list = call(url + "/v1/providers", "GET", token);
  boost::system::error_code ec;
  const auto v = json::parse(list.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("data")) {
    h.bad("providers cannot list providers: " + error_message(list.body));
    return;
  }
  for (const auto& p : v.at("data").as_array()) {
    const std::string name(p.at("name").as_string());
    const std::string model(p.at("probe_model").as_string());
    const bool anthropic = p.at("dialect") == "anthropic";
    const std::string body = json::serialize(
        json::object{{"model", model},
                     {"max_tokens", 1},
                     {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}});
    const auto r = call(url + (anthropic ? "/v1/messages" : "/v1/chat/completions"), "POST", token,
                        body, {{"x-portkey-provider", name}});
    const std::string line = "provider " + name + "  " + std::to_string(r.status) + "  " +
                             std::to_string(r.elapsed.count()) + "ms";
    if (r.status == 200)
      h.ok(line + "  model=" + model);
    else
      h.bad(line + "  " + (r.failure ? r.failure->detail : error_message(r.body)));
  }
}

}  // namespace

int run_token(const TokenOptions& options) {
  TokenSource source = TokenSource::from_env();
  source.use_cache = !options.no_cache;
  const auto got = get_token(source);
  if (got.token.empty()) {
    std::fprintf(stderr, "aigw token: %s\n", got.error.c_str());
    return 1;
  }
  if (options.command.empty()) {
    std::cout << got.token << "\n";
    return 0;
  }
  setenv("OPENAI_API_KEY", got.token.c_str(), 1);
  setenv("ANTHROPIC_AUTH_TOKEN", got.token.c_str(), 1);
  setenv("GATEWAY_TOKEN", got.token.c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : options.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::perror(("aigw token: cannot run " + options.command[0]).c_str());
  return 127;
}

int run_health(const HealthOptions& options) {
  HealthCheck h;
  const std::string url = options.url.empty() ? "http://localhost:8787" : options.url;
  const auto root = call(url + "/", "GET", "");
  if (root.status == 200)
    h.ok("gateway  " + url + "/ answered 200 in " + std::to_string(root.elapsed.count()) + "ms");
  else if (root.failure)
    h.bad("gateway  no answer from " + url +
          "/: the URL is wrong, the gateway is down, or a VPN is required");
  else
    h.bad("gateway  " + url + "/ answered " + std::to_string(root.status) + " (expected 200)");
  std::string token = options.token;
  if (token.empty()) {
    if (const char* t = std::getenv("TOKEN"); t && *t) token = t;
  }
  if (!token.empty()) check_token(h, url, token);
  if (options.providers) check_providers(h, url, token);
  return h.failures > 0 ? 1 : 0;
}

// {"tokens":…, "usd":…, "period":…, "timezone":…} with only the options given.
std::string budget_body(const AdminOptions& o) {
  json::object b;
  if (o.tokens) b["tokens"] = *o.tokens;
  if (o.usd) b["usd"] = *o.usd;
  if (!o.period.empty()) b["period"] = o.period;
  if (!o.timezone.empty()) b["timezone"] = o.timezone;
  return json::serialize(b);
}

std::string limits_body(const AdminOptions& o) {
  json::object l;
  if (o.requests_per_minute) l["requests_per_minute"] = *o.requests_per_minute;
  if (o.tokens_per_minute) l["tokens_per_minute"] = *o.tokens_per_minute;
  return json::serialize(l);
}

std::string usage_query(const AdminOptions& o) {
  std::string q = "?group_by=" + (o.group_by.empty() ? std::string("team") : o.group_by);
  const std::pair<const char*, const std::string*> params[] = {
      {"from", &o.from}, {"to", &o.to}, {"team", &o.team}, {"client", &o.client}};
  for (const auto& [key, value] : params) {
    if (!value->empty()) q += std::string("&") + key + "=" + *value;
  }
  if (o.csv) q += "&format=csv";
  return q;
}

int run_admin(const AdminOptions& o) {
  if (o.action == "hash-secret") {
    std::string secret = o.secret;
    if (secret.empty()) std::getline(std::cin, secret);
    std::cout << auth::hash_secret(secret) << "\n";
    return 0;
  }
  const std::string url = (o.url.empty() ? "http://localhost:8787" : o.url) + "/admin";
  const std::string token = resolve_admin_token(o.token);
  if (token.empty()) return 1;
  if (o.action == "clients-list") return print_result(call(url + "/clients", "GET", token));
  if (o.action == "clients-remove")
    return print_result(call(url + "/clients/" + o.client_id, "DELETE", token));
  if (o.action == "clients-rotate-secret")
    return print_result(call(url + "/clients/" + o.client_id + "/rotate-secret", "POST", token));
  if (o.action == "keys-rotate") return print_result(call(url + "/keys/rotate", "POST", token));
  if (o.action == "teams-list") return print_result(call(url + "/teams", "GET", token));
  if (o.action == "teams-show") return print_result(call(url + "/teams/" + o.team, "GET", token));
  if (o.action == "budgets-set")
    return print_result(call(url + "/teams/" + o.team + "/budget", "POST", token, budget_body(o)));
  if (o.action == "limits-set")
    return print_result(call(url + "/teams/" + o.team + "/limits", "POST", token, limits_body(o)));
  if (o.action == "usage") return print_result(call(url + "/usage" + usage_query(o), "GET", token));
  json::array scopes;
  for (const auto& s : o.scopes) scopes.emplace_back(s);
  const json::object body{
      {"client_id", o.client_id}, {"team", o.team}, {"scopes", std::move(scopes)}};
  return print_result(call(url + "/clients", "POST", token, json::serialize(body)));
}

}  // namespace aigw::cli
