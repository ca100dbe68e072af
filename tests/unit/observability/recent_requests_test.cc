#include "observability/recent_requests.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace aigw::observability {
namespace {

AccessRecord record(int n) {
  AccessRecord r;
  r.request_id = std::to_string(n);
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.status = 200;
  return r;
}

boost::json::array newest(const RecentRequests& recent, std::size_t limit) {
  return boost::json::parse(recent.newest_json(limit)).as_array();
}

TEST(RecentRequestsTest, NewestFirstAsAccessLogLines) {
  RecentRequests recent(10);
  EXPECT_EQ(recent.newest_json(5), "[]");
  for (int i = 1; i <= 3; ++i) recent.add(record(i), 1'764'000'000'000 + i);
  const auto all = newest(recent, 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].at("request_id"), "3");
  EXPECT_EQ(all[2].at("request_id"), "1");
  EXPECT_EQ(all[0].at("type"), "access");
  EXPECT_EQ(all[0].at("path"), "/v1/chat/completions");
  EXPECT_EQ(newest(recent, 2).size(), 2u);
}

TEST(RecentRequestsTest, KeepsOnlyItsCapacityWhateverTheTraffic) {
  RecentRequests recent(4);
  for (int i = 1; i <= 1000; ++i) recent.add(record(i), 0);
  const auto list = newest(recent, 100);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].at("request_id"), "1000");
  EXPECT_EQ(list[3].at("request_id"), "997");
  EXPECT_EQ(recent.capacity(), 4u);
}

}  // namespace
}  // namespace aigw::observability
