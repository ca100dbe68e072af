#include "config/config.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "providers/builtin.h"

namespace aigw::config {
namespace {

void parse_listen(const std::string& text, const ConfigNode& where, ServerConfig& out) {
  const HostPort listen = parse_host_port(text, where, out.host);
  out.host = listen.host;
  out.port = listen.port;
}

void parse_server(const ConfigNode& node, ServerConfig& s) {
  node.allow_keys({"threads", "max_header_bytes", "max_body_bytes", "idle_timeout",
                   "request_timeout", "drain_timeout", "max_in_flight", "overload_retry_after",
                   "max_connections"});
  s.threads = static_cast<int>(node.integer("threads", s.threads));
  if (s.threads < 0 || s.threads > 256) node.child("threads").fail("must be between 0 and 256");
  s.max_header_bytes = node.size("max_header_bytes", s.max_header_bytes);
  if (s.max_header_bytes < 1024) node.child("max_header_bytes").fail("must be at least 1KiB");
  s.max_body_bytes = node.size("max_body_bytes", s.max_body_bytes);
  s.idle_timeout = node.duration("idle_timeout", s.idle_timeout);
  s.request_timeout = node.duration("request_timeout", s.request_timeout);
  s.drain_timeout = node.duration("drain_timeout", s.drain_timeout);
  const auto in_flight = node.integer("max_in_flight", static_cast<std::int64_t>(s.max_in_flight));
  if (in_flight < 1) node.child("max_in_flight").fail("must be at least 1");
  s.max_in_flight = static_cast<std::uint64_t>(in_flight);
  s.overload_retry_after = node.integer("overload_retry_after", s.overload_retry_after);
  const auto connections =
      node.integer("max_connections", static_cast<std::int64_t>(s.max_connections));
  if (connections < 1) node.child("max_connections").fail("must be at least 1");
  s.max_connections = static_cast<std::uint64_t>(connections);
}

// "https://llm.internal:8443", "http://*.corp.example", or { url: …, providers: [ … ] }.
AllowedHost parse_allowed_host(const ConfigNode& item) {
  AllowedHost entry;
  std::string url;
  if (item.is_map()) {
    item.allow_keys({"url", "providers"});
    url = item.required_str("url");
    entry.providers = item.str_list("providers");
  } else {
    url = item.scalar();
  }
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    entry.tls = false;
    rest.remove_prefix(7);
  } else {
    item.fail("\"" + url +
              "\" must be scheme://host[:port], e.g. https://llm.internal:8443 or "
              "https://*.corp.example");
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) item.fail("\"" + url + "\" has an unclosed IPv6 literal");
    host = rest.substr(1, close - 1);
    if (rest.size() > close + 1 && rest[close + 1] == ':')
      port = rest.substr(close + 2);
    else if (rest.size() > close + 1)
      item.fail("\"" + url + "\" has text after its host");
  } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  const std::string_view bare = host.starts_with("*.") ? host.substr(2) : host;
  const bool host_ok = !bare.empty() && std::all_of(bare.begin(), bare.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == ':';
  });
  if (!host_ok)
    item.fail("\"" + url + "\" must name a host (letters, digits, '-', '.'), with no path");
  const bool port_ok =
      port.empty() || (port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char ch) {
                         return ch >= '0' && ch <= '9';
                       }));
  if (!port_ok) item.fail("\"" + url + "\" has an invalid port");
  entry.host = lower_copy(host);
  entry.port = !port.empty() ? std::string(port) : entry.tls ? "443" : "80";
  return entry;
}

void parse_upstream(const ConfigNode& node, UpstreamConfig& u) {
  node.allow_keys({"connect_timeout", "read_timeout", "ca_file", "allowed_custom_hosts",
                   "max_idle_per_host", "max_response_bytes", "max_stream_bytes",
                   "max_stream_duration"});
  u.connect_timeout = node.duration("connect_timeout", u.connect_timeout);
  u.read_timeout = node.duration("read_timeout", u.read_timeout);
  u.ca_file = node.str("ca_file", u.ca_file);
  if (!u.ca_file.empty() && !std::ifstream(u.ca_file)) {
    node.child("ca_file").fail("cannot read " + u.ca_file);
  }
  node.child("allowed_custom_hosts").for_each_item([&](const ConfigNode& item) {
    u.allowed_custom_hosts.push_back(parse_allowed_host(item));
  });
  u.max_idle_per_host = node.size("max_idle_per_host", u.max_idle_per_host);
  u.max_response_bytes = node.size("max_response_bytes", u.max_response_bytes);
  u.max_stream_bytes = node.size("max_stream_bytes", u.max_stream_bytes);
  u.max_stream_duration = node.duration("max_stream_duration", u.max_stream_duration);
  if (u.max_stream_duration.count() <= 0)
    node.child("max_stream_duration").fail("must be positive");
}

KeyStyle parse_key_style(const ConfigNode& node, KeyStyle fallback) {
  if (!node.defined()) return fallback;
  const std::string v = node.scalar();
  if (v == "bearer") return KeyStyle::kBearer;
  if (v == "x-api-key") return KeyStyle::kXApiKey;
  if (v == "api-key") return KeyStyle::kAzureApiKey;
  if (v == "x-goog-api-key") return KeyStyle::kGoogApiKey;
  if (v == "none") return KeyStyle::kNone;
  node.fail("expected one of bearer, x-api-key, api-key, x-goog-api-key, none; got \"" + v + "\"");
}

KeyStyle default_key_style(ProviderApi api) {
  switch (api) {
    case ProviderApi::kAnthropic:
      return KeyStyle::kXApiKey;
    case ProviderApi::kGoogle:
      return KeyStyle::kGoogApiKey;
    case ProviderApi::kMock:
      return KeyStyle::kNone;
    case ProviderApi::kOpenAi:
      return KeyStyle::kBearer;
  }
  return KeyStyle::kBearer;
}

std::string strip_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

ProviderConfig parse_provider(const std::string& name, const ConfigNode& node, const EnvLookup& env,
                              std::vector<std::string>& warnings) {
  node.allow_keys({"dialect", "base_url", "api_key", "key_style", "models", "probe_model",
                   "connect_timeout", "read_timeout", "responses_api"});
  const auto builtin = providers::find_builtin(name);
  ProviderConfig p;
  p.name = name;
  if (node.has("dialect")) {
    const auto api = parse_provider_api(node.str("dialect"));
    if (!api) node.child("dialect").fail("expected openai, anthropic, google or mock");
    p.api = *api;
  } else if (builtin) {
    p.api = builtin->api;
  } else {
    node.fail(
        "missing required key 'dialect' (openai, anthropic, google or mock) for a provider "
        "that is not built in");
  }
  p.base_url =
      strip_trailing_slash(node.str("base_url", builtin ? std::string(builtin->base_url) : ""));
  if (p.api != ProviderApi::kMock) {
    if (p.base_url.empty()) node.fail("missing required key 'base_url'");
    auto base = split_base_url(p.base_url);
    if (!base) node.child("base_url").fail("must be an http:// or https:// URL with a host");
    p.base = std::move(*base);
  }
  if (node.has("api_key")) {
    p.api_key = node.str("api_key");
    p.api_key_source = "providers." + name + ".api_key";
    if (p.api_key.empty()) {
      warnings.push_back("providers." + name +
                         ".api_key is empty (is its environment variable set?)");
    }
  } else if (builtin && !builtin->key_env.empty()) {
    p.api_key = env(builtin->key_env).value_or("");
    p.api_key_source = std::string(builtin->key_env);
  }
  // The key goes into a header on every request: a stray newline (an env file with CRLF line
  // ends) would split that header, so it stops start-up instead.
  if (std::any_of(p.api_key.begin(), p.api_key.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7f;
      })) {
    node.child("api_key").fail("contains a control character (CR, LF, NUL…): check " +
                               p.api_key_source);
  }
  p.key_style = parse_key_style(node.child("key_style"), builtin && !node.has("dialect")
                                                             ? builtin->key_style
                                                             : default_key_style(p.api));
  if (node.child("models").is_map()) {
    node.child("models").for_each_entry([&](const std::string& alias, const ConfigNode& id) {
      const std::string own = id.scalar();
      if (alias.empty() || own.empty()) id.fail("expected PUBLIC-NAME: PROVIDER-MODEL-ID");
      p.models.push_back(alias);
      p.model_ids.emplace(alias, own);
    });
  } else {
    p.models = node.str_list("models");
  }
  if (p.api == ProviderApi::kMock && p.models.empty()) p.models = {"mock-gpt", "mock-claude"};
  p.probe_model = node.str("probe_model", !p.models.empty() ? p.models.front()
                                          : builtin         ? std::string(builtin->probe_model)
                                                            : "");
  p.connect_timeout = node.duration("connect_timeout", Millis(0));
  p.read_timeout = node.duration("read_timeout", Millis(0));
  // Of the built-in OpenAI-dialect providers only OpenAI and Azure serve the Responses API.
  const bool native_responses = !builtin || name == "openai" || name == "azure-openai";
  p.responses_api =
      p.api == ProviderApi::kOpenAi && node.boolean("responses_api", native_responses);
  return p;
}

Config parse_root(const YAML::Node& root, const std::string& source, const EnvLookup& env) {
  Config config;
  config.source = source;
  const ConfigNode top(root, "", &env);
  if (!top.defined()) return config;
  // Every section a part reads; each part validates its own. A key not listed (a typo, or a
  // section of a later version such as `routing` or `metrics`) stops start-up.
  top.allow_keys({"listen", "server", "upstream", "providers", "log", "auth", "teams", "limits",
                  "state", "prices", "budget", "routing", "metrics"});
  if (top.has("listen")) parse_listen(top.str("listen"), top.child("listen"), config.server);
  parse_server(top.child("server"), config.server);
  parse_upstream(top.child("upstream"), config.upstream);
  config.auth = auth::parse_auth_settings(top.child("auth"));
  config.warnings.insert(config.warnings.end(), config.auth.warnings.begin(),
                         config.auth.warnings.end());
  config.limits = limits::parse_limits_settings(top.child("limits"));
  config.metrics = metrics::parse_metrics_settings(top.child("metrics"));
  config.budget = budget::parse_budget_settings(top);
  const ConfigNode log = top.child("log");
  log.allow_keys({"access_log"});
  config.log.access_log = log.boolean("access_log", true);
  top.child("providers").for_each_entry([&](const std::string& name, const ConfigNode& node) {
    config.providers[name] = parse_provider(name, node, env, config.warnings);
  });
  config.routing = routing::parse_routing_settings(
      top.child("routing"),
      [&](std::string_view name) { return config.providers.contains(std::string(name)); });
  for (const auto& [name, team] : config.budget.teams) {
    if (!team.config.empty() && !config.routing.configs.contains(team.config)) {
      top.child("teams").child(name).child("config").fail("no config named " + team.config +
                                                          " under routing.configs");
    }
  }
  // The mock provider is served only where the config names it (`providers: { mock: {} }`; the
  // embedded default does): it answers anything for free, so it must not be reachable on a
  // production gateway that never asked for it.
  if (config.providers.empty()) {
    config.warnings.push_back(
        "no providers configured: every API request will be refused (name one under "
        "providers:, e.g. `mock: {}` for the built-in mock)");
  }
  return config;
}

}  // namespace

std::optional<BaseUrl> split_base_url(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty())
    return std::nullopt;
  BaseUrl b;
  b.tls = url->scheme() == "https";
  b.host = url->host();
  if (b.host.size() > 2 && b.host.front() == '[') b.host = b.host.substr(1, b.host.size() - 2);
  b.port = url->has_port() ? std::string(url->port().data(), url->port().size())
                           : (b.tls ? "443" : "80");
  const auto path = url->encoded_path();
  b.path.assign(path.data(), path.size());
  while (!b.path.empty() && b.path.back() == '/') b.path.pop_back();
  const auto host_and_port = url->encoded_host_and_port();
  b.host_header.assign(host_and_port.data(), host_and_port.size());
  return b;
}

Config load_config_text(const std::string& yaml, const std::string& source_name,
                        const EnvLookup& env) {
  return parse_root(parse_yaml(yaml, source_name), source_name, env);
}

Config load_config_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the config file");
  std::stringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, env);
}

Config embedded_default_config(const EnvLookup& env) {
  Config config;
  config.auth.demo_client = true;
  std::vector<std::string> unused;
  const YAML::Node empty;
  for (const auto& builtin : providers::builtin_providers()) {
    const bool has_key = !builtin.key_env.empty() && env(builtin.key_env).value_or("") != "";
    if (builtin.api != ProviderApi::kMock && (!has_key || builtin.base_url.empty())) continue;
    config.providers[std::string(builtin.name)] = parse_provider(
        std::string(builtin.name),
        ConfigNode(empty, "providers." + std::string(builtin.name), &env), env, unused);
  }
  return config;
}

}  // namespace aigw::config
