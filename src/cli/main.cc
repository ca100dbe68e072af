// aigw's command line: `serve` runs the gateway; `token`, `health` and `admin` talk to one;
// `setup` configures a coding agent for one.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/serve.h"

int main(int argc, char** argv) {
  CLI::App app{"aigw: a self-hosted AI gateway for coding agents"};
  app.require_subcommand(1);

  aigw::cli::ServeOptions serve;
  auto* serve_cmd =
      app.add_subcommand("serve", "Run the gateway (embedded default without --config)");
  serve_cmd->add_option("-c,--config", serve.config_path, "YAML config file")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("-p,--port", serve.port, "Listen on this port (0: any free port)");
  serve_cmd->add_option("--threads", serve.threads, "Worker threads (default: one per core)");

  aigw::cli::TokenOptions token;
  auto* token_cmd = app.add_subcommand("token",
                                       "Print a gateway token (GATEWAY_TOKEN_ENDPOINT, "
                                       "GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET), cached "
                                       "until GATEWAY_TOKEN_MARGIN seconds before expiry; with a "
                                       "command, run it with OPENAI_API_KEY and "
                                       "ANTHROPIC_AUTH_TOKEN set");
  token_cmd->add_flag("--no-cache", token.no_cache, "Always ask the issuer");
  // Everything after the flags is the command to run (its own flags included).
  token_cmd->prefix_command();

  aigw::cli::HealthOptions health;
  auto* health_cmd = app.add_subcommand("health", "Check a gateway, a token and each provider");
  health_cmd->add_option("--url", health.url, "Gateway URL")->envname("GATEWAY_URL");
  health_cmd->add_option("--token", health.token, "Token to decode and use (or TOKEN)");
  health_cmd->add_flag("--providers", health.providers, "Send max_tokens=1 through each provider");

  aigw::cli::AdminOptions admin;
  auto* admin_cmd = app.add_subcommand("admin", "Manage a running gateway (admin scope token)");
  admin_cmd->require_subcommand(1);
  admin_cmd->add_option("--url", admin.url, "Gateway URL")->envname("GATEWAY_URL");
  admin_cmd->add_option("--token", admin.token,
                        "Admin token (or GATEWAY_TOKEN, or from GATEWAY_* credentials)");
  auto* clients = admin_cmd->add_subcommand("clients", "The built-in issuer's clients");
  clients->require_subcommand(1);
  clients->add_subcommand("list", "List clients")->callback([&] { admin.action = "clients-list"; });
  auto* add = clients->add_subcommand("add", "Add a client; prints its secret once");
  add->add_option("client_id", admin.client_id)->required();
  add->add_option("--team", admin.team, "Team the client's usage counts against");
  add->add_option("--scope", admin.scopes,
                  "Scope it may ask for (repeatable; default: the invoke scope)");
  add->callback([&] { admin.action = "clients-add"; });
  auto* remove = clients->add_subcommand("remove", "Remove a client");
  remove->add_option("client_id", admin.client_id)->required();
  remove->callback([&] { admin.action = "clients-remove"; });
  auto* rotate =
      clients->add_subcommand("rotate-secret", "Give a client a new secret; prints it once");
  rotate->add_option("client_id", admin.client_id)->required();
  rotate->callback([&] { admin.action = "clients-rotate-secret"; });
  auto* keys = admin_cmd->add_subcommand("keys", "The built-in issuer's signing keys");
  keys->require_subcommand(1);
  keys->add_subcommand("rotate", "New signing key; the previous one stays trusted")->callback([&] {
    admin.action = "keys-rotate";
  });
  auto* teams = admin_cmd->add_subcommand("teams", "Teams: budgets, limits and current usage");
  teams->require_subcommand(1);
  teams->add_subcommand("list", "Every team with its budget, limits and usage this period")
      ->callback([&] { admin.action = "teams-list"; });
  auto* show = teams->add_subcommand("show", "One team");
  show->add_option("team", admin.team)->required();
  show->callback([&] { admin.action = "teams-show"; });
  auto* budgets =
      admin_cmd->add_subcommand("budgets", "Set or raise a team's budget (kept across restarts)");
  auto* budget_set = budgets->add_subcommand("set", "Set a team's budget; its limits stay");
  budgets->require_subcommand(1);
  budget_set->add_option("team", admin.team)->required();
  budget_set->add_option("--tokens", admin.tokens, "Tokens per period (input + output)");
  budget_set->add_option("--usd", admin.usd, "US dollars per period");
  budget_set->add_option("--period", admin.period, "daily, weekly or monthly (default monthly)");
  budget_set->add_option("--timezone", admin.timezone,
                         "UTC offset the period follows, e.g. +02:00");
  budget_set->callback([&] { admin.action = "budgets-set"; });
  auto* limits = admin_cmd->add_subcommand("limits", "Set a team's rate limits");
  limits->require_subcommand(1);
  auto* limits_set = limits->add_subcommand("set", "Set a team's requests and tokens per minute");
  limits_set->add_option("team", admin.team)->required();
  limits_set->add_option("--rpm", admin.requests_per_minute, "Requests per minute (0 = off)");
  limits_set->add_option("--tpm", admin.tokens_per_minute, "Tokens per minute (0 = off)");
  limits_set->callback([&] { admin.action = "limits-set"; });
  auto* usage = admin_cmd->add_subcommand("usage", "Usage report from the ledger");
  usage->add_option("--group-by", admin.group_by, "team,client,provider,model,day (default team)");
  usage->add_option("--from", admin.from, "First day, YYYY-MM-DD (UTC)");
  usage->add_option("--to", admin.to, "Last day, YYYY-MM-DD (UTC)");
  usage->add_option("--team", admin.team, "Only this team");
  usage->add_option("--client", admin.client, "Only this client");
  usage->add_flag("--csv", admin.csv, "CSV instead of JSON");
  usage->callback([&] { admin.action = "usage"; });
  auto* hash = admin_cmd->add_subcommand(
      "hash-secret", "Print the hash of a secret (from stdin) for client_secret_hash");
  hash->callback([&] { admin.action = "hash-secret"; });

  aigw::cli::SetupOptions setup;
  auto* setup_cmd = app.add_subcommand(
      "setup",
      "Configure a coding agent for this gateway: claude-code, codex, opencode, goose, continue "
      "or langchain (merges into its config, keeping a .aigw-backup; --print only shows it)");
  setup_cmd->add_option("agent", setup.agent, "The agent")->required();
  setup_cmd->add_option("--url", setup.url, "Gateway URL")->envname("GATEWAY_URL")->required();
  setup_cmd->add_option("--provider", setup.provider, "The x-portkey-provider to send")->required();
  setup_cmd->add_option("--model", setup.model, "Model the agent asks for");
  setup_cmd->add_option("--home", setup.home, "Home directory to configure (default: $HOME)");
  setup_cmd->add_flag("--print", setup.print, "Print the configuration; write nothing");

  aigw::cli::DoctorOptions doctor;
  auto* doctor_cmd = app.add_subcommand(
      "doctor",
      "Check this machine's agent settings and the gateway against known pitfalls; one line "
      "each, exit 1 when something needs fixing");
  doctor_cmd->add_option("--url", doctor.url, "Gateway URL")->envname("GATEWAY_URL");
  doctor_cmd->add_option("--home", doctor.home, "Home directory to check (default: $HOME)");

  CLI11_PARSE(app, argc, argv);
  if (serve_cmd->parsed()) return aigw::cli::run_serve(serve);
  if (token_cmd->parsed()) {
    token.command = token_cmd->remaining();
    return aigw::cli::run_token(token);
  }
  if (health_cmd->parsed()) return aigw::cli::run_health(health);
  if (admin_cmd->parsed()) return aigw::cli::run_admin(admin);
  if (setup_cmd->parsed()) return aigw::cli::run_setup(setup);
  if (doctor_cmd->parsed()) return aigw::cli::run_doctor(doctor);
  return 0;
}
