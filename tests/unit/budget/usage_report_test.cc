// Usage report renderings (JSON, CSV) and the group_by / day parsing the admin API uses.
#include "budget/usage_report.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace aigw::budget {
namespace {

std::vector<ReportRow> rows() {
  ReportRow a;
  a.team = "platform";
  a.model = "gpt-4o";
  a.input_tokens = 100;
  a.output_tokens = 10;
  a.cached_tokens = 5;
  a.requests = 2;
  a.cost_micros = 250'000;
  ReportRow b;
  b.team = "=cmd|' /C calc'!A0";  // a formula someone slipped into a name
  b.model = "odd, \"quoted\" model";
  b.input_tokens = 1;
  b.requests = 1;
  b.unpriced_requests = 1;
  return {a, b};
}

TEST(BudgetReportTest, JsonHasTheGroupsRowsAndTotals) {
  const auto doc =
      boost::json::parse(render_report_json(rows(), {ReportField::kTeam, ReportField::kModel}))
          .as_object();
  EXPECT_EQ(doc.at("group_by").as_array().size(), 2u);
  const auto& list = doc.at("rows").as_array();
  ASSERT_EQ(list.size(), 2u);
  const auto& first = list[0].as_object();
  EXPECT_EQ(first.at("team").as_string(), "platform");
  EXPECT_EQ(first.at("model").as_string(), "gpt-4o");
  EXPECT_FALSE(first.contains("client"));  // not grouped by
  EXPECT_EQ(first.at("input_tokens").as_int64(), 100);
  EXPECT_DOUBLE_EQ(first.at("cost_usd").as_double(), 0.25);
  const auto& totals = doc.at("totals").as_object();
  EXPECT_EQ(totals.at("input_tokens").as_int64(), 101);
  EXPECT_EQ(totals.at("requests").as_int64(), 3);
  EXPECT_EQ(totals.at("unpriced_requests").as_int64(), 1);
}

TEST(BudgetReportTest, CsvQuotesFieldsAndDefusesFormulas) {
  const std::string csv = render_report_csv(rows(), {ReportField::kTeam, ReportField::kModel});
  EXPECT_EQ(csv,
            "team,model,input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,"
            "cost_usd,estimated_requests,estimated_tokens\r\n"
            "platform,gpt-4o,100,10,5,2,0,0.250000,0,0\r\n"
            "'=cmd|' /C calc'!A0,\"odd, \"\"quoted\"\" model\",1,0,0,1,1,0.000000,0,0\r\n");
  EXPECT_EQ(render_report_csv({}, {ReportField::kDay}),
            "day,input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,cost_usd,"
            "estimated_requests,estimated_tokens\r\n");
}

TEST(BudgetReportTest, GroupByParsesKnownFieldsOnly) {
  const auto g = parse_group_by("team, model,day,team");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(*g,
            (std::vector<ReportField>{ReportField::kTeam, ReportField::kModel, ReportField::kDay}));
  EXPECT_FALSE(parse_group_by("team,secret").has_value());
  EXPECT_FALSE(parse_group_by("").has_value());
  EXPECT_FALSE(parse_group_by("team;DROP TABLE").has_value());
}

TEST(BudgetReportTest, DaysMustBeRealDates) {
  EXPECT_TRUE(valid_day("2026-11-24"));
  EXPECT_TRUE(valid_day("2028-02-29"));
  EXPECT_FALSE(valid_day("2027-02-29"));
  EXPECT_FALSE(valid_day("2026-13-01"));
  EXPECT_FALSE(valid_day("2026-11-24' OR 1=1"));
  EXPECT_FALSE(valid_day("26-11-24"));
}

}  // namespace
}  // namespace aigw::budget
