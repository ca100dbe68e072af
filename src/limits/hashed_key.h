// Maps keyed by client, team or network names, looked up with a hash computed once per call:
// the same hash picks a lock stripe and finds the entry (std::hash of a string is the main
// cost of a lookup, and the limits look up several keys on every request).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aigw::limits {

// Implicit from any text, so a caller with a plain name hashes it on the way in and one that
// looks the same name up several times hashes it once and passes this.
struct HashedKey {
  HashedKey() = default;
  HashedKey(std::string_view k) : key(k), hash(std::hash<std::string_view>{}(k)) {}
  HashedKey(const std::string& k) : HashedKey(std::string_view(k)) {}
  HashedKey(const char* k) : HashedKey(std::string_view(k)) {}
  HashedKey(std::string_view k, std::size_t h) : key(k), hash(h) {}
  std::string_view key;
  std::size_t hash = 0;
};

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  std::size_t operator()(const std::string& s) const { return (*this)(std::string_view(s)); }
  std::size_t operator()(const HashedKey& k) const { return k.hash; }
};

struct SameKey {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  bool operator()(const std::string& a, const std::string& b) const { return a == b; }
  bool operator()(const HashedKey& a, std::string_view b) const { return a.key == b; }
  bool operator()(std::string_view a, const HashedKey& b) const { return a == b.key; }
};

template <class Value>
using HashedMap = std::unordered_map<std::string, Value, KeyHash, SameKey>;

}  // namespace aigw::limits
