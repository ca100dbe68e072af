// Small text helpers shared by the parts (header names are compared in lower case).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace aigw {

// Lower case for ASCII letters, every other byte as it is: what std::tolower does in the "C"
// locale (HTTP names and tokens are ASCII), inline instead of a call into libc per byte.
constexpr char ascii_lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
}

// Whether two HTTP names are the same, case aside.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Calls `f` with each element of a comma-separated list (RFC 9110 5.6.1: Connection,
// Transfer-Encoding, ...), the blanks around it dropped, empty elements skipped. `f` returns
// false to stop early.
template <typename F>
void for_each_list_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view element = list.substr(0, comma);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t'))
      element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t'))
      element.remove_suffix(1);
    if (!element.empty() && !f(element)) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

inline std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = ascii_lower(ch);
  return out;
}

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), so
// the result is one path segment whatever it held: `/`, `?`, `#`, `:` and `%` are encoded, and
// so are the dots of a `.` or `..` segment.
inline std::string encode_path_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (s == "." || s == "..") return s.size() == 1 ? "%2E" : "%2E%2E";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace aigw
