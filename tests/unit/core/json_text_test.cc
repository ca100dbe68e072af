// Money in aigw's JSON: plain decimals at micro-dollar precision, whatever a float sum left.
#include "core/json_text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace aigw {
namespace {

namespace json = boost::json;

TEST(JsonTextTest, DollarsArePlainDecimalsRoundedToTheMicroDollar) {
  EXPECT_EQ(micros_decimal(0), "0");
  EXPECT_EQ(micros_decimal(99'850), "0.09985");
  EXPECT_EQ(micros_decimal(12'500'000), "12.5");
  EXPECT_EQ(micros_decimal(1), "0.000001");
  EXPECT_EQ(micros_decimal(-2'000'001), "-2.000001");
  EXPECT_EQ(usd_decimal(9.984975000000944E-2), "0.09985");  // not 9.984975000000944E-2
  EXPECT_EQ(usd_decimal(0.1 + 0.2), "0.3");
  double sum = 0;
  for (int i = 0; i < 7; ++i) sum += 0.000105;
  EXPECT_EQ(usd_decimal(sum), "0.000735");
}

TEST(JsonTextTest, DocumentsKeepEverythingButHowMoneyIsWritten) {
  const json::value doc = {{"team", "plat\"form"},
                           {"used", {{"tokens", 150}, {"usd", 0.0}, {"requests", 3}}},
                           {"remaining", {{"usd", 4.99976}, {"tokens", nullptr}}},
                           {"rows", json::array{1.5, true, "x"}}};
  const std::string text = serialize_money_json(doc);
  EXPECT_EQ(text, R"({"team":"plat\"form","used":{"tokens":150,"usd":0,"requests":3},)"
                  R"("remaining":{"usd":4.99976,"tokens":null},"rows":[1.5,true,"x"]})");
  EXPECT_EQ(json::parse(text).at("remaining").at("usd").as_double(), 4.99976);
}

// Every byte, alone and between others, is written as boost::json::serialize writes it: the
// streams' text and the access log use append_json_string where they used the serializer.
TEST(JsonTextTest, AppendedStringsAreTheBytesTheSerializerWrites) {
  std::vector<std::string> texts = {"",
                                    "plain",
                                    "a\"b\\c/d",
                                    "line\nnext\ttab\r\b\f",
                                    "h\xc3\xa9llo \xe6\x97\xa5",
                                    std::string("nul\0in", 6)};
  for (int c = 0; c < 256; ++c) texts.push_back("<" + std::string(1, static_cast<char>(c)) + ">");
  for (const auto& text : texts) {
    std::string out = "x";
    append_json_string(out, text);
    EXPECT_EQ(out, "x" + json::serialize(json::string_view(text.data(), text.size()))) << text;
  }
}

}  // namespace
}  // namespace aigw
