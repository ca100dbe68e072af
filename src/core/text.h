// Small text helpers shared by the parts (header names are compared in lower case).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace aigw {

inline std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace aigw
