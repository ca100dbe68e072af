// The access log line.
#include "observability/access_log.h"

#include <gtest/gtest.h>

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

TEST(AccessLogTest, LineHasEveryFieldInOrderWithJsonEscapes) {
  AccessRecord r;
  r.request_id = "req-1";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.provider = "openai";
  r.model = "gpt-4o";
  r.client_id = "c1";
  r.team = "t";
  r.client_ip = "127.0.0.1";
  r.status = 502;
  r.stream = true;
  r.bytes_in = 12;
  r.bytes_out = 3456;
  r.usage = {7, 8, 2, true};
  r.error = "bad \"quote\"\n\ttab\x01\x1f é \\ /\b\f\r";
  r.latency_ms = 1234567.8915;
  r.upstream_latency_ms = 0.0004;
  EXPECT_EQ(
      format_access_record(r, 1'764'000'000'123),
      R"({"type":"access","time":"2025-11-24T16:00:00.123Z","request_id":"req-1","method":"POST",)"
      R"("path":"/v1/chat/completions","provider":"openai","model":"gpt-4o","client_id":"c1",)"
      R"("team":"t","client_ip":"127.0.0.1","status":502,"stream":true,"bytes_in":12,)"
      R"("bytes_out":3456,"input_tokens":7,"output_tokens":8,"cached_tokens":2,)"
      R"("error":"bad \"quote\"\n\ttab\u0001\u001f é \\ /\b\f\r","latency_ms":1234567.891,)"
      R"("upstream_latency_ms":0.000})");
}

TEST(AccessLogTest, OptionalFieldsAreLeftOutAndLongPathsCapped) {
  AccessRecord r;
  r.method = "GET";
  r.path = std::string(600, 'a');
  r.status = 404;
  r.latency_ms = 2.0005;
  EXPECT_EQ(format_access_record(r, 0),
            R"({"type":"access","time":"1970-01-01T00:00:00.000Z","request_id":"","method":"GET",)"
            R"("path":")" +
                std::string(512, 'a') +
                R"(…","status":404,"stream":false,"bytes_in":0,"bytes_out":0,"latency_ms":2.001})");
}

}  // namespace
}  // namespace aigw::observability
