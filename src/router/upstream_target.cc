#include "router/upstream_target.h"

#include <algorithm>
#include <array>

#include "router/caller_values.h"
#include "router/dialect_plan.h"
#include "router/gateway_errors.h"

namespace aigw::router {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

Result<const config::ProviderConfig*> select_provider(const config::Config& config,
                                                      std::optional<std::string_view> header,
                                                      Endpoint endpoint, std::string_view path) {
  if (!header || header->empty()) return provider_not_set();
  if (auto bad = check_provider_name(*header)) return std::move(*bad);
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

Result<upstream::UpstreamTarget> build_upstream_target(
    const config::ProviderConfig& provider, std::string_view upstream_path, std::string_view query,
    std::optional<std::string_view> custom_host,
    const std::vector<config::AllowedHost>& allowed_custom_hosts) {
  std::optional<config::BaseUrl> custom;
  if (custom_host) {
    auto parsed = parse_custom_host(*custom_host);
    if (!parsed) return parsed.take_error();
    if (!custom_host_allowed(*parsed, provider.name, allowed_custom_hosts)) {
      return custom_host_refused(parsed->host_header, provider.name);
    }
    custom = std::move(*parsed);
  }
  if (auto bad = check_query(query)) return std::move(*bad);
  const config::BaseUrl& base = custom ? *custom : provider.base;
  if (base.host.empty()) return provider_unreachable(provider.name, "no base_url configured");
  upstream::UpstreamTarget t;
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
  // string_views: a comparison looks at the sizes first (no strlen of each name per field).
  static constexpr std::array<std::string_view, 22> kDropped = {"host",
                                                                "connection",
                                                                "keep-alive",
                                                                "proxy-connection",
                                                                "proxy-authorization",
                                                                "te",
                                                                "trailer",
                                                                "transfer-encoding",
                                                                "upgrade",
                                                                "content-length",
                                                                "authorization",
                                                                "x-api-key",
                                                                "api-key",
                                                                "x-goog-api-key",
                                                                "cookie",
                                                                "accept-encoding",
                                                                "expect",
                                                                "x-forwarded-for",
                                                                "x-forwarded-host",
                                                                "x-forwarded-proto",
                                                                "x-real-ip",
                                                                "forwarded"};
  if (starts_with(n, "x-portkey-") || starts_with(n, "x-aigw-")) return false;
  return std::none_of(kDropped.begin(), kDropped.end(), [&](std::string_view d) { return n == d; });
}

bool forward_response_header(std::string_view n) {
  // An allow-list: a provider's other headers name its organisation, project, internal
  // processing times and rate limits of the gateway's own account (openai-organization,
  // openai-project, anthropic-organization-id, x-ratelimit-*), none of which is the caller's.
  // What crosses is what clients act on: the body's type and when (or whether) to retry.
  static constexpr std::array<std::string_view, 4> kKept = {"content-type", "retry-after",
                                                            "retry-after-ms", "x-should-retry"};
  return std::any_of(kKept.begin(), kKept.end(), [&](std::string_view k) { return n == k; });
}

HeaderList provider_auth_headers(const config::ProviderConfig& p) {
  if (p.api_key.empty()) return {};
  switch (p.key_style) {
    case config::KeyStyle::kBearer:
      return {{"Authorization", "Bearer " + p.api_key}};
    case config::KeyStyle::kXApiKey:
      return {{"x-api-key", p.api_key}};
    case config::KeyStyle::kAzureApiKey:
      return {{"api-key", p.api_key}};
    case config::KeyStyle::kGoogApiKey:
      return {{"x-goog-api-key", p.api_key}};
    case config::KeyStyle::kNone:
      return {};
  }
  return {};
}

}  // namespace aigw::router
