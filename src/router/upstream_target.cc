#include "router/upstream_target.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>

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
  const ProviderApi needed = endpoint_api(endpoint);
  if (p.api != ProviderApi::kMock && p.api != needed) {
    return provider_api_mismatch(p.name, provider_api_name(p.api), path, provider_api_name(needed));
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
  const std::string_view base = custom_host ? *custom_host : std::string_view(provider.base_url);
  auto parsed = boost::urls::parse_absolute_uri(base);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    if (custom_host) return bad_request("x-portkey-custom-host must be an http(s) URL, got \"" + std::string(base) + "\"");
    return provider_unreachable(provider.name, "invalid base_url \"" + std::string(base) + "\"");
  }
  UpstreamTarget t;
  t.tls = parsed->scheme() == "https";
  t.host = parsed->host();
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = parsed->has_port() ? std::string(parsed->port().data(), parsed->port().size()) : (t.tls ? "443" : "80");
  if (custom_host && !custom_host_allowed(t.host, t.port, allowed_custom_hosts)) {
    return custom_host_refused(parsed->has_port() ? t.host + ":" + t.port : t.host);
  }
  const auto encoded_path = parsed->encoded_path();
  std::string path(encoded_path.data(), encoded_path.size());
  while (!path.empty() && path.back() == '/') path.pop_back();
  t.target = path + std::string(upstream_path);
  if (!query.empty()) t.target += "?" + std::string(query);
  const auto host_and_port = parsed->encoded_host_and_port();
  t.host_header.assign(host_and_port.data(), host_and_port.size());
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
