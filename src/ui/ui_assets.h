// The admin dashboard (/ui/): its static files, compiled into the binary from src/ui/assets/
// (cmake/embed_ui.cmake writes them out as string literals), so it needs no files on disk
// and loads nothing from elsewhere. The page holds no data: everything it shows comes from
// the admin API with the token its user signs in for.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw::ui {

struct Asset {
  std::string_view name;  // below /ui/, e.g. "app.js"
  std::string_view content_type;
  std::string_view body;
};

// Every embedded file (defined in the generated ui_assets_data.cc).
std::span<const Asset> assets();

// The file for a path below /ui/: "" and "index.html" are the page; null when there is none.
const Asset* find_asset(std::string_view name);

// What every /ui/ answer carries: the page may run only its own script and style and talk only
// to this gateway (a value a caller sent, such as a model name, can never run as script); it
// is never framed, never sniffed, and sends no referrer.
std::vector<std::pair<std::string, std::string>> security_headers();

}  // namespace aigw::ui
