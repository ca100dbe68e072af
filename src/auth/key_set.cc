#include "auth/key_set.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

namespace aigw::auth {

namespace json = boost::json;

std::optional<std::map<std::string, PublicKey>> parse_jwks(std::string_view document,
                                                           std::string& error) {
  boost::system::error_code ec;
  const json::value v = json::parse(document, ec);
  const json::value* keys = !ec && v.is_object() ? v.as_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) {
    error = "not a JWKS document (expected {\"keys\": [...]})";
    return std::nullopt;
  }
  std::map<std::string, PublicKey> parsed;
  std::string skipped;
  for (const auto& item : keys->as_array()) {
    if (!item.is_object()) continue;
    const auto* use = item.as_object().if_contains("use");
    if (use && use->is_string() && use->as_string() != "sig") continue;  // encryption keys
    std::string why;
    auto key = PublicKey::from_jwk(item.as_object(), why);
    if (key)
      parsed.emplace(key->kid(), std::move(*key));
    else
      skipped = why;
  }
  if (parsed.empty()) {
    error = "no usable signing key in the JWKS" + (skipped.empty() ? "" : " (" + skipped + ")");
    return std::nullopt;
  }
  return parsed;
}

std::string jwks_document(const std::vector<const PublicKey*>& keys) {
  json::array list;
  for (const PublicKey* k : keys) list.push_back(k->to_jwk());
  return json::serialize(json::object{{"keys", std::move(list)}});
}

bool KeySet::replace_from_jwks(std::string_view document, std::string& error) {
  auto parsed = parse_jwks(document, error);
  if (!parsed) return false;
  replace(std::move(*parsed));
  return true;
}

bool KeySet::replace_from_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  return replace_from_jwks(text.str(), error);
}

void KeySet::replace(std::map<std::string, PublicKey> keys) {
  // A key that is the same as before stays the same object: the verifier's cache holds the
  // key each token was checked with and re-verifies only tokens whose key changed or left.
  const auto old = keys_.load();
  auto map = std::make_shared<Map>();
  for (auto& [kid, key] : keys) {
    const auto it = old->find(kid);
    if (it != old->end() && it->second->to_jwk() == key.to_jwk())
      map->emplace(kid, it->second);
    else
      map->emplace(kid, std::make_shared<const PublicKey>(std::move(key)));
  }
  keys_.store(std::move(map));
}

std::shared_ptr<const PublicKey> KeySet::find(std::string_view kid) const {
  const auto map = keys_.load();
  if (kid.empty()) return map->size() == 1 ? map->begin()->second : nullptr;
  const auto it = map->find(kid);
  return it == map->end() ? nullptr : it->second;
}

std::vector<std::string> KeySet::kids() const {
  std::vector<std::string> out;
  for (const auto& [kid, _] : *keys_.load()) out.push_back(kid);
  return out;
}

std::string KeySet::to_jwks() const {
  const auto map = keys_.load();
  std::vector<const PublicKey*> keys;
  for (const auto& [_, key] : *map) keys.push_back(key.get());
  return jwks_document(keys);
}

bool KeySet::claim_refresh(std::int64_t now_ms) {
  std::int64_t last = last_refresh_ms_.load();
  while (last == kNever || now_ms - last >= min_interval_ms_) {
    if (last_refresh_ms_.compare_exchange_weak(last, now_ms)) return true;
  }
  return false;
}

}  // namespace aigw::auth
