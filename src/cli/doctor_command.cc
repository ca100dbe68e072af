// `aigw doctor [--url URL] [--home DIR]`: gathers this machine's agent settings and the
// gateway's answers, and prints setup/doctor.h's findings, one line each ("ok" or "FIX").
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>

#include "auth/private_file.h"
#include "cli/commands.h"
#include "cli/gateway_client.h"
#include "setup/doctor.h"

namespace aigw::cli {
namespace {

namespace json = boost::json;

std::optional<std::string> env_var(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

setup::GatewayView ask_gateway(const std::string& url) {
  setup::GatewayView g;
  g.url = url;
  const auto root = call(url + "/", "GET", "");
  g.root_status = root.failure ? 0 : root.status;
  g.root_body = root.body;
  if (g.root_status != 200) return g;
  TokenSource source = TokenSource::from_env();
  if (source.endpoint.empty()) return g;  // nothing to try a token with
  g.token_tried = true;
  const auto got = get_token(source);
  if (got.token.empty()) {
    g.token_error = got.error;
    return g;
  }
  if (const auto claims = token_claims(got.token)) {
    if (const auto* exp = claims->if_contains("exp"); exp && exp->is_number())
      g.token_seconds_left = exp->to_number<std::int64_t>() - unix_now();
    if (const auto* scope = claims->if_contains("scope"); scope && scope->is_string())
      g.token_scopes = std::string(scope->as_string());
  }
  const auto list = call(url + "/v1/providers", "GET", got.token);
  boost::system::error_code ec;
  const auto v = json::parse(list.body, ec);
  if (list.status != 200 || ec || !v.is_object() || !v.as_object().contains("data")) {
    g.providers_error = "cannot list the gateway's providers (" + std::to_string(list.status) +
                        "): " + error_message(list.body);
    return g;
  }
  g.served.emplace();
  for (const auto& p : v.at("data").as_array()) {
    if (p.is_object() && p.as_object().contains("name"))
      g.served->push_back(std::string(p.at("name").as_string()));
  }
  return g;
}

}  // namespace

int run_doctor(const DoctorOptions& options) {
  setup::MachineView machine;
  machine.home = options.home.empty() ? env_var("HOME").value_or("") : options.home;
  machine.env = env_var;
  machine.file = auth::read_text_file;
  machine.executable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
  auto findings = setup::check_agents(machine);
  std::string url = options.url;
  if (url.empty()) url = env_var("ANTHROPIC_BASE_URL").value_or("");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty()) {
    findings.push_back({false, "gateway: no URL to check (pass --url or set GATEWAY_URL)"});
  } else {
    for (auto& f : setup::check_gateway(ask_gateway(url), setup::providers_sent(machine)))
      findings.push_back(std::move(f));
  }
  int problems = 0;
  for (const auto& f : findings) {
    std::cout << (f.ok ? "ok   " : "FIX  ") << f.line << "\n";
    problems += f.ok ? 0 : 1;
  }
  if (problems > 0) std::cout << problems << " thing(s) to fix\n";
  return problems > 0 ? 1 : 0;
}

}  // namespace aigw::cli
