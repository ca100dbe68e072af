// Every dialect's usage object, read by one table: where each count sits (a key of the usage
// object, or of an object in it) and the dialect's arithmetic on them. Two readers walk the
// same table: one over a parsed tree (translated answers, stream events), one over the usage
// object's text (every passthrough answer: no tree is built for the ~300 bytes of counts).
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "translate/dialects.h"
#include "translate/json_util.h"

namespace aigw::translate::detail {
namespace {

enum Count : std::size_t { kInput, kOutput, kCacheRead, kCacheCreation, kReasoning, kCounts };
using Counts = std::array<std::int64_t, kCounts>;

struct CountField {
  std::string_view parent;  // empty: a key of the usage object itself
  std::string_view key;
  Count count;
};

constexpr CountField kChatFields[] = {
    {"", "prompt_tokens", kInput},
    {"", "completion_tokens", kOutput},
    {"prompt_tokens_details", "cached_tokens", kCacheRead},
    {"completion_tokens_details", "reasoning_tokens", kReasoning},
};
// Anthropic counts uncached input apart from cache reads and writes (added in finish()).
constexpr CountField kAnthropicFields[] = {
    {"", "input_tokens", kInput},
    {"", "output_tokens", kOutput},
    {"", "cache_read_input_tokens", kCacheRead},
    {"", "cache_creation_input_tokens", kCacheCreation},
};
constexpr CountField kResponsesFields[] = {
    {"", "input_tokens", kInput},
    {"", "output_tokens", kOutput},
    {"input_tokens_details", "cached_tokens", kCacheRead},
};
// Gemini: promptTokenCount includes cached tokens; thoughts are output (added in finish()).
constexpr CountField kGeminiFields[] = {
    {"", "promptTokenCount", kInput},
    {"", "candidatesTokenCount", kOutput},
    {"", "cachedContentTokenCount", kCacheRead},
    {"", "thoughtsTokenCount", kReasoning},
};

std::span<const CountField> fields_of(Dialect dialect) {
  switch (dialect) {
    case Dialect::kOpenAiChat:
      return kChatFields;
    case Dialect::kAnthropicMessages:
      return kAnthropicFields;
    case Dialect::kOpenAiResponses:
      return kResponsesFields;
    case Dialect::kGoogleGemini:
      return kGeminiFields;
  }
  return {};
}

ir::TokenUsage finish(Dialect dialect, const Counts& c) {
  ir::TokenUsage u;
  u.known = true;
  u.input = c[kInput];
  u.output = c[kOutput];
  u.cache_read = c[kCacheRead];
  u.cache_creation = c[kCacheCreation];
  u.reasoning = c[kReasoning];
  if (dialect == Dialect::kAnthropicMessages) u.input += u.cache_read + u.cache_creation;
  if (dialect == Dialect::kGoogleGemini) u.output += u.reasoning;
  return u;
}

// ---- the text reader ------------------------------------------------------------------------
// A strict reader of the JSON a usage object is made of. It gives up (nullopt, and the caller
// parses the text into a tree) on anything a tree would read differently or that is not worth
// a fast path: escapes and non-ASCII bytes in strings, a count that is not a plain integer of at
// most 15 digits, a wanted key twice, nesting deeper than kMaxDepth. fuzz/translate_fuzz.cc
// checks that whatever it reads, the tree reader reads the same.
// The bytes that end a plain string's scan: its closing quote, or what makes it not plain.
constexpr std::array<bool, 256> kStringStop = [] {
  std::array<bool, 256> stop{};
  for (int c = 0; c < 256; ++c) stop[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
  return stop;
}();

class UsageText {
 public:
  UsageText(std::string_view text, std::span<const CountField> fields)
      : p_(text.data()), end_(text.data() + text.size()), fields_(fields) {}

  // One object at the start of the text; `rest` is what follows it.
  std::optional<Counts> read(std::string_view& rest) {
    if (!object(0, {})) return std::nullopt;
    rest = {p_, static_cast<std::size_t>(end_ - p_)};
    return counts_;
  }

 private:
  static constexpr int kMaxDepth = 16;

  void skip_space() {
    if (p_ != end_ && static_cast<unsigned char>(*p_) > ' ') return;  // the usual case
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // The bytes of an 8-byte word that end a plain string (a quote, a backslash, a control or
  // non-ASCII byte), as the high bit of each: exact, no carry crosses a byte.
  static std::uint64_t string_stops(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101u, kLow7 = kOnes * 0x7F, kHigh = kOnes * 0x80;
    const auto equal = [&](std::uint64_t c) {
      const std::uint64_t x = w ^ (kOnes * c);
      return ~(((x & kLow7) + kLow7) | x) & kHigh;
    };
    const std::uint64_t at_least_space = (w & kLow7) + kOnes * (0x80 - 0x20);
    return ((~at_least_space | w) & kHigh) | equal('"') | equal('\\');
  }

  // A string with no escape, control or non-ASCII byte; `p_` is past its opening quote.
  bool plain_string(std::string_view& out) {
    const char* begin = p_;
    for (;;) {
      if (std::endian::native != std::endian::little || end_ - p_ < 8) {
        while (p_ != end_ && !kStringStop[static_cast<unsigned char>(*p_)]) ++p_;
        break;
      }
      std::uint64_t word;
      std::memcpy(&word, p_, 8);
      if (const std::uint64_t stops = string_stops(word); stops != 0) {
        p_ += __builtin_ctzll(stops) / 8;  // little-endian: the first byte is the lowest
        break;
      }
      p_ += 8;
    }
    if (p_ == end_ || *p_ != '"') return false;
    out = {begin, static_cast<std::size_t>(p_ - begin)};
    ++p_;
    return true;
  }

  // A JSON number (RFC 8259 grammar). `integer` is set when it is a plain integer of at most
  // 15 digits (below 2^53: exact in any reader).
  bool number(std::optional<std::int64_t>& integer) {
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const auto length = static_cast<std::size_t>(p_ - digits);
    bool plain = true;
    if (p_ != end_ && *p_ == '.') {
      plain = false;
      if (++p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      plain = false;
      if (++p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    integer.reset();
    if (plain && length <= 15) {
      std::int64_t n = 0;
      for (std::size_t i = 0; i < length; ++i) n = n * 10 + (digits[i] - '0');
      integer = negative ? -n : n;
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  // Any value, read for its validity only.
  bool value(int depth) {
    skip_space();
    if (p_ == end_) return false;
    std::string_view ignored;
    std::optional<std::int64_t> no_count;
    switch (*p_) {
      case '{':
        return object(depth, {}, /*wanted=*/false);
      case '[':
        return array(depth);
      case '"':
        ++p_;
        return plain_string(ignored);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(no_count);
    }
  }

  bool array(int depth) {
    if (depth >= kMaxDepth) return false;
    ++p_;
    if (eat(']')) return true;
    do {
      if (!value(depth + 1)) return false;
    } while (eat(','));
    return eat(']');
  }

  // An object; `parent` is its key in the usage object (empty: the usage object itself), and
  // `wanted` whether its keys are looked up in the table at all.
  bool object(int depth, std::string_view parent, bool wanted = true) {
    if (depth >= kMaxDepth || !eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string_view key;
      if (!eat('"') || !plain_string(key) || !eat(':')) return false;
      const CountField* field = nullptr;
      bool holds_fields = false;
      if (wanted) {
        // A key twice: a tree keeps one of them; which one is not this reader's to guess.
        const std::size_t bit = classify(parent, key, field, holds_fields);
        if (bit < 64) {
          if ((seen_ >> bit) & 1u) return false;
          seen_ |= std::uint64_t{1} << bit;
        }
      }
      skip_space();
      if (field != nullptr && p_ != end_ && (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))) {
        std::optional<std::int64_t> n;
        if (!number(n) || !n) return false;
        counts_[field->count] = *n;
      } else if (holds_fields && p_ != end_ && *p_ == '{') {
        if (!object(depth + 1, key)) return false;
      } else if (!value(depth + 1)) {
        return false;  // (a wanted key holding no number counts 0, as in the tree)
      }
    } while (eat(','));
    return eat('}');
  }

  // What `key` (in the object under `parent`) is to the table: a count's field, or the parent
  // of some (in the usage object itself). Returns its bit in seen_: the field's index, or the
  // first field under the parent after all fields; 64 for a key of no interest.
  std::size_t classify(std::string_view parent, std::string_view key, const CountField*& field,
                       bool& holds_fields) const {
    if (key.empty()) return 64;  // no count's key, and no parent of counts
    // Length and first letter first: most keys of a usage object are no count at all.
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const CountField& f = fields_[i];
      if (f.key.size() == key.size() && f.key[0] == key[0] && f.parent == parent && f.key == key) {
        field = &f;
        return i;
      }
    }
    if (!parent.empty()) return 64;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const std::string_view p = fields_[i].parent;
      if (p.size() == key.size() && p[0] == key[0] && p == key) {
        holds_fields = true;
        return fields_.size() + i;
      }
    }
    return 64;
  }

  const char* p_;
  const char* end_;
  std::span<const CountField> fields_;
  Counts counts_{};
  std::uint64_t seen_ = 0;
};

}  // namespace

ir::TokenUsage read_usage(Dialect dialect, const json::object& usage) {
  Counts counts{};
  for (const auto& f : fields_of(dialect)) {
    const json::object* holder = f.parent.empty() ? &usage : obj(usage, f.parent);
    if (holder != nullptr) counts[f.count] = int_or(*holder, f.key);
  }
  return finish(dialect, counts);
}

std::optional<ir::TokenUsage> scan_usage_prefix(Dialect dialect, std::string_view text,
                                                std::string_view& rest) {
  const auto counts = UsageText(text, fields_of(dialect)).read(rest);
  if (!counts) return std::nullopt;
  return finish(dialect, *counts);
}

std::optional<ir::TokenUsage> scan_usage(Dialect dialect, std::string_view usage_text) {
  std::string_view rest;
  auto usage = scan_usage_prefix(dialect, usage_text, rest);
  if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
  return usage;
}

ir::TokenUsage read_chat_usage(const json::object& usage) {
  return read_usage(Dialect::kOpenAiChat, usage);
}
ir::TokenUsage read_anthropic_usage(const json::object& usage) {
  return read_usage(Dialect::kAnthropicMessages, usage);
}
ir::TokenUsage read_gemini_usage(const json::object& usage_metadata) {
  return read_usage(Dialect::kGoogleGemini, usage_metadata);
}

}  // namespace aigw::translate::detail
