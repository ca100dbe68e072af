// Small, forgiving readers over Boost.JSON values: a missing or mistyped field reads as empty,
// because provider bodies vary and a translation must never throw.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aigw::translate::detail {

namespace json = boost::json;

inline const json::value* field(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

inline std::string_view str(const json::object& o, std::string_view key,
                            std::string_view fallback = {}) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : fallback;
}

inline const json::object* obj(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

inline const json::array* arr(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

// Counts (tokens, indexes, top_k) beyond 2^53, JSON's exact-integer range, are no counts at all:
// converting a larger double is undefined, a larger uint64 turns negative, and adding two
// int64s near their limit overflows (total_tokens = input + output). Found by
// fuzz/translate_fuzz.cc ("input_tokens": 1e93).
inline constexpr std::int64_t kMaxJsonCount = std::int64_t{1} << 53;

inline std::optional<std::int64_t> opt_int(const json::value* v) {
  if (!v) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64()) {
    if (v->as_uint64() <= static_cast<std::uint64_t>(kMaxJsonCount)) {
      n = static_cast<std::int64_t>(v->as_uint64());
    }
  } else if (v->is_double()) {
    const double d = v->as_double();
    if (d >= -static_cast<double>(kMaxJsonCount) && d <= static_cast<double>(kMaxJsonCount)) {
      n = static_cast<std::int64_t>(d);
    }
  }
  if (n && (*n > kMaxJsonCount || *n < -kMaxJsonCount)) return std::nullopt;
  return n;
}

inline std::optional<std::int64_t> opt_int(const json::object& o, std::string_view key) {
  return opt_int(o.if_contains(key));
}

inline std::int64_t int_or(const json::object& o, std::string_view key, std::int64_t fallback = 0) {
  return opt_int(o, key).value_or(fallback);
}

inline std::optional<double> opt_double(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return std::nullopt;
}

inline bool bool_or(const json::object& o, std::string_view key, bool fallback = false) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() ? v->as_bool() : fallback;
}

// Parses JSON text without throwing; null when it is not JSON.
inline json::value parse_or_null(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace aigw::translate::detail
