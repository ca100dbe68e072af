// The request counters and their exposition: cumulative histogram buckets, exact money,
// escaped and bounded label values, and settings that refuse what a scraper cannot use.
#include "metrics/request_metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/config_node.h"
#include "metrics/exposition.h"
#include "metrics/metrics_settings.h"

namespace aigw::metrics {
namespace {

std::string rendered(const RequestMetrics& m) {
  Exposition out;
  m.render(out);
  return out.text();
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

RequestSample chat(std::string_view model = "gpt-4o", int status = 200, double seconds = 0.02) {
  RequestSample s;
  s.route = "chat_completions";
  s.provider = "openai";
  s.model = model;
  s.team = "platform";
  s.status = status;
  s.seconds = seconds;
  s.upstream_first_byte_seconds = seconds / 2;
  s.input_tokens = 10;
  s.output_tokens = 5;
  s.cost_micros = 60;
  s.attempts = 1;
  return s;
}

TEST(ExpositionTest, LabelValuesAreEscaped) {
  Exposition out;
  out.family("x_total", "counter", "help");
  out.sample("x_total", {{"model", "a\"b\\c\nd"}}, std::uint64_t{3});
  EXPECT_EQ(out.text(),
            "# HELP x_total help\n# TYPE x_total counter\nx_total{model=\"a\\\"b\\\\c\\nd\"} 3\n");
}

TEST(RequestMetricsTest, CountsTokensCostAndCumulativeBuckets) {
  RequestMetrics m;
  m.observe(chat("gpt-4o", 200, 0.02));
  m.observe(chat("gpt-4o", 200, 0.3));
  RequestSample limited = chat("gpt-4o", 429, 0.0001);
  limited.input_tokens = limited.output_tokens = limited.cost_micros = limited.attempts = 0;
  limited.upstream_first_byte_seconds.reset();
  limited.limited_by = "team";
  m.observe(limited);
  m.count_upstream_error("openai", "timeout");
  const std::string text = rendered(m);
  EXPECT_TRUE(has_line(
      text,
      R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="200"} 2)"))
      << text;
  EXPECT_TRUE(has_line(
      text,
      R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="429"} 1)"));
  EXPECT_TRUE(has_line(
      text,
      R"(aigw_tokens_total{team="platform",provider="openai",model="gpt-4o",kind="input"} 20)"));
  EXPECT_TRUE(has_line(text, R"(aigw_cost_usd_total{team="platform"} 0.00012)"));
  EXPECT_TRUE(has_line(text, R"(aigw_rate_limited_total{scope="team"} 1)"));
  EXPECT_TRUE(has_line(text, R"(aigw_upstream_errors_total{provider="openai",kind="timeout"} 1)"));
  EXPECT_TRUE(has_line(text, "aigw_upstream_attempts_total 2"));
  // Buckets are cumulative: 0.0001 s in every one, 0.02 s from le=0.025, 0.3 s from le=0.5.
  EXPECT_TRUE(has_line(
      text, R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="0.001"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="0.025"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="0.25"} 2)"));
  EXPECT_TRUE(has_line(
      text, R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="0.5"} 3)"));
  EXPECT_TRUE(has_line(
      text, R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="+Inf"} 3)"));
  EXPECT_TRUE(has_line(text, R"(aigw_request_duration_seconds_count{route="chat_completions"} 3)"));
  EXPECT_TRUE(has_line(text, R"(aigw_upstream_first_byte_seconds_count{provider="openai"} 2)"));
}

TEST(RequestMetricsTest, CallerChosenValuesAreBoundedCutAndCleaned) {
  RequestMetrics m(2);
  m.observe(chat("gpt-4o"));
  m.observe(chat("claude"));
  for (int i = 0; i < 50; ++i) m.observe(chat("invented-" + std::to_string(i)));
  m.observe(chat("gpt-4o"));  // known values keep their series
  const std::string text = rendered(m);
  EXPECT_EQ(text.find("invented"), std::string::npos);
  EXPECT_TRUE(has_line(
      text,
      R"(aigw_requests_total{route="chat_completions",provider="openai",model="other",status="200"} 50)"));
  EXPECT_TRUE(has_line(
      text,
      R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="200"} 2)"));

  RequestMetrics fresh;
  fresh.observe(chat(std::string(500, 'x') + "\r\nevil"));
  const std::string cut = rendered(fresh);
  EXPECT_NE(cut.find("model=\"" + std::string(64, 'x') + "\""), std::string::npos);
  EXPECT_EQ(cut.find("evil"), std::string::npos);
}

TEST(RequestMetricsTest, ThreadsCountingAtOnceLoseNothing) {
  RequestMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.observe(chat());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(has_line(
      rendered(m),
      R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="200"} 4000)"));
}

TEST(MetricsSettingsTest, ListenTurnsMetricsOnAndBadValuesStopStartUp) {
  const config::EnvLookup env = [](std::string_view) { return std::nullopt; };
  const auto parse = [&](const std::string& yaml) {
    const YAML::Node root = config::parse_yaml(yaml, "test");
    return parse_metrics_settings(config::ConfigNode(root, "", &env).child("metrics"));
  };
  EXPECT_FALSE(parse("other: 1\n").enabled);
  const auto on = parse("metrics: { listen: \"0.0.0.0:9500\" }\n");
  EXPECT_TRUE(on.enabled);
  EXPECT_EQ(on.host, "0.0.0.0");
  EXPECT_EQ(on.port, 9500);
  EXPECT_EQ(on.path, "/metrics");
  EXPECT_THROW(parse("metrics: { listen: \"nope\" }\n"), std::exception);
  EXPECT_THROW(parse("metrics: { listen: \"127.0.0.1:9464\", path: metrics }\n"), std::exception);
  EXPECT_THROW(parse("metrics: { listen: \"127.0.0.1:9464\", max_label_values: 0 }\n"),
               std::exception);
  EXPECT_THROW(parse("metrics: { listen: \"127.0.0.1:9464\", extra: 1 }\n"), std::exception);
}

}  // namespace
}  // namespace aigw::metrics
