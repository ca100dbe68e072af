// The client-side subcommands: `aigw token`, `aigw health`, `aigw admin …`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aigw::cli {

struct TokenOptions {
  bool no_cache = false;
  std::vector<std::string> command;  // run it with OPENAI_API_KEY/ANTHROPIC_AUTH_TOKEN set
};
int run_token(const TokenOptions& options);

struct HealthOptions {
  std::string url;
  std::string token;
  bool providers = false;
};
int run_health(const HealthOptions& options);

struct AdminOptions {
  std::string url;
  std::string token;
  std::string action;  // clients-list, clients-add, clients-remove, clients-rotate-secret,
                       // keys-rotate, hash-secret
  std::string client_id;
  std::string team;
  std::vector<std::string> scopes;
  std::string secret;  // for hash-secret
  // teams-*, budgets-set, limits-set, usage
  std::optional<std::int64_t> tokens;
  std::optional<double> usd;
  std::string period;
  std::string timezone;
  std::optional<std::int64_t> requests_per_minute;
  std::optional<std::int64_t> tokens_per_minute;
  std::string group_by;
  std::string from;
  std::string to;
  std::string client;
  bool csv = false;
};
int run_admin(const AdminOptions& options);

struct SetupOptions {
  std::string agent;
  std::string url;
  std::string provider;
  std::string model;
  std::string home;  // default: $HOME
  bool print = false;
};
// `aigw setup AGENT`: writes (merging, with a backup of what was there) or prints the agent's
// configuration for this gateway (cli/agent_setup.h).
int run_setup(const SetupOptions& options);

struct DoctorOptions {
  std::string url;   // default: $GATEWAY_URL, else ANTHROPIC_BASE_URL
  std::string home;  // default: $HOME
};
// `aigw doctor`: this machine's agent settings and the gateway checked against the
// troubleshooting page's pitfalls (setup/doctor.h); exit 1 when something needs fixing.
int run_doctor(const DoctorOptions& options);

}  // namespace aigw::cli
