#include "core/header_block.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace aigw {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A byte that may not appear in a field as is: it would end the line (or the string).
bool breaks_line(char c, bool is_name) {
  return c == '\r' || c == '\n' || c == '\0' || (is_name && c == ':');
}

// Whether `s` has a byte below 0x0E (NUL, LF and CR are): eight bytes per step, so a value
// (a token, a key) is checked without a branch per byte.
bool has_low_byte(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u, kHigh = kOnes * 0x80;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (((w - kOnes * 0x0E) & ~w & kHigh) != 0) return true;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x0E) return true;
  }
  return false;
}

}  // namespace

std::pair<std::size_t, std::size_t> HeaderBlock::line_of(std::string_view name) const {
  const std::string_view text = text_;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin) + 1;  // every line ends in CRLF
    const std::size_t colon = text.find(':', begin);
    if (same_name(text.substr(begin, colon - begin), name)) return {begin, end};
    begin = end;
  }
  return {std::string::npos, std::string::npos};
}

void HeaderBlock::append_clean(std::string_view s, bool is_name) {
  const std::size_t start = text_.size();
  text_.append(s);
  if (!is_name && !has_low_byte(s)) return;
  char* const added = text_.data() + start;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (breaks_line(added[i], is_name)) added[i] = added[i] == ':' ? '-' : ' ';
  }
}

void HeaderBlock::begin_line(std::string_view name, std::uint64_t bit, bool name_is_clean) {
  if ((names_seen_ & bit) != 0) {
    if (const auto [begin, end] = line_of(name); begin != std::string::npos) {
      text_.erase(begin, end - begin);
    }
  }
  names_seen_ |= bit;
  if (text_.empty()) text_.reserve(512);
  if (name_is_clean) {
    text_.append(name);
  } else {
    append_clean(name, true);
  }
  text_.append(": ");
}

void HeaderBlock::set(std::string_view name, std::string_view value) {
  begin_line(name, FieldName::bit_of(name), false);
  append_clean(value, false);
  text_.append("\r\n");
}

void HeaderBlock::set(const FieldName& name, std::string_view value) {
  begin_line(name.text(), name.bit(), true);
  append_clean(value, false);
  text_.append("\r\n");
}

namespace {

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
  out.append("\r\n");
}

}  // namespace

void HeaderBlock::set(std::string_view name, std::int64_t value) {
  begin_line(name, FieldName::bit_of(name), false);
  append_number(text_, value);
}

void HeaderBlock::set(const FieldName& name, std::int64_t value) {
  begin_line(name.text(), name.bit(), true);
  append_number(text_, value);
}

void HeaderBlock::set_all(const HeaderBlock& fields) {
  if (text_.empty()) {
    text_ = fields.text_;  // one block's names are already distinct
    names_seen_ = fields.names_seen_;
    return;
  }
  for (const auto& [name, value] : fields.fields()) set(name, value);
}

void HeaderBlock::set_all(const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& [name, value] : fields) set(name, value);
}

std::optional<std::string_view> HeaderBlock::find(std::string_view name) const {
  const auto [begin, end] = line_of(name);
  if (begin == std::string::npos) return std::nullopt;
  return std::string_view(text_).substr(begin + name.size() + 2, end - begin - name.size() - 4);
}

std::vector<std::pair<std::string, std::string>> HeaderBlock::fields() const {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string_view text = text_;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin) + 1;
    const std::size_t colon = text.find(':', begin);
    out.emplace_back(text.substr(begin, colon - begin), text.substr(colon + 2, end - colon - 4));
    begin = end;
  }
  return out;
}

}  // namespace aigw
