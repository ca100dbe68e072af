// The built-in issuer's files as one admin record of a shared store.
#include "cli/shared_issuer.h"

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>

#include "auth/private_file.h"

namespace aigw::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kKind = "issuer";
constexpr std::string_view kName = "files";

std::string files_record(const std::vector<std::string>& paths) {
  json::object files;
  for (const auto& path : paths) {
    if (auto text = auth::read_text_file(path)) {
      files[fs::path(path).filename().string()] = *text;
    }
  }
  return json::serialize(files);
}

state::TimePoint now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

std::string adopt_issuer_files(state::UsageStore& store, const std::vector<std::string>& paths) {
  auto records = store.admin_records(kKind);
  if (!records) return "cannot read the shared issuer keys: " + records.error().message;
  for (const auto& r : *records) {
    if (r.name != kName) continue;
    boost::system::error_code ec;
    const json::value v = json::parse(r.value, ec);
    if (ec || !v.is_object()) return "the shared issuer keys are not a JSON object";
    try {
      for (const auto& path : paths) {
        const auto* text = v.as_object().if_contains(fs::path(path).filename().string());
        if (text != nullptr && text->is_string()) {
          auth::write_private_file(path, std::string(text->as_string()));
        } else {
          std::error_code ignored;
          fs::remove(path, ignored);  // not shared: not trusted here either
        }
      }
    } catch (const std::exception& e) {
      return std::string("cannot write the shared issuer keys: ") + e.what();
    }
  }
  return "";
}

std::string share_issuer_files(state::UsageStore& store, auth::AuthService& auth,
                               const std::vector<std::string>& paths) {
  auto written = store.put_admin_record_if_absent(kKind, kName, files_record(paths), now());
  if (!written) return "cannot share the issuer keys: " + written.error().message;
  if (*written) return "";
  if (auto error = adopt_issuer_files(store, paths); !error.empty()) return error;
  auth.reload();
  return "";
}

std::string publish_issuer_files(state::UsageStore& store, const std::vector<std::string>& paths) {
  if (auto error = store.put_admin_record(kKind, kName, files_record(paths), now())) {
    return "cannot share the issuer keys: " + error->message;
  }
  return "";
}

}  // namespace aigw::cli
