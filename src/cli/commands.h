// The client-side subcommands: `aigw token`, `aigw health`, `aigw admin …`.
#pragma once

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
  std::string action;     // clients-list, clients-add, clients-remove, clients-rotate-secret, keys-rotate, hash-secret
  std::string client_id;
  std::string team;
  std::vector<std::string> scopes;
  std::string secret;     // for hash-secret
};
int run_admin(const AdminOptions& options);

}  // namespace aigw::cli
