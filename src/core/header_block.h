// An answer's header fields as the text that goes on the wire, "name: value\r\n" each: the
// head of an answer is built by appending to one string, not by a map of allocated fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw {

// A field name written in the code (the gateway's own fields on every answer): checked and
// hashed when compiled, so setting it is an append. A name that is not a token does not
// compile.
class FieldName {
 public:
  consteval explicit FieldName(std::string_view name) : name_(name), bit_(bit_of(name)) {
    if (name.empty()) throw "a field name is not empty";
    for (const char c : name) {
      const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!token) throw "a field name is letters, digits, '-' and '_'";
    }
  }
  std::string_view text() const { return name_; }
  std::uint64_t bit() const { return bit_; }

  // One bit per name (a hash of it, case-folded): a HeaderBlock looks for an earlier line of
  // the same name only when its bit is on, so building a head of distinct names never searches.
  static constexpr std::uint64_t bit_of(std::string_view name) {
    std::uint32_t hash = 2166136261u;  // FNV-1a
    for (const char c : name) {
      const char folded = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
      hash = (hash ^ static_cast<unsigned char>(folded)) * 16777619u;
    }
    return std::uint64_t{1} << (hash & 63);
  }

 private:
  std::string_view name_;
  std::uint64_t bit_;
};

class HeaderBlock {
 public:
  // Adds the field, replacing one of the same name (names compare case-insensitively). A CR,
  // LF or NUL in the name or value becomes a space (a ':' in a name, a '-'): nothing set here
  // can start a field of its own.
  void set(std::string_view name, std::string_view value);
  void set(std::string_view name, std::int64_t value);
  // The same for a name known when compiling: only the value is checked.
  void set(const FieldName& name, std::string_view value);
  void set(const FieldName& name, std::int64_t value);
  // Each field of `fields`, in order, as set() does.
  void set_all(const HeaderBlock& fields);
  void set_all(const std::vector<std::pair<std::string, std::string>>& fields);

  std::optional<std::string_view> find(std::string_view name) const;
  // (name, value) of each field, in order.
  std::vector<std::pair<std::string, std::string>> fields() const;
  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }
  void clear() {
    text_.clear();
    names_seen_ = 0;
  }

 private:
  // Where the line of the field `name` begins and ends (past its CRLF); npos when absent.
  std::pair<std::size_t, std::size_t> line_of(std::string_view name) const;
  // Turns each byte of `text` that would end the line into a space (':' in a name into '-').
  static void clean(char* text, std::size_t size, bool is_name);
  // Drops an earlier line of `name` (when its bit says there may be one) and appends
  // "name: value\r\n", cleaning what the caller did not vouch for.
  void add_line(std::string_view name, std::uint64_t bit, bool name_is_clean,
                std::string_view value, bool value_is_clean);

  std::string text_;
  std::uint64_t names_seen_ = 0;
};

}  // namespace aigw
