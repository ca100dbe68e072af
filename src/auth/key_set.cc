#include "auth/key_set.h"

#include <boost/json.hpp>

namespace aigw::auth {

namespace json = boost::json;

bool KeySet::replace_from_jwks(std::string_view document, std::string& error) {
  boost::system::error_code ec;
  const json::value v = json::parse(document, ec);
  const json::value* keys = !ec && v.is_object() ? v.as_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) {
    error = "not a JWKS document (expected {\"keys\": [...]})";
    return false;
  }
  std::map<std::string, PublicKey> parsed;
  std::string skipped;
  for (const auto& item : keys->as_array()) {
    if (!item.is_object()) continue;
    const auto* use = item.as_object().if_contains("use");
    if (use && use->is_string() && use->as_string() != "sig") continue;  // encryption keys
    std::string why;
    auto key = PublicKey::from_jwk(item.as_object(), why);
    if (key) parsed.emplace(key->kid(), std::move(*key));
    else skipped = why;
  }
  if (parsed.empty()) {
    error = "no usable signing key in the JWKS" + (skipped.empty() ? "" : " (" + skipped + ")");
    return false;
  }
  replace(std::move(parsed));
  return true;
}

void KeySet::replace(std::map<std::string, PublicKey> keys) {
  auto map = std::make_shared<Map>();
  for (auto& [kid, key] : keys) map->emplace(kid, std::make_shared<const PublicKey>(std::move(key)));
  keys_.store(std::move(map));
}

std::shared_ptr<const PublicKey> KeySet::find(std::string_view kid) const {
  const auto map = keys_.load();
  if (kid.empty()) return map->size() == 1 ? map->begin()->second : nullptr;
  const auto it = map->find(kid);
  return it == map->end() ? nullptr : it->second;
}

bool KeySet::claim_refresh(std::int64_t now_ms) {
  std::int64_t last = last_refresh_ms_.load();
  while (now_ms - last >= min_interval_ms_) {
    if (last_refresh_ms_.compare_exchange_weak(last, now_ms)) return true;
  }
  return false;
}

}  // namespace aigw::auth
