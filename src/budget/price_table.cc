// The built-in price list and the provider/model lookup with dated-suffix prefix matching.
#include "budget/price_table.h"

#include <algorithm>
#include <cctype>

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

const ModelPrice* PriceTable::find_model(std::string_view prefix, std::string_view model,
                                         std::string* matched) const {
  std::string key(prefix);
  const std::size_t base = key.size();
  key += model;
  if (auto it = prices_.find(key); it != prices_.end()) {
    if (matched) *matched = it->first;
    return &it->second;
  }
  // Longest first: cut the model at each separator from the right.
  for (std::size_t i = model.size(); i-- > 1;) {
    if (!is_separator(model[i]) || !is_version_suffix(model.substr(i))) continue;
    key.resize(base + i);
    if (auto it = prices_.find(key); it != prices_.end()) {
      if (matched) *matched = it->first;
      return &it->second;
    }
  }
  return nullptr;
}

const ModelPrice* PriceTable::find(std::string_view provider, std::string_view model,
                                   std::string* matched) const {
  if (model.empty()) return nullptr;
  const std::string m = lower_copy(model);
  const std::string scoped = lower_copy(provider) + "/";
  // "openai/gpt-4o" through OpenRouter, "models/gemini-2.5-pro": also the last path part.
  const auto slash = m.rfind('/');
  const std::string_view tail =
      slash == std::string::npos ? std::string_view(m) : std::string_view(m).substr(slash + 1);
  for (std::string_view name : {std::string_view(m), tail}) {
    if (name.empty()) continue;
    if (!provider.empty()) {
      if (const auto* p = find_model(scoped, name, matched)) return p;
    }
    if (const auto* p = find_model("", name, matched)) return p;
  }
  return nullptr;
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
