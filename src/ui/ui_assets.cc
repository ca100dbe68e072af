#include "ui/ui_assets.h"

#include <algorithm>

namespace aigw::ui {

const Asset* find_asset(std::string_view name) {
  if (name.empty()) name = "index.html";
  const auto all = assets();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const Asset& a) { return a.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::vector<std::pair<std::string, std::string>> security_headers() {
  return {{"Content-Security-Policy",
           "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          // Small files, and a new binary may bring new ones: always revalidated.
          {"Cache-Control", "no-cache"}};
}

}  // namespace aigw::ui
