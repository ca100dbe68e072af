#include "router/gateway_errors.h"

namespace aigw::router {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string seconds_text(Millis d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

ApiError provider_not_set() {
  ApiError e{400, "invalid_request_error", "provider is not set", {}, {}, {}};
  e.literal_body = R"({"error": "provider is not set"})";
  return e;
}

ApiError unknown_provider(std::string_view name, const std::vector<std::string>& known) {
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return bad_request("unknown provider " + quoted(name) + "; known providers: " + list);
}

ApiError provider_api_mismatch(std::string_view provider, std::string_view provider_api,
                               std::string_view path, std::string_view needed_api) {
  return bad_request("provider " + quoted(provider) + " speaks the " + std::string(provider_api) +
                     " API; " + std::string(path) + " needs a provider that speaks the " +
                     std::string(needed_api) + " API");
}

ApiError custom_host_refused(std::string_view host, std::string_view provider) {
  return bad_request("custom host " + quoted(host) +
                     " is not in upstream.allowed_custom_hosts for provider " + quoted(provider));
}

ApiError invalid_json(std::string_view detail) {
  return bad_request("request body is not valid JSON: " + std::string(detail));
}

ApiError no_route(std::string_view method, std::string_view path) {
  return {404,
          "not_found_error",
          "no route for " + std::string(method) + " " + std::string(path),
          {},
          {},
          {}};
}

ApiError method_not_allowed(std::string_view method, std::string_view path,
                            std::string_view allowed) {
  ApiError e{405,
             "invalid_request_error",
             "no route for " + std::string(method) + " " + std::string(path) +
                 " (allowed: " + std::string(allowed) + ")",
             {},
             {},
             {}};
  e.headers.emplace_back("Allow", std::string(allowed));
  return e;
}

ApiError body_too_large(std::uint64_t limit) {
  return {413,
          "request_too_large",
          "request body exceeds the " + std::to_string(limit) + "-byte limit",
          {},
          {},
          {}};
}

ApiError headers_too_large(std::uint64_t limit) {
  return {431,
          "invalid_request_error",
          "request headers exceed the " + std::to_string(limit) + "-byte limit",
          {},
          {},
          {}};
}

ApiError malformed_request(std::string_view detail) {
  std::string message = "malformed HTTP request";
  if (!detail.empty()) message += ": " + std::string(detail);
  return {400, "invalid_request_error", std::move(message), {}, {}, {}};
}

ApiError unsupported_transfer_coding() {
  return {501,
          "invalid_request_error",
          "unsupported Transfer-Encoding: only chunked is accepted",
          {},
          {},
          {}};
}

ApiError request_timeout(Millis limit) {
  return {408,
          "invalid_request_error",
          "request not received within " + seconds_text(limit) + " (server.request_timeout)",
          {},
          {},
          {}};
}

ApiError overloaded(long retry_after_seconds) {
  return {503,
          "overloaded_error",
          "gateway overloaded: too many concurrent requests on this instance; retry after " +
              std::to_string(retry_after_seconds) + "s",
          retry_after_seconds,
          {},
          {}};
}

ApiError ip_rate_limited(std::string_view ip, std::int64_t limit, Millis window,
                         std::int64_t retry_after) {
  return {429,
          "rate_limit_error",
          "IP rate limit exceeded for " + std::string(ip) + ": at most " + std::to_string(limit) +
              " requests per " + seconds_text(window) + "; retry in " +
              std::to_string(retry_after) + "s, or ask the gateway admin for a higher threshold",
          retry_after,
          {},
          {}};
}

ApiError ip_window_unavailable(std::string_view ip) {
  return {503,
          "state_unavailable",
          "the IP rate limit for " + std::string(ip) +
              " cannot be checked: the other replicas' counts cannot be read; limits fail "
              "closed until they can (state.on_failure.limits)",
          1,
          {},
          {}};
}

ApiError provider_unreachable(std::string_view provider, std::string_view cause) {
  return {502,
          "provider_unreachable",
          "provider " + quoted(provider) + " is unreachable: " + std::string(cause),
          {},
          {},
          {}};
}

ApiError provider_key_rejected(std::string_view provider, int upstream_status) {
  return {502,
          "provider_auth_error",
          "provider " + quoted(provider) + " rejected the gateway's credentials (HTTP " +
              std::to_string(upstream_status) +
              "): the provider API key is invalid or revoked; contact the gateway admin",
          {},
          {},
          {}};
}

ApiError provider_closed(std::string_view provider, std::string_view detail) {
  return {502,
          "provider_error",
          "provider " + quoted(provider) +
              " closed the connection before answering: " + std::string(detail),
          {},
          {},
          {}};
}

ApiError provider_timeout(std::string_view provider, Millis after) {
  return {504,
          "provider_timeout",
          "provider " + quoted(provider) + " timed out: no answer within " + seconds_text(after),
          {},
          {},
          {}};
}

ApiError routing_timeout(std::string_view provider, Millis limit) {
  std::string message = "the routing config's request_timeout (" + seconds_text(limit) + ") passed";
  if (!provider.empty()) message += " while provider " + quoted(provider) + " had not answered";
  return {408, "timeout_error", std::move(message), {}, {}, {}};
}

ApiError routing_no_condition_matched() {
  return bad_request(
      "no condition of the routing config matched this request and it has no default target");
}

ApiError routing_no_target_serves(std::string_view path) {
  return bad_request("no target of the routing config serves " + std::string(path));
}

ApiError routing_all_targets_open(std::optional<Millis> retry_in) {
  ApiError e{503,
             "service_unavailable",
             "all targets of the routing config are unavailable (circuit open)",
             {},
             {},
             {}};
  if (retry_in)
    e.retry_after = std::max<long>(1, static_cast<long>((retry_in->count() + 999) / 1000));
  return e;
}

ApiError provider_stream_broken(std::string_view provider, std::string_view detail) {
  return {502,
          "provider_error",
          "provider " + quoted(provider) + " stream broke: " + std::string(detail),
          {},
          {},
          {}};
}

ApiError provider_missing_key(std::string_view provider, std::string_view key_source) {
  return {502,
          "provider_auth_error",
          "provider " + quoted(provider) + " has no API key configured (" +
              std::string(key_source) + " is empty); contact the gateway admin",
          {},
          {},
          {}};
}

}  // namespace aigw::router
