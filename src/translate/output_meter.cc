#include "translate/output_meter.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
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

// The quotes and backslashes among the 16 bytes from `base` (fewer at the end), as bits. One
// compare per byte on SSE2 (every x86-64), so a scan visits only these bytes: a chunk is mostly
// short strings, and a byte loop (or a memchr per string) spends its time between them.
unsigned quotes_and_backslashes(std::string_view text, std::size_t base) {
#if defined(__SSE2__)
  if (base + 16 <= text.size()) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + base));
    const __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                                      _mm_cmpeq_epi8(block, _mm_set1_epi8('\\')));
    return static_cast<unsigned>(_mm_movemask_epi8(hits));
  }
#endif
  unsigned bits = 0;
  const std::size_t end = std::min(text.size(), base + 16);
  for (std::size_t i = base; i < end; ++i) {
    if (text[i] == '"' || text[i] == '\\') bits |= 1u << (i - base);
  }
  return bits;
}

std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

// The first and last bytes are compared before the rest: that turns away nearly every other
// key of a chunk ("created", "choices" beside "content") without a call to memcmp.
bool is_key(std::string_view name, std::string_view key) {
  return key.size() == name.size() && !key.empty() && key.front() == name.front() &&
         key.back() == name.back() && key == name;
}

bool is_one_of(std::string_view name, std::span<const std::string_view> keys) {
  for (const auto k : keys) {
    if (is_key(name, k)) return true;
  }
  return false;
}

// The same measure in one pass over the bytes, without a parser: in JSON a string followed by
// ':' is a key, and its value starts at the next non-space byte; a quote cannot appear inside a
// string unescaped, so keys are never mistaken for text. The parser takes what this does not
// decode (Unicode escapes) and what does not look like JSON; text that is not JSON at all may be
// measured here where the parser would refuse it (it is only an estimate's input).
// Where an event's first text value opens, and what was measured before it: a scan of an
// event that begins with the same bytes can start there (EventMeter).
struct TextValueStart {
  std::size_t at = std::string_view::npos;
  EventMeasure before;
};

// Scans from `from` (outside any string; a text value opens there when `from_text_value`),
// `m` holding what came before. `first` (optional) gets where the first text value opens.
std::optional<EventMeasure> scan_event(std::string_view text, std::size_t from, EventMeasure m,
                                       bool from_text_value,
                                       std::span<const std::string_view> text_keys,
                                       std::string_view object_key, TextValueStart* first) {
  constexpr auto kNowhere = std::string_view::npos;
  bool in_string = false;
  std::size_t open = 0;        // the opening quote of the string being read
  std::int64_t escapes = 0;    // its two-byte escapes so far (each decodes to one byte)
  std::size_t escaped_to = 0;  // the byte after an escape's backslash is not special
  std::size_t text_value = from_text_value ? from : kNowhere;  // where a text key's string opens
  for (std::size_t base = from; base < text.size(); base += 16) {
    for (unsigned bits = quotes_and_backslashes(text, base); bits != 0; bits &= bits - 1) {
      const std::size_t i = base + static_cast<std::size_t>(__builtin_ctz(bits));
      if (i < escaped_to) continue;
      if (text[i] == '\\') {  // an escaped quote, backslash, slash, b, f, n, r or t
        if (!in_string || i + 1 >= text.size() || text[i + 1] == 'u') return std::nullopt;
        ++escapes;
        escaped_to = i + 2;
        continue;
      }
      if (!in_string) {
        in_string = true;
        open = i;
        escapes = 0;
        continue;
      }
      in_string = false;
      if (open == text_value) m.text_bytes += static_cast<std::int64_t>(i - open - 1) - escapes;
      const std::size_t colon = skip_space(text, i + 1);
      if (colon >= text.size() || text[colon] != ':') continue;  // a value, not a key
      const std::size_t value = skip_space(text, colon + 1);
      if (value >= text.size()) return std::nullopt;
      if (escapes != 0) continue;  // none of the keys looked for has a byte JSON escapes
      const std::string_view name = text.substr(open + 1, i - open - 1);
      if (text[value] == '"' && is_one_of(name, text_keys)) {
        text_value = value;
        if (first != nullptr && first->at == kNowhere) *first = TextValueStart{value, m};
      }
      if (text[value] == '{' && is_key(name, object_key)) m.has_object = true;
    }
  }
  if (in_string) return std::nullopt;
  return m;
}

// A streamed event is a JSON object; anything else is left to the parser to judge.
bool looks_like_object(std::string_view text) {
  std::size_t first = 0;
  std::size_t end = text.size();
  while (first < end && is_space(text[first])) ++first;
  while (end > first && is_space(text[end - 1])) --end;
  return first < end && text[first] == '{' && text[end - 1] == '}';
}

}  // namespace

std::optional<EventMeasure> measure_event(std::string_view json_text,
                                          std::span<const std::string_view> text_keys,
                                          std::string_view object_key) {
  if (looks_like_object(json_text)) {
    if (auto m = scan_event(json_text, 0, {}, false, text_keys, object_key, nullptr)) return m;
  }
  return parse_and_measure_event(json_text, text_keys, object_key);
}

std::optional<EventMeasure> EventMeter::measure(std::string_view json_text) {
  if (!looks_like_object(json_text)) return parse_and_measure_event(json_text, keys_, object_key_);
  // The same bytes up to the last event's first text value, its opening quote included: the
  // scan would reach that quote in the same state, so it starts there.
  if (!envelope_.empty() && json_text.size() > envelope_.size() &&
      std::memcmp(json_text.data(), envelope_.data(), envelope_.size()) == 0) {
    const std::size_t quote = envelope_.size() - 1;
    if (auto m = scan_event(json_text, quote, before_, true, keys_, object_key_, nullptr)) {
      return m;
    }
    return parse_and_measure_event(json_text, keys_, object_key_);
  }
  TextValueStart first;
  auto m = scan_event(json_text, 0, {}, false, keys_, object_key_, &first);
  if (!m) return parse_and_measure_event(json_text, keys_, object_key_);
  if (first.at != std::string_view::npos && first.at < kMaxEnvelope) {
    envelope_.assign(json_text.substr(0, first.at + 1));
    before_ = first.before;
  }
  return m;
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
