#include "router/upstream_target.h"

#include <algorithm>
#include <array>

#include "router/dialect_plan.h"
#include "router/gateway_errors.h"

namespace aigw::router {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<const config::ProviderConfig*> select_provider(const config::Config& config,
                                                      std::optional<std::string_view> header,
                                                      Endpoint endpoint, std::string_view path) {
  if (!header || header->empty()) return provider_not_set();
  const auto it = config.providers.find(std::string(*header));
  if (it == config.providers.end()) {
    std::vector<std::string> known;
    for (const auto& [name, _] : config.providers) known.push_back(name);
    return unknown_provider(*header, known);
  }
  const config::ProviderConfig& p = it->second;
  if (!plan_dialects(endpoint, p)) {
    return provider_api_mismatch(p.name, provider_api_name(p.api), path,
                                 provider_api_name(endpoint_api(endpoint)));
  }
  return &p;
}

bool custom_host_allowed(std::string_view host, std::string_view port,
                         const std::vector<std::string>& allowed) {
  const std::string host_port = std::string(host) + ":" + std::string(port);
  for (const auto& entry : allowed) {
    if (iequals(entry, host) || iequals(entry, host_port)) return true;
    if (starts_with(entry, "*.")) {
      const std::string_view suffix = std::string_view(entry).substr(1);  // ".domain"
      if (host.size() > suffix.size() && iequals(host.substr(host.size() - suffix.size()), suffix)) {
        return true;
      }
    }
  }
  return false;
}

Result<UpstreamTarget> build_upstream_target(const config::ProviderConfig& provider,
                                             std::string_view upstream_path, std::string_view query,
                                             std::optional<std::string_view> custom_host,
                                             const std::vector<std::string>& allowed_custom_hosts) {
  std::optional<config::BaseUrl> custom;
  if (custom_host) {
    custom = config::split_base_url(*custom_host);
    if (!custom) return bad_request("x-portkey-custom-host must be an http(s) URL, got \"" + std::string(*custom_host) + "\"");
    if (!custom_host_allowed(custom->host, custom->port, allowed_custom_hosts)) {
      return custom_host_refused(custom->host_header);
    }
  }
  const config::BaseUrl& base = custom ? *custom : provider.base;
  if (base.host.empty()) return provider_unreachable(provider.name, "no base_url configured");
  UpstreamTarget t;
  t.tls = base.tls;
  t.host = base.host;
  t.port = base.port;
  t.host_header = base.host_header;
  t.target.reserve(base.path.size() + upstream_path.size() + query.size() + 1);
  t.target = base.path;
  t.target += upstream_path;
  if (!query.empty()) {
    t.target += '?';
    t.target += query;
  }
  return t;
}

bool forward_request_header(std::string_view n) {
  static constexpr std::array kDropped = {
      "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
      "trailer", "transfer-encoding", "upgrade", "content-length", "authorization", "x-api-key",
      "api-key", "x-goog-api-key", "cookie", "accept-encoding", "expect", "x-forwarded-for",
      "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded"};
  if (starts_with(n, "x-portkey-") || starts_with(n, "x-aigw-")) return false;
  return std::none_of(kDropped.begin(), kDropped.end(), [&](const char* d) { return n == d; });
}

bool forward_response_header(std::string_view n) {
  static constexpr std::array kDropped = {"connection", "keep-alive", "transfer-encoding",
                                          "content-length", "upgrade", "trailer", "set-cookie",
                                          "alt-svc", "server", "date", "content-encoding"};
  return std::none_of(kDropped.begin(), kDropped.end(), [&](const char* d) { return n == d; });
}

HeaderList provider_auth_headers(const config::ProviderConfig& p) {
  if (p.api_key.empty()) return {};
  switch (p.key_style) {
    case config::KeyStyle::kBearer: return {{"Authorization", "Bearer " + p.api_key}};
    case config::KeyStyle::kXApiKey: return {{"x-api-key", p.api_key}};
    case config::KeyStyle::kAzureApiKey: return {{"api-key", p.api_key}};
    case config::KeyStyle::kGoogApiKey: return {{"x-goog-api-key", p.api_key}};
    case config::KeyStyle::kNone: return {};
  }
  return {};
}

}  // namespace aigw::router
