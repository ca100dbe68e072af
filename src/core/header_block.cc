#include "core/header_block.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/text.h"

namespace aigw {
namespace {

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
    if (ascii_iequals(text.substr(begin, colon - begin), name)) return {begin, end};
    begin = end;
  }
  return {std::string::npos, std::string::npos};
}

void HeaderBlock::clean(char* text, std::size_t size, bool is_name) {
  if (!is_name && !has_low_byte(std::string_view(text, size))) return;
  for (std::size_t i = 0; i < size; ++i) {
    if (breaks_line(text[i], is_name)) text[i] = text[i] == ':' ? '-' : ' ';
  }
}

// The line is composed where it will stay (grown once, written by memcpy) rather than by an
// append per piece: a head of a dozen fields is built on every answer.
void HeaderBlock::add_line(std::string_view name, std::uint64_t bit, bool name_is_clean,
                           std::string_view value, bool value_is_clean) {
  if ((names_seen_ & bit) != 0) {
    if (const auto [begin, end] = line_of(name); begin != std::string::npos) {
      text_.erase(begin, end - begin);
    }
  }
  names_seen_ |= bit;
  const std::size_t at = text_.size();
  const std::size_t size = name.size() + value.size() + 4;
  if (text_.capacity() < at + size) text_.reserve(std::max<std::size_t>(512, 2 * (at + size)));
  text_.resize(at + size);
  char* line = text_.data() + at;
  std::memcpy(line, name.data(), name.size());
  if (!name_is_clean) clean(line, name.size(), true);
  line += name.size();
  line[0] = ':';
  line[1] = ' ';
  std::memcpy(line + 2, value.data(), value.size());
  if (!value_is_clean) clean(line + 2, value.size(), false);
  line += 2 + value.size();
  line[0] = '\r';
  line[1] = '\n';
}

void HeaderBlock::set(std::string_view name, std::string_view value) {
  add_line(name, FieldName::bit_of(name), false, value, false);
}

void HeaderBlock::set(const FieldName& name, std::string_view value) {
  add_line(name.text(), name.bit(), true, value, false);
}

void HeaderBlock::set(std::string_view name, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  add_line(name, FieldName::bit_of(name), false,
           std::string_view(digits, static_cast<std::size_t>(end - digits)), true);
}

void HeaderBlock::set(const FieldName& name, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  add_line(name.text(), name.bit(), true,
           std::string_view(digits, static_cast<std::size_t>(end - digits)), true);
}

void HeaderBlock::set_all(const HeaderBlock& fields) {
  if (text_.empty()) {
    text_ = fields.text_;  // one block's names are already distinct
    names_seen_ = fields.names_seen_;
    return;
  }
  // Line by line, each already clean: "name: value\r\n".
  const std::string_view text = fields.text_;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t end = text.find('\n', begin) + 1;
    const std::size_t colon = text.find(':', begin);
    const std::string_view name = text.substr(begin, colon - begin);
    add_line(name, FieldName::bit_of(name), true, text.substr(colon + 2, end - colon - 4), true);
    begin = end;
  }
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
