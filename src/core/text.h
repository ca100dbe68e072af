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
