// An answer's header fields as wire text: set replaces by name whatever its case, values can
// never open a field of their own, numbers are written without printf.
#include "core/header_block.h"

#include <gtest/gtest.h>

namespace aigw {
namespace {

TEST(HeaderBlockTest, FieldsAreWireLinesInTheOrderSet) {
  HeaderBlock h;
  h.set("Content-Type", "application/json");
  h.set("x-request-id", "req_1");
  EXPECT_EQ(h.text(), "Content-Type: application/json\r\nx-request-id: req_1\r\n");
  EXPECT_EQ(h.find("content-type"), "application/json");
  EXPECT_EQ(h.find("X-Request-Id"), "req_1");
  EXPECT_FALSE(h.find("x-request").has_value());
}

TEST(HeaderBlockTest, SettingANameAgainReplacesItWhateverItsCase) {
  HeaderBlock h;
  h.set("retry-after", "1");
  h.set("x-a", "a");
  h.set("Retry-After", "30");
  EXPECT_EQ(h.text(), "x-a: a\r\nRetry-After: 30\r\n");
  const auto fields = h.fields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"Retry-After", "30"}));
}

TEST(HeaderBlockTest, CrLfAndNulInAValueNeverStartAFieldOfTheirOwn) {
  HeaderBlock h;
  h.set("x-request-id", "abc\r\nSet-Cookie: stolen=1");
  h.set("x-b", std::string_view("a\0b", 3));
  h.set("x-evil: injected\r\nx-c", "v");
  EXPECT_EQ(h.fields().size(), 3u);
  EXPECT_EQ(h.find("x-request-id"), "abc  Set-Cookie: stolen=1");
  EXPECT_EQ(h.find("x-b"), "a b");
  EXPECT_FALSE(h.find("set-cookie").has_value());
  EXPECT_EQ(h.text().find("\r\nSet-Cookie"), std::string_view::npos);
}

TEST(HeaderBlockTest, NumbersAndWholeBlocks) {
  HeaderBlock charge;
  charge.set("x-ratelimit-limit-requests", std::int64_t{600});
  charge.set("x-ratelimit-remaining-requests", std::int64_t{-1});
  HeaderBlock answer;
  answer.set_all(charge);  // copied whole into an empty block
  EXPECT_EQ(answer.text(), charge.text());
  answer.set_all(std::vector<std::pair<std::string, std::string>>{
      {"x-ratelimit-limit-requests", "10"}, {"retry-after", "2"}});
  EXPECT_EQ(answer.find("x-ratelimit-limit-requests"), "10");
  EXPECT_EQ(answer.find("x-ratelimit-remaining-requests"), "-1");
  EXPECT_EQ(answer.fields().size(), 3u);
  HeaderBlock merged;
  merged.set("x-ratelimit-remaining-requests", "5");
  merged.set_all(charge);  // not empty: field by field, replacing
  EXPECT_EQ(merged.fields().size(), 2u);
  EXPECT_EQ(merged.find("x-ratelimit-remaining-requests"), "-1");
}

TEST(HeaderBlockTest, NamesKnownWhenCompilingReplaceAndAreReplacedLikeAnyName) {
  static constexpr FieldName kLimit("x-ratelimit-limit-requests");
  static_assert(FieldName::bit_of("X-RateLimit-Limit-Requests") ==
                FieldName::bit_of("x-ratelimit-limit-requests"));
  HeaderBlock h;
  h.set("X-RateLimit-Limit-Requests", "1");
  h.set(kLimit, std::int64_t{600});
  EXPECT_EQ(h.text(), "x-ratelimit-limit-requests: 600\r\n");
  h.set(FieldName("x-request-id"), "abc\r\nSet-Cookie: stolen=1");  // the value is still checked
  EXPECT_EQ(h.find("x-request-id"), "abc  Set-Cookie: stolen=1");
  h.set("x-ratelimit-limit-requests", std::int64_t{-5});
  EXPECT_EQ(h.find("x-ratelimit-limit-requests"), "-5");
  EXPECT_EQ(h.fields().size(), 2u);
}

}  // namespace
}  // namespace aigw
