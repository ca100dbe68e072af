// The gateway's own errors, with the exact strings users read on the troubleshooting page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/api_error.h"
#include "core/duration.h"

namespace aigw::router {

ApiError provider_not_set();
ApiError unknown_provider(std::string_view name, const std::vector<std::string>& known);
ApiError provider_api_mismatch(std::string_view provider, std::string_view provider_api,
                               std::string_view path, std::string_view needed_api);
ApiError custom_host_refused(std::string_view host, std::string_view provider);
ApiError invalid_json(std::string_view detail);
ApiError no_route(std::string_view method, std::string_view path);
ApiError method_not_allowed(std::string_view method, std::string_view path,
                            std::string_view allowed);
ApiError body_too_large(std::uint64_t limit);
ApiError headers_too_large(std::uint64_t limit);
// The server's framing refusals (server/request_framer.h) and slow clients.
ApiError malformed_request(std::string_view detail);
ApiError unsupported_transfer_coding();
ApiError request_timeout(Millis limit);
ApiError overloaded(long retry_after_seconds);
ApiError ip_rate_limited(std::string_view ip, std::int64_t limit, Millis window,
                         std::int64_t retry_after);
// 503 state_unavailable: the IP window is shared, its counts are stale and limits fail closed.
ApiError ip_window_unavailable(std::string_view ip);
ApiError provider_unreachable(std::string_view provider, std::string_view cause);
ApiError provider_key_rejected(std::string_view provider, int upstream_status);
ApiError provider_closed(std::string_view provider, std::string_view detail);
ApiError provider_timeout(std::string_view provider, Millis after);
ApiError provider_stream_broken(std::string_view provider, std::string_view detail);
// Routing (docs/routing.md): the config's request_timeout passed (408, as Portkey answers);
// conditions that matched nothing; no target serving the endpoint; every breaker open (503).
ApiError routing_timeout(std::string_view provider, Millis limit);
ApiError routing_no_condition_matched();
ApiError routing_no_target_serves(std::string_view path);
ApiError routing_all_targets_open(std::optional<Millis> retry_in);
ApiError provider_missing_key(std::string_view provider, std::string_view key_source);

}  // namespace aigw::router
