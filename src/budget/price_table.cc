// The built-in price list and the provider/model lookup with dated-suffix prefix matching.
#include "budget/price_table.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/text.h"

namespace aigw::budget {
namespace {

struct BuiltinPrice {
  const char* model;
  ModelPrice price;
};

// List prices in USD per million tokens as of 2025, from the providers' pricing pages.
// Providers change them: override in config (`prices:`), do not rely on these for billing.
// Gemini 2.5 Pro: the <=200k-token-prompt tier. Cache writes are not charged extra here.
constexpr BuiltinPrice kBuiltinPrices[] = {
    {"gpt-4o", {2.50, 10.00, 1.25}},
    {"gpt-4o-mini", {0.15, 0.60, 0.075}},
    {"gpt-4.1", {2.00, 8.00, 0.50}},
    {"gpt-4.1-mini", {0.40, 1.60, 0.10}},
    {"o3", {2.00, 8.00, 0.50}},
    {"o4-mini", {1.10, 4.40, 0.275}},
    {"claude-sonnet-4", {3.00, 15.00, 0.30}},
    {"claude-opus-4", {15.00, 75.00, 1.50}},
    {"claude-3-5-haiku", {0.80, 4.00, 0.08}},
    {"gemini-2.0-flash", {0.10, 0.40, 0.025}},
    {"gemini-2.5-flash", {0.30, 2.50, 0.075}},
    {"gemini-2.5-pro", {1.25, 10.00, 0.31}},
};

bool is_separator(char c) { return c == '-' || c == '@' || c == ':' || c == '_'; }

// What may follow a priced name and still be the same model: a date or version number
// ("-2024-08-06", "@20241022", "-001", "-4-5"), "-latest" or "-preview…".
bool is_version_suffix(std::string_view rest) {
  if (rest.size() < 2 || !is_separator(rest[0])) return false;
  rest.remove_prefix(1);
  if (std::isdigit(static_cast<unsigned char>(rest[0]))) return true;
  return rest == "latest" || rest.starts_with("preview");
}

}  // namespace

PriceTable PriceTable::builtin() {
  PriceTable t;
  for (const auto& p : kBuiltinPrices) t.set(p.model, p.price);
  return t;
}

void PriceTable::set(std::string_view key, const ModelPrice& price) {
  prices_.insert_or_assign(lower_copy(key), price);
}

// Names are looked up in a buffer on the stack (a longer one on the heap): a lookup runs for
// every request twice (its estimate and its charge) and allocates nothing.
const ModelPrice* PriceTable::find_model(std::string_view prefix, std::string_view model,
                                         std::string* matched) const {
  char small[192];
  std::string large;
  const std::size_t size = prefix.size() + model.size();
  char* const key = size <= sizeof small ? small : (large.resize(size), large.data());
  std::memcpy(key, prefix.data(), prefix.size());
  std::memcpy(key + prefix.size(), model.data(), model.size());
  const auto lookup = [&](std::size_t length) -> const ModelPrice* {
    const auto it = prices_.find(std::string_view(key, length));
    if (it == prices_.end()) return nullptr;
    if (matched) *matched = it->first;
    return &it->second;
  };
  if (const auto* p = lookup(size)) return p;
  // Longest first: cut the model at each separator from the right.
  for (std::size_t i = model.size(); i-- > 1;) {
    if (!is_separator(model[i]) || !is_version_suffix(model.substr(i))) continue;
    if (const auto* p = lookup(prefix.size() + i)) return p;
  }
  return nullptr;
}

const ModelPrice* PriceTable::find(std::string_view provider, std::string_view model,
                                   std::string* matched) const {
  if (model.empty()) return nullptr;
  // "provider/model" lower-cased in one buffer: the scoped name, and the model after the slash.
  char small[192];
  std::string large;
  const std::size_t size = provider.size() + 1 + model.size();
  char* const text = size <= sizeof small ? small : (large.resize(size), large.data());
  std::transform(provider.begin(), provider.end(), text, ascii_lower);
  text[provider.size()] = '/';
  std::transform(model.begin(), model.end(), text + provider.size() + 1, ascii_lower);
  const std::string_view scoped(text, provider.size() + 1);
  const std::string_view m(text + scoped.size(), model.size());
  const auto scoped_or_bare = [&](std::string_view name) -> const ModelPrice* {
    if (name.empty()) return nullptr;
    if (!provider.empty()) {
      if (const auto* p = find_model(scoped, name, matched)) return p;
    }
    return find_model("", name, matched);
  };
  if (const auto* p = scoped_or_bare(m)) return p;
  // "openai/gpt-4o" through OpenRouter, "models/gemini-2.5-pro": also the last path part.
  const auto slash = m.rfind('/');
  return slash == std::string_view::npos ? nullptr : scoped_or_bare(m.substr(slash + 1));
}

Cost PriceTable::cost(std::string_view provider, std::string_view model, const Usage& usage) const {
  Cost c;
  const ModelPrice* p = find(provider, model, &c.price_key);
  if (p == nullptr) return c;
  const auto cached = std::clamp<std::int64_t>(usage.cached_tokens, 0, usage.input_tokens);
  const double uncached =
      static_cast<double>(std::max<std::int64_t>(usage.input_tokens - cached, 0));
  c.micros = micros_from_usd(
      (uncached * p->input + static_cast<double>(cached) * p->cached_input +
       static_cast<double>(std::max<std::int64_t>(usage.output_tokens, 0)) * p->output) /
      1e6);
  c.priced = true;
  return c;
}

}  // namespace aigw::budget
