// The admin API (admin scope required): the built-in issuer's run-time clients and its
// signing key. Rare, small operations; they write clients.json on the worker thread.
// With auth off there is no scope to check: the admin API is refused (auth.admin_without_auth).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "gateway/handlers.h"
#include "router/gateway_errors.h"
#include "translate/error_body.h"

namespace aigw::gateway {
namespace {

namespace json = boost::json;

struct AdminReply {
  int status = 200;
  std::string body;
};

AdminReply reply_error(int status, const std::string& message) {
  return {status, json::serialize(translate::openai_error_body(message, "invalid_request_error"))};
}

json::object client_json(const auth::ClientRecord& c) {
  json::array scopes;
  for (const auto& s : c.scopes) scopes.emplace_back(s);
  return {{"client_id", c.client_id},
          {"team", c.team},
          {"scopes", std::move(scopes)},
          {"source", c.from_config ? "config" : "admin"}};
}

AdminReply secret_reply(int status, const std::string& id,
                        const std::variant<std::string, std::string>& r) {
  if (r.index() == 1) return reply_error(status == 201 ? 409 : 404, std::get<1>(r));
  return {status, json::serialize(json::object{
                      {"client_id", id},
                      {"client_secret", std::get<0>(r)},
                      {"note", "the secret is shown once; the gateway keeps only its hash"}})};
}

AdminReply add_client(auth::AuthService& auth, std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("client_id")) {
    return reply_error(400, "expected {\"client_id\": ..., \"team\": ..., \"scopes\": [...]}");
  }
  const auto& o = v.as_object();
  std::vector<std::string> scopes;
  if (const auto* s = o.if_contains("scopes"); s && s->is_array()) {
    for (const auto& x : s->as_array()) scopes.emplace_back(x.as_string());
  }
  const std::string id(o.at("client_id").as_string());
  const std::string team = o.contains("team") ? std::string(o.at("team").as_string()) : "";
  return secret_reply(201, id, auth.add_client(id, team, std::move(scopes)));
}

// Routes /admin/... to the operation; pure apart from what AuthService persists.
AdminReply admin(auth::AuthService& auth, std::string_view method, std::string_view path,
                 std::string_view body) {
  if (!auth.issuer())
    return reply_error(404, "the built-in issuer is off: clients live in the external IdP");
  const std::string_view clients = "/admin/clients";
  if (path == clients && method == "GET") {
    json::array list;
    for (const auto& c : auth.issuer()->clients()) list.push_back(client_json(c));
    return {200, json::serialize(json::object{{"data", std::move(list)}})};
  }
  if (path == clients && method == "POST") return add_client(auth, body);
  if (path.rfind("/admin/clients/", 0) == 0) {
    std::string id(path.substr(clients.size() + 1));
    if (method == "POST" && id.size() > 14 && id.substr(id.size() - 14) == "/rotate-secret") {
      id.resize(id.size() - 14);
      return secret_reply(200, id, auth.rotate_client_secret(id));
    }
    if (method == "DELETE") {
      const auto error = auth.remove_client(id);
      return error ? reply_error(404, *error)
                   : AdminReply{200, json::serialize(json::object{{"removed", id}})};
    }
  }
  if (path == "/admin/keys/rotate" && method == "POST") {
    auth.rotate_signing_key();
    return {200, json::serialize(json::object{{"kid", auth.issuer()->keys().current()->kid()}})};
  }
  return reply_error(404, "no admin route for " + std::string(method) + " " + std::string(path));
}

}  // namespace

net::awaitable<void> AdminHandler::serve(RequestContext& ctx) {
  const std::string_view path = ctx.record.path;
  if (path == "/admin/usage" || path == "/admin/teams" || path.starts_with("/admin/teams/")) {
    co_return co_await serve_usage(ctx);
  }
  if (path == "/admin/requests" || path == "/admin/providers")
    co_return co_await serve_activity(ctx);
  if (!parts_.shared->auth)
    co_return co_await send_error(ctx, router::no_route(ctx.record.method, ctx.record.path));
  const AdminReply r = admin(*parts_.shared->auth, ctx.record.method, ctx.record.path, ctx.in.body);
  co_await send_body(ctx, r.status, r.body);
}

}  // namespace aigw::gateway
