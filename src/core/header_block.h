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

class HeaderBlock {
 public:
  // Adds the field, replacing one of the same name (names compare case-insensitively). A CR,
  // LF or NUL in the name or value becomes a space (a ':' in a name, a '-'): nothing set here
  // can start a field of its own.
  void set(std::string_view name, std::string_view value);
  void set(std::string_view name, std::int64_t value);
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
  void append_clean(std::string_view text, bool is_name);
  // One bit per name set (a hash of it, case-folded): set() looks for an earlier line of the
  // same name only when its bit is on, so building a head of distinct names never searches.
  static std::uint64_t name_bit(std::string_view name);

  std::string text_;
  std::uint64_t names_seen_ = 0;
};

}  // namespace aigw
