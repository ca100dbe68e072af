#include "translate/output_meter.h"

#include <boost/json/basic_parser_impl.hpp>
#include <string>

namespace aigw::translate {
namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// Boost.JSON's SAX interface: only keys and strings matter; everything else just passes.
class MeterHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  MeterHandler(std::span<const std::string_view> keys, std::string_view object_key)
      : keys_(keys), object_key_(object_key) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return scalar(); }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    counting_ = false;  // a key whose value is an object: its own keys decide below
    found_object_ = found_object_ || at_object_key_;
    at_object_key_ = false;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (counting_) bytes_ += static_cast<std::int64_t>(s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    if (counting_) bytes_ += static_cast<std::int64_t>(s.size());
    return scalar();
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    counting_ = false;
    for (const auto k : keys_) counting_ = counting_ || k == key;
    at_object_key_ = !object_key_.empty() && key == object_key_;
    key_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return scalar(); }
  bool on_double(double, string_view, error_code&) { return scalar(); }
  bool on_bool(bool, error_code&) { return scalar(); }
  bool on_null(error_code&) { return scalar(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  std::int64_t bytes() const { return bytes_; }
  bool found_object() const { return found_object_; }

 private:
  bool scalar() {
    counting_ = false;
    at_object_key_ = false;
    return true;
  }

  std::span<const std::string_view> keys_;
  std::string_view object_key_;
  std::string key_;  // a key that arrived in parts
  bool counting_ = false;
  bool at_object_key_ = false;
  bool found_object_ = false;
  std::int64_t bytes_ = 0;
};

// The SAX parse above, for what the scan below leaves to it.
std::optional<EventMeasure> measure_with_parser(std::string_view json_text,
                                                std::span<const std::string_view> text_keys,
                                                std::string_view object_key) {
  json::basic_parser<MeterHandler> parser(json::parse_options{}, text_keys, object_key);
  error_code ec;
  parser.write_some(false, json_text.data(), json_text.size(), ec);
  if (ec) return std::nullopt;
  return EventMeasure{parser.handler().bytes(), parser.handler().found_object()};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One string from its opening quote at `at`: its decoded length, and where it ends (past the
// closing quote). nullopt for a Unicode escape (its UTF-8 length needs decoding) or no end.
struct ScannedString {
  std::size_t end = 0;
  std::int64_t bytes = 0;
};
std::optional<ScannedString> scan_string(std::string_view text, std::size_t at) {
  ScannedString s;
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      s.end = i + 1;
      return s;
    }
    if (c == '\\') {
      if (i + 1 >= text.size() || text[i + 1] == 'u') return std::nullopt;
      ++i;  // an escaped quote, backslash, slash, b, f, n, r or t: one byte each
    }
    ++s.bytes;
  }
  return std::nullopt;
}

// The same measure in one pass over the bytes, without a parser: in JSON a string followed by
// ':' is a key, and its value starts at the next non-space byte; a quote cannot appear inside a
// string unescaped, so keys are never mistaken for text. The parser takes what this does not
// decode (Unicode escapes) and what does not look like JSON; text that is not JSON at all may be
// measured here where the parser would refuse it (it is only an estimate's input).
std::optional<EventMeasure> scan_event(std::string_view text,
                                       std::span<const std::string_view> text_keys,
                                       std::string_view object_key) {
  EventMeasure m;
  std::size_t i = 0;
  while ((i = text.find('"', i)) != std::string_view::npos) {
    const auto key = scan_string(text, i);
    if (!key) return std::nullopt;
    std::size_t next = key->end;
    while (next < text.size() && is_space(text[next])) ++next;
    if (next >= text.size() || text[next] != ':') {  // a string value not under a text key
      i = key->end;
      continue;
    }
    const std::string_view name = text.substr(i + 1, key->end - i - 2);
    ++next;
    while (next < text.size() && is_space(text[next])) ++next;
    i = next;
    if (next >= text.size()) return std::nullopt;
    if (text[next] == '{' && !object_key.empty() && name == object_key) m.has_object = true;
    if (text[next] != '"') continue;
    const auto value = scan_string(text, next);
    if (!value) return std::nullopt;
    for (const auto k : text_keys) {
      if (k == name) {
        m.text_bytes += value->bytes;
        break;
      }
    }
    i = value->end;
  }
  return m;
}

}  // namespace

std::optional<EventMeasure> measure_event(std::string_view json_text,
                                          std::span<const std::string_view> text_keys,
                                          std::string_view object_key) {
  // A streamed event is a JSON object; anything else is left to the parser to judge.
  const auto first = json_text.find_first_not_of(" \t\r\n");
  const auto last = json_text.find_last_not_of(" \t\r\n");
  if (first != std::string_view::npos && json_text[first] == '{' && json_text[last] == '}') {
    if (auto m = scan_event(json_text, text_keys, object_key)) return m;
  }
  return parse_and_measure_event(json_text, text_keys, object_key);
}

std::optional<EventMeasure> parse_and_measure_event(std::string_view json_text,
                                                    std::span<const std::string_view> text_keys,
                                                    std::string_view object_key) {
  return measure_with_parser(json_text, text_keys, object_key);
}

bool has_object_under(std::string_view text, std::string_view key) {
  // A key spelled with Unicode escapes ("\u0075sage") is the same key: left to the scan.
  if (text.find("\\u") != std::string_view::npos) {
    const auto m = measure_event(text, {}, key);
    return m && m->has_object;
  }
  const auto skip_space = [&](std::size_t i) {
    while (i < text.size() && is_space(text[i])) ++i;
    return i;
  };
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    const std::size_t close = at + key.size();
    if (at == 0 || text[at - 1] != '"' || close >= text.size() || text[close] != '"') continue;
    std::size_t backslashes = 0;  // before the opening quote: an odd count escapes it
    for (std::size_t i = at - 1; i > 0 && text[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 != 0) continue;
    std::size_t next = skip_space(close + 1);
    if (next >= text.size() || text[next] != ':') continue;
    next = skip_space(next + 1);
    if (next < text.size() && text[next] == '{') return true;
  }
  return false;
}

std::optional<std::int64_t> string_bytes_under(std::string_view json_text,
                                               std::initializer_list<std::string_view> keys) {
  const auto m = measure_event(json_text, std::span(keys.begin(), keys.size()));
  if (!m) return std::nullopt;
  return m->text_bytes;
}

}  // namespace aigw::translate
