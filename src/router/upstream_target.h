// Where a request goes: the provider chosen by x-portkey-provider, the URL built from its
// base_url (or an allowed x-portkey-custom-host), and the headers that may cross. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "upstream/upstream_target.h"

namespace aigw::router {

// The provider named by the x-portkey-provider header, checked against the endpoint's API.
Result<const config::ProviderConfig*> select_provider(const config::Config& config,
                                                      std::optional<std::string_view> header,
                                                      Endpoint endpoint, std::string_view path);

// Builds the URL: base_url (or the custom host) + the endpoint's path + the caller's query. The
// custom host and the query are checked by router/caller_values.h; a custom host must be
// allowed for this provider's key.
Result<upstream::UpstreamTarget> build_upstream_target(
    const config::ProviderConfig& provider, std::string_view upstream_path, std::string_view query,
    std::optional<std::string_view> custom_host,
    const std::vector<config::AllowedHost>& allowed_custom_hosts);

// Request headers that must not reach a provider (lower-case names): hop-by-hop, the client's
// credentials, gateway control headers.
bool forward_request_header(std::string_view lower_name);
// Response headers from a provider that are passed back to the caller (an allow-list).
bool forward_response_header(std::string_view lower_name);

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// The gateway's stored key in the provider's own form.
HeaderList provider_auth_headers(const config::ProviderConfig& provider);

}  // namespace aigw::router
