// Conditions of the conditional strategy: each operator, the combinators, missing fields, and
// a pattern that backtracks forever giving up instead of hanging the worker.
#include "routing/conditions.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace aigw::routing {
namespace {

namespace json = boost::json;

bool matches(std::string_view query, std::string_view body, std::string_view metadata = "{}") {
  auto q = Query::parse(json::parse(query), "q");
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
  if (!q.ok()) return false;
  const json::object params = json::parse(body).as_object();
  const json::object meta = json::parse(metadata).as_object();
  return (*q)->matches({&params, &meta});
}

TEST(ConditionsTest, EachOperator) {
  const char* body = R"({"model":"gpt-4o","max_tokens":300,"metadata":{"tier":"gold"}})";
  EXPECT_TRUE(matches(R"({"params.model":{"$eq":"gpt-4o"}})", body));
  EXPECT_TRUE(matches(R"({"params.model":"gpt-4o"})", body));  // a bare value is $eq
  EXPECT_FALSE(matches(R"({"params.model":{"$ne":"gpt-4o"}})", body));
  EXPECT_TRUE(matches(R"({"params.model":{"$in":["a","gpt-4o"]}})", body));
  EXPECT_TRUE(matches(R"({"params.model":{"$nin":["a","b"]}})", body));
  EXPECT_TRUE(matches(R"({"params.max_tokens":{"$gt":299}})", body));
  EXPECT_TRUE(matches(R"({"params.max_tokens":{"$gte":300.0}})", body));
  EXPECT_FALSE(matches(R"({"params.max_tokens":{"$lt":300}})", body));
  EXPECT_TRUE(matches(R"({"params.max_tokens":{"$lte":300}})", body));
  EXPECT_TRUE(matches(R"({"params.model":{"$regex":"^gpt-4"}})", body));
  EXPECT_FALSE(matches(R"({"params.model":{"$regex":"claude"}})", body));
  EXPECT_TRUE(matches(R"({"params.metadata.tier":{"$eq":"gold"}})", body));
  EXPECT_TRUE(matches(R"({"metadata.user":{"$eq":"ann"}})", body, R"({"user":"ann"})"));
}

TEST(ConditionsTest, CombinatorsAndImplicitAnd) {
  const char* body = R"({"model":"gpt-4o","temperature":0.2})";
  EXPECT_TRUE(matches(R"({"params.model":"gpt-4o","params.temperature":{"$lt":0.5}})", body));
  EXPECT_FALSE(matches(R"({"params.model":"gpt-4o","params.temperature":{"$gt":0.5}})", body));
  EXPECT_TRUE(matches(R"({"$or":[{"params.model":"x"},{"params.temperature":{"$lt":1}}]})", body));
  EXPECT_FALSE(
      matches(R"({"$and":[{"params.model":"x"},{"params.temperature":{"$lt":1}}]})", body));
  EXPECT_TRUE(matches(
      R"({"$or":[{"$and":[{"params.model":"gpt-4o"},{"params.temperature":0.2}]},{"params.x":1}]})",
      body));
}

TEST(ConditionsTest, AMissingFieldMatchesOnlyNegations) {
  EXPECT_FALSE(matches(R"({"params.user":{"$eq":"a"}})", "{}"));
  EXPECT_FALSE(matches(R"({"params.user":{"$in":["a"]}})", "{}"));
  EXPECT_TRUE(matches(R"({"params.user":{"$ne":"a"}})", "{}"));
  EXPECT_TRUE(matches(R"({"params.user":{"$nin":["a"]}})", "{}"));
  EXPECT_FALSE(matches(R"({"metadata.plan":{"$eq":"paid"}})", "{}"));
  EXPECT_FALSE(matches(R"({"params.model.inner":{"$eq":"a"}})", R"({"model":"flat"})"));
}

TEST(ConditionsTest, KindsThatCannotBeOrderedDoNotMatch) {
  EXPECT_FALSE(matches(R"({"params.n":{"$gt":1}})", R"({"n":"2"})"));
  EXPECT_TRUE(matches(R"({"params.s":{"$gt":"a"}})", R"({"s":"b"})"));
  EXPECT_FALSE(matches(R"({"params.n":{"$regex":"1"}})", R"({"n":1})"));
}

TEST(ConditionsTest, BadQueriesAreRefusedWithTheirPlace) {
  for (const char* bad : {R"({"body.model":"x"})", R"({"params.":"x"})", R"({"$xor":[]})",
                          R"({"params.m":{"$in":"x"}})", R"({"params.m":{"$regex":"("}})",
                          R"({"params.m":{}})", R"({})"}) {
    auto q = Query::parse(json::parse(bad), "strategy.conditions[0].query");
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_NE(q.error().message.find("strategy.conditions[0].query"), std::string::npos)
        << q.error().message;
  }
  const std::string long_pattern = R"({"params.m":{"$regex":")" + std::string(300, 'a') + "\"}}";
  EXPECT_FALSE(Query::parse(json::parse(long_pattern), "q").ok());
}

// A caller may send both the pattern (inline config) and the text (its body): catastrophic
// backtracking must end in "no match", quickly, not in a hung worker thread.
TEST(ConditionsTest, ARunawayPatternGivesUp) {
  const std::string text(3000, 'a');
  const std::string body = R"({"m":")" + text + "!\"}";
  // Unbounded, this takes 2^3000 steps; the test's timeout is the guard against "forever".
  EXPECT_FALSE(matches(R"({"params.m":{"$regex":"^(a+)+$"}})", body));
  // Text over 4 KiB is never matched.
  EXPECT_FALSE(
      matches(R"({"params.m":{"$regex":"a"}})", R"({"m":")" + std::string(5000, 'a') + "\"}"));
}

}  // namespace
}  // namespace aigw::routing
