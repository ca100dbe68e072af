// The one place where values a caller sends are checked before they reach an upstream request
// line, host or header, a log line or a ledger row (docs/security.md). Each check answers 400
// naming the field; nothing here decodes, trims or "repairs" a value: what was checked is what
// is used.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/api_error.h"
#include "core/result.h"

namespace aigw::router {

// Longest model id kept: real ids are far shorter (Bedrock's
// `anthropic.claude-sonnet-4-5-20250929-v1:0` is 42), and the id lands in every ledger row.
inline constexpr std::size_t kMaxModelIdLength = 256;
// Longest provider name in x-portkey-provider (names come from the config).
inline constexpr std::size_t kMaxProviderNameLength = 64;
// Longest caller header value forwarded to a provider.
inline constexpr std::size_t kMaxForwardedHeaderValue = 8 * 1024;
// Longest query string forwarded to a provider.
inline constexpr std::size_t kMaxForwardedQuery = 2 * 1024;

// A model id: 1..256 characters of A-Z a-z 0-9 and . _ - : / @ + (OpenAI fine-tunes
// `ft:gpt-4o:org::id`, Bedrock `…-v1:0`, Hugging Face `org/name`, Ollama `llama3:8b`), with no
// empty, `.` or `..` path segment. `field` names it in the error (e.g. "model").
std::optional<ApiError> check_model_id(std::string_view model, std::string_view field = "model");

// The body's `model` when present: a string that passes check_model_id; absent is fine.
// Returns the error, or nullopt.
std::optional<ApiError> check_body_model(const boost::json::object& body);

// x-portkey-provider: 1..64 characters of A-Z a-z 0-9 . _ -.
std::optional<ApiError> check_provider_name(std::string_view name);

// A header value that will be sent upstream: no CR, LF, NUL or other control character but
// HTAB, at most kMaxForwardedHeaderValue bytes.
std::optional<ApiError> check_header_value(std::string_view name, std::string_view value);

// A query string (without '?') forwarded upstream: RFC 3986 query characters, `%` only as
// `%XX`, at most kMaxForwardedQuery bytes.
std::optional<ApiError> check_query(std::string_view query);

// The trace id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex parent id>-<2 hex
// flags>`, lowercase; a later version may append `-…`), or nullopt when it is not one: an
// all-zero id, version ff, upper case or a wrong length. An invalid traceparent is not
// forwarded and not logged (W3C Trace Context: a receiver ignores it).
std::optional<std::string_view> trace_id_of(std::string_view traceparent);

// x-portkey-custom-host, parsed as written: `http(s)://host[:port][/path]`, with a host of
// letters, digits, `-` and `.` (or a bracketed IPv6 literal), no user info, percent sign,
// query or fragment, and a path of plain segments (no `.` or `..`).
Result<config::BaseUrl> parse_custom_host(std::string_view url);

// True when the custom host may receive `provider`'s key: an entry of
// upstream.allowed_custom_hosts matches its scheme, host (exactly, or `*.domain` for any
// subdomain) and port, and the entry names the provider or names none.
bool custom_host_allowed(const config::BaseUrl& url, std::string_view provider,
                         const std::vector<config::AllowedHost>& allowed);

}  // namespace aigw::router
