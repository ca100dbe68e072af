#include "router/caller_values.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace aigw::router {
namespace {

bool is_alnum(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; }
bool is_hex(char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; }

bool model_char(char ch) {
  return is_alnum(ch) || ch == '.' || ch == '_' || ch == '-' || ch == ':' || ch == '/' ||
         ch == '@' || ch == '+';
}

// A caller's value in an error message: short, and printable (it is echoed to the caller and
// logged; a control character or a 400 KB string must do neither).
std::string shown(std::string_view value) {
  std::string out;
  for (const char ch : value.substr(0, 64)) {
    const auto c = static_cast<unsigned char>(ch);
    out += c >= 0x20 && c < 0x7f ? ch : '?';
  }
  if (value.size() > 64) out += "…";
  return out;
}

ApiError invalid_value(std::string_view field, std::string_view why) {
  return bad_request("invalid " + std::string(field) + ": " + std::string(why));
}

// Splits on '/' and refuses empty, "." and ".." segments.
bool plain_segments(std::string_view path) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find('/', start);
    const std::string_view segment =
        path.substr(start, end == std::string_view::npos ? end : end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool host_char(char ch) { return is_alnum(ch) || ch == '-' || ch == '.'; }

bool ipv6_literal_char(char ch) { return is_hex(ch) || ch == ':' || ch == '.'; }

// The characters a path of a custom host may hold: RFC 3986 pchar and '/', without '%' (a
// percent sign would let one text mean two paths).
bool path_char(char ch) {
  static constexpr std::string_view kExtra = "-._~!$&'()*+,;=:@/";
  return is_alnum(ch) || kExtra.find(ch) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool host_matches(std::string_view host, std::string_view pattern) {
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = pattern.substr(1);  // ".domain"
    return host.size() > suffix.size() && iequals(host.substr(host.size() - suffix.size()), suffix);
  }
  return iequals(host, pattern);
}

}  // namespace

std::optional<ApiError> check_model_id(std::string_view model, std::string_view field) {
  if (model.empty()) return invalid_value(field, "must not be empty");
  if (model.size() > kMaxModelIdLength) {
    return invalid_value(field, "longer than " + std::to_string(kMaxModelIdLength) + " characters");
  }
  const auto bad = std::find_if_not(model.begin(), model.end(), model_char);
  if (bad != model.end()) {
    return invalid_value(
        field, "\"" + shown(model) + "\" may hold only letters, digits and . _ - : / @ + (found " +
                   (static_cast<unsigned char>(*bad) < 0x20 ? std::string("a control character")
                                                            : "'" + shown({&*bad, 1}) + "'") +
                   ")");
  }
  if (!plain_segments(model)) {
    return invalid_value(field, "\"" + shown(model) + "\" has an empty, '.' or '..' path segment");
  }
  return std::nullopt;
}

std::optional<ApiError> check_body_model(const boost::json::object& body) {
  const auto* model = body.if_contains("model");
  if (!model) return std::nullopt;
  if (!model->is_string()) return invalid_value("model", "must be a string");
  return check_model_id(model->get_string());
}

std::optional<ApiError> check_provider_name(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= kMaxProviderNameLength &&
                  std::all_of(name.begin(), name.end(), [](char ch) {
                    return is_alnum(ch) || ch == '.' || ch == '_' || ch == '-';
                  });
  if (ok) return std::nullopt;
  return invalid_value("x-portkey-provider", "\"" + shown(name) + "\" is not a provider name (1-" +
                                                 std::to_string(kMaxProviderNameLength) +
                                                 " letters, digits, '.', '_' or '-')");
}

std::optional<ApiError> check_header_value(std::string_view name, std::string_view value) {
  if (value.size() > kMaxForwardedHeaderValue) {
    return invalid_value("header " + std::string(name),
                         "longer than " + std::to_string(kMaxForwardedHeaderValue) + " bytes");
  }
  const bool control = std::any_of(value.begin(), value.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
  if (control)
    return invalid_value("header " + std::string(name),
                         "holds a control character (CR, LF or NUL)");
  return std::nullopt;
}

std::optional<std::string_view> trace_id_of(std::string_view tp) {
  const auto hex = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  };
  const auto zeros = [](std::string_view s) { return s.find_first_not_of('0') == s.npos; };
  // version(2) - trace-id(32) - parent-id(16) - flags(2): 55 characters; version 00 is exactly
  // that, a later version may go on after another '-'.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  const auto version = tp.substr(0, 2), trace = tp.substr(3, 32), parent = tp.substr(36, 16),
             flags = tp.substr(53, 2);
  if (!hex(version) || !hex(trace) || !hex(parent) || !hex(flags)) return std::nullopt;
  if (version == "ff" || zeros(trace) || zeros(parent)) return std::nullopt;
  if (tp.size() > 55 && (version == "00" || tp[55] != '-' || tp.size() > 512)) return std::nullopt;
  return trace;
}

std::optional<ApiError> check_query(std::string_view query) {
  if (query.size() > kMaxForwardedQuery) {
    return invalid_value("query string",
                         "longer than " + std::to_string(kMaxForwardedQuery) + " bytes");
  }
  for (std::size_t i = 0; i < query.size(); ++i) {
    const char ch = query[i];
    if (ch == '%') {
      if (i + 2 >= query.size() || !is_hex(query[i + 1]) || !is_hex(query[i + 2])) {
        return invalid_value("query string", "'%' must start a %XX escape");
      }
      i += 2;
      continue;
    }
    if (!path_char(ch) && ch != '?')
      return invalid_value("query string", "holds a character that must be escaped");
  }
  return std::nullopt;
}

Result<config::BaseUrl> parse_custom_host(std::string_view url) {
  const auto refuse = [&](std::string_view why) -> ApiError {
    return invalid_value("x-portkey-custom-host", "\"" + shown(url) + "\" " + std::string(why));
  };
  config::BaseUrl b;
  std::string_view rest;
  if (url.starts_with("https://")) {
    b.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return refuse("must start with http:// or https://");
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return refuse("has an unclosed IPv6 literal");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return refuse("has text after its IPv6 literal");
    if (!after.empty()) port = after.substr(1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), ipv6_literal_char)) {
      return refuse("has an invalid IPv6 literal");
    }
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), host_char) ||
        host.starts_with('.') || host.find("..") != std::string_view::npos) {
      return refuse("must name a host of letters, digits, '-' and '.' (no user info or escapes)");
    }
  }
  if (port) {
    const bool digits =
        !port->empty() && port->size() <= 5 &&
        std::all_of(port->begin(), port->end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits || std::stoul(std::string(*port)) == 0 || std::stoul(std::string(*port)) > 65535) {
      return refuse("has an invalid port");
    }
  }
  if (!path.empty()) {
    std::string_view p = path.substr(1);
    while (p.ends_with('/')) p.remove_suffix(1);
    if (!std::all_of(path.begin(), path.end(), path_char)) {
      return refuse("has a path with a character that is not allowed (no '%', '?' or '#')");
    }
    if (!p.empty() && !plain_segments(p)) return refuse("has an empty, '.' or '..' path segment");
  }
  b.host = lower_copy(host);
  b.port = port ? std::string(*port) : (b.tls ? "443" : "80");
  b.path = std::string(path);
  while (!b.path.empty() && b.path.back() == '/') b.path.pop_back();
  b.host_header = std::string(authority);
  return b;
}

bool custom_host_allowed(const config::BaseUrl& url, std::string_view provider,
                         const std::vector<config::AllowedHost>& allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const config::AllowedHost& entry) {
    if (entry.tls != url.tls || entry.port != url.port || !host_matches(url.host, entry.host))
      return false;
    return entry.providers.empty() || std::find(entry.providers.begin(), entry.providers.end(),
                                                provider) != entry.providers.end();
  });
}

}  // namespace aigw::router
