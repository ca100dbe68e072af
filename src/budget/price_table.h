// USD prices per million tokens (input, output, cached input) per provider/model, and the cost
// of a request's Usage. A model the table does not know costs 0 and is reported as unpriced:
// a missing or wrong price entry must never block a request (only the USD budget uses cost).
//
// Lookup, first match wins:
//   1. "provider/model" entries (config `prices: "openai/gpt-4o": …`), then
//   2. bare "model" entries (config overrides replace the built-in ones of the same name),
// each by exact name, then by the longest entry that is a prefix of the model followed by a
// dated or versioned suffix: "gpt-4o-2024-08-06", "claude-sonnet-4-20250514",
// "claude-3-5-haiku@20241022", "gemini-2.0-flash-001", "…-latest". A different model that
// merely shares a prefix ("gpt-4o-mini-audio-preview", "gpt-4.1-nano") is not priced as it.
// A vendor path in the model ("openai/gpt-4o" via OpenRouter, "models/gemini-2.5-pro") is
// also tried without it. Names compare case-insensitively.
#pragma once

#include <string>
#include <string_view>

#include "core/money.h"
#include "core/string_map.h"
#include "core/usage.h"

namespace aigw::budget {

struct ModelPrice {
  double input = 0;         // USD per million input tokens (not served from cache)
  double output = 0;        // USD per million output tokens
  double cached_input = 0;  // USD per million cached input tokens
  bool operator==(const ModelPrice&) const = default;
};

struct Cost {
  Micros micros = 0;      // rounded to the micro-dollar once, here
  bool priced = false;    // false: no entry matched; micros is 0
  std::string price_key;  // the entry used, e.g. "gpt-4o" (for reports and debugging)
};

class PriceTable {
 public:
  PriceTable() = default;
  // The built-in list prices (as of 2025; override in config, providers change them).
  static PriceTable builtin();

  // `key` is "provider/model" or "model"; replaces an entry of the same key.
  void set(std::string_view key, const ModelPrice& price);
  // The entry for a request, or nullptr; `matched` (when given) receives its key.
  const ModelPrice* find(std::string_view provider, std::string_view model,
                         std::string* matched = nullptr) const;
  // input_tokens include cached ones (core/usage.h): they are charged at the cached price.
  Cost cost(std::string_view provider, std::string_view model, const Usage& usage) const;

  std::size_t size() const { return prices_.size(); }

 private:
  const ModelPrice* find_model(std::string_view prefix, std::string_view model,
                               std::string* matched) const;

  // Keys in lower case. Hashed: a request's charge tries up to a dozen names (scoped and bare,
  // each cut at its version suffixes), twice per request.
  StringMap<ModelPrice> prices_;
};

}  // namespace aigw::budget
