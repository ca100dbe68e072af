// Usage of a whole answer, read by the same per-dialect readers as translated answers and
// streams (dialects.h), without parsing a long answer whole just for its usage.
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/json.hpp>

#include "translate/dialects.h"
#include "translate/translate.h"

namespace aigw::translate {
namespace {

namespace json = boost::json;

// Where `quoted_key` (3 bytes or more) last occurs in `body`, searched from the end, where an
// answer keeps its usage. With SSE2 (every x86-64), 16 positions at a time: those whose first,
// second and last bytes match the key's are compared whole.
std::size_t last_occurrence(std::string_view body, std::string_view quoted_key) {
  const std::size_t k = quoted_key.size();
  if (k < 3 || body.size() < k) return std::string_view::npos;
  const auto matches = [&](std::size_t at) {
    return std::memcmp(body.data() + at, quoted_key.data(), k) == 0;
  };
  std::size_t end = body.size() - k + 1;  // candidate positions are [0, end)
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(quoted_key[0]);
  const __m128i second = _mm_set1_epi8(quoted_key[1]);
  const __m128i last = _mm_set1_epi8(quoted_key[k - 1]);
  while (end >= 16) {
    const char* base = body.data() + end - 16;
    const auto at = [&](std::size_t offset) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + offset));
    };
    const __m128i hits =
        _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(at(0), first), _mm_cmpeq_epi8(at(1), second)),
                      _mm_cmpeq_epi8(at(k - 1), last));
    for (auto bits = static_cast<unsigned>(_mm_movemask_epi8(hits)); bits != 0;) {
      const int top = 31 - __builtin_clz(bits);
      if (matches(end - 16 + static_cast<std::size_t>(top)))
        return end - 16 + static_cast<std::size_t>(top);
      bits &= ~(1u << top);
    }
    end -= 16;
  }
#endif
  while (end > 0) {
    if (matches(--end)) return end;
  }
  return std::string_view::npos;
}

// The value after `"key"` at `at`: past the colon and the blanks around it.
std::string_view value_after(std::string_view body, std::size_t at, std::size_t key_size) {
  std::size_t i = at + key_size;
  auto blanks = [&] {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
      ++i;
  };
  blanks();
  if (i >= body.size() || body[i] != ':') return {};
  ++i;
  blanks();
  return body.substr(i);
}

// The JSON object `text` starts with, found by matching braces (and skipping strings); empty
// when it does not close.
std::string_view object_at_start(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return text.substr(0, i + 1);
    }
  }
  return {};
}

}  // namespace

Usage usage_of_answer(Dialect dialect, std::string_view body) {
  char quoted[24];  // "usage" or "usageMetadata", with their quotes
  const std::string_view key = usage_key(dialect);
  quoted[0] = '"';
  key.copy(quoted + 1, key.size());
  quoted[key.size() + 1] = '"';
  const std::string_view quoted_key{quoted, key.size() + 2};
  // The last `"usage": {` is the answer's usage object, unless the match sits inside a string
  // (an escaped quote before it) or holds no object: then the whole answer is parsed.
  const auto at = last_occurrence(body, quoted_key);
  const auto value = at == std::string_view::npos || (at > 0 && body[at - 1] == '\\')
                         ? std::string_view()
                         : value_after(body, at, quoted_key.size());
  if (value.starts_with('{')) {
    // Read straight from the text when it is plain (it nearly always is) ...
    std::string_view rest;
    if (const auto read = detail::scan_usage_prefix(dialect, value, rest))
      return ir::to_usage(*read);
    // ... else the object is parsed into a buffer on the stack, no allocation.
    unsigned char storage[2048];
    json::monotonic_resource arena(storage, sizeof storage);
    boost::system::error_code ec;
    const json::value usage = json::parse(object_at_start(value), ec, &arena);
    if (!ec && usage.is_object()) {
      if (const Usage u = usage_from_object(dialect, usage.as_object()); u.known) return u;
    }
  }
  // The key text appeared inside a string, or the shape is unusual: parse the whole answer.
  boost::system::error_code ec;
  const json::value whole = json::parse(body, ec);
  if (ec || !whole.is_object()) return {};
  return usage_from_response(dialect, whole.as_object());
}

Usage charge_for_answer(const Usage& reported, std::int64_t prompt_estimate,
                        std::size_t answer_bytes) {
  if (reported.known) return reported;
  return charged_usage(Usage{}, false, false, prompt_estimate,
                       static_cast<std::int64_t>(answer_bytes));
}

}  // namespace aigw::translate
