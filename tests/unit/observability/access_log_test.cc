// The access log line.
#include <gtest/gtest.h>

#include "observability/access_log.h"

namespace aigw::observability {
namespace {

TEST(AccessLogTest, RecordIsOneJsonLineWithPlainMillis) {
  AccessRecord r;
  r.request_id = "abc";
  r.method = "POST";
  r.path = "/v1/messages";
  r.status = 200;
  r.latency_ms = 2.5;
  r.upstream_latency_ms = 1.25;
  r.usage = {10, 20, 0, true};
  const std::string line = format_access_record(r, 1'764'000'000'123);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\"latency_ms\":2.500"), std::string::npos) << line;
  EXPECT_NE(line.find("\"upstream_latency_ms\":1.250"), std::string::npos) << line;
  EXPECT_NE(line.find("\"input_tokens\":10"), std::string::npos) << line;
  EXPECT_NE(line.find("\"time\":\"2025-11-24T"), std::string::npos) << line;
}

}  // namespace
}  // namespace aigw::observability
