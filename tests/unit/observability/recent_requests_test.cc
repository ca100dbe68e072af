#include "observability/recent_requests.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace aigw::observability {
namespace {

std::string line(int n) { return R"({"request_id":")" + std::to_string(n) + R"("})"; }

TEST(RecentRequestsTest, NewestFirstAsAJsonArray) {
  RecentRequests recent(10);
  EXPECT_EQ(recent.newest_json(5), "[]");
  for (int i = 1; i <= 3; ++i) recent.add(line(i));
  EXPECT_EQ(recent.newest_json(10), "[" + line(3) + "," + line(2) + "," + line(1) + "]");
  EXPECT_EQ(recent.newest_json(2), "[" + line(3) + "," + line(2) + "]");
}

TEST(RecentRequestsTest, KeepsOnlyItsCapacityWhateverTheTraffic) {
  RecentRequests recent(4);
  for (int i = 1; i <= 1000; ++i) recent.add(line(i));
  const auto list = boost::json::parse(recent.newest_json(100)).as_array();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].at("request_id"), "1000");
  EXPECT_EQ(list[3].at("request_id"), "997");
  EXPECT_EQ(recent.capacity(), 4u);
}

}  // namespace
}  // namespace aigw::observability
