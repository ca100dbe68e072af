// Prices: built-in models with dated suffixes, near-miss names, overrides, and the cost sum.
#include "budget/price_table.h"

#include <gtest/gtest.h>

namespace aigw::budget {
namespace {

std::string matched(const PriceTable& t, std::string_view provider, std::string_view model) {
  std::string key;
  return t.find(provider, model, &key) ? key : "(unpriced)";
}

TEST(PriceTableTest, BuiltinCoversCommonModelsWithDatedSuffixes) {
  const PriceTable t = PriceTable::builtin();
  EXPECT_EQ(matched(t, "openai", "gpt-4o"), "gpt-4o");
  EXPECT_EQ(matched(t, "openai", "gpt-4o-2024-08-06"), "gpt-4o");
  EXPECT_EQ(matched(t, "openai", "gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
  EXPECT_EQ(matched(t, "openai", "gpt-4.1-2025-04-14"), "gpt-4.1");
  EXPECT_EQ(matched(t, "openai", "gpt-4.1-mini"), "gpt-4.1-mini");
  EXPECT_EQ(matched(t, "openai", "o3-2025-04-16"), "o3");
  EXPECT_EQ(matched(t, "openai", "o4-mini-2025-04-16"), "o4-mini");
  EXPECT_EQ(matched(t, "anthropic", "claude-sonnet-4-20250514"), "claude-sonnet-4");
  EXPECT_EQ(matched(t, "anthropic", "claude-opus-4-20250514"), "claude-opus-4");
  EXPECT_EQ(matched(t, "anthropic", "claude-3-5-haiku-latest"), "claude-3-5-haiku");
  EXPECT_EQ(matched(t, "vertex", "claude-3-5-haiku@20241022"), "claude-3-5-haiku");
  EXPECT_EQ(matched(t, "google", "gemini-2.0-flash-001"), "gemini-2.0-flash");
  EXPECT_EQ(matched(t, "google", "gemini-2.5-flash"), "gemini-2.5-flash");
  EXPECT_EQ(matched(t, "google", "models/gemini-2.5-pro"), "gemini-2.5-pro");
  EXPECT_EQ(matched(t, "openrouter", "openai/gpt-4o"), "gpt-4o");
  EXPECT_EQ(matched(t, "openai", "GPT-4o"), "gpt-4o");
}

TEST(PriceTableTest, OtherModelsThatShareAPrefixAreNotPricedAsIt) {
  const PriceTable t = PriceTable::builtin();
  EXPECT_EQ(matched(t, "openai", "gpt-4o-mini-audio-preview"), "(unpriced)");
  EXPECT_EQ(matched(t, "openai", "gpt-4.1-nano"), "(unpriced)");
  EXPECT_EQ(matched(t, "openai", "o3-mini"), "(unpriced)");
  EXPECT_EQ(matched(t, "google", "gemini-2.0-flash-lite"), "(unpriced)");
  EXPECT_EQ(matched(t, "openai", "gpt-4"), "(unpriced)");
}

TEST(PriceTableTest, UnknownModelCostsNothingAndIsReportedUnpriced) {
  const PriceTable t = PriceTable::builtin();
  const Cost c = t.cost("local", "llama3:70b", Usage{1'000'000, 1'000'000, 0, true});
  EXPECT_FALSE(c.priced);
  EXPECT_EQ(c.micros, 0);
  EXPECT_FALSE(t.cost("openai", "", Usage{10, 10, 0, true}).priced);
  EXPECT_FALSE(PriceTable().cost("openai", "gpt-4o", Usage{10, 10, 0, true}).priced);
}

TEST(PriceTableTest, CachedInputIsChargedAtTheCachedPrice) {
  const PriceTable t = PriceTable::builtin();
  // gpt-4o: 600k uncached × $2.50 + 400k cached × $1.25 + 100k output × $10 per million.
  const Cost c = t.cost("openai", "gpt-4o-2024-08-06", Usage{1'000'000, 100'000, 400'000, true});
  EXPECT_TRUE(c.priced);
  EXPECT_EQ(c.micros, 3'000'000);  // $1.5 + $0.5 + $1.0
  EXPECT_EQ(c.price_key, "gpt-4o");
  // More cached than input (a confused provider) is capped, never negative.
  EXPECT_EQ(t.cost("openai", "gpt-4o", Usage{100, 0, 500, true}).micros, 125);  // 100 × $1.25/M
}

TEST(PriceTableTest, ConfigOverridesReplaceBuiltinsAndProviderEntriesWin) {
  PriceTable t = PriceTable::builtin();
  t.set("gpt-4o", {3.0, 12.0, 1.5});
  t.set("Azure/gpt-4o", {5.0, 15.0, 2.5});
  t.set("local/llama3", {0.0, 0.0, 0.0});
  EXPECT_EQ(t.cost("openai", "gpt-4o", Usage{1'000'000, 0, 0, true}).micros, 3'000'000);
  EXPECT_EQ(t.cost("azure", "gpt-4o-2024-11-20", Usage{1'000'000, 0, 0, true}).micros, 5'000'000);
  EXPECT_EQ(matched(t, "azure", "gpt-4o"), "azure/gpt-4o");
  const Cost free = t.cost("local", "llama3", Usage{5, 5, 0, true});
  EXPECT_TRUE(free.priced);  // priced at zero on purpose, not unknown
  EXPECT_EQ(free.micros, 0);
}

}  // namespace
}  // namespace aigw::budget
