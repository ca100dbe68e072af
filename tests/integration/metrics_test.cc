// The Prometheus listener (metrics.listen) against a real aigw: the exposition parsed after
// known traffic — requests by route/provider/model/status, tokens, cost as a plain decimal,
// limits that refused, upstream errors, budgets left, breakers, the state backend — label
// values a caller controls stay bounded, and the API port never serves metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

// "name{labels} value" -> value; the HELP and TYPE lines kept apart by family.
struct Scrape {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
  double value(const std::string& series) const {
    const auto it = samples.find(series);
    if (it == samples.end()) {
      ADD_FAILURE() << "no series " << series;
      return -1;
    }
    return std::stod(it->second);
  }
};

Scrape parse_exposition(const std::string& text) {
  Scrape s;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const auto rest = line.substr(7);
      s.types[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    s.samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return s;
}

class MetricsTest : public ::testing::Test {
 protected:
  std::unique_ptr<AigwProcess> start(const std::string& more_yaml) {
    return std::make_unique<AigwProcess>(
        providers_yaml(&openai_) + "  down: { dialect: openai, base_url: \"http://127.0.0.1:" +
        std::to_string(free_local_port()) +
        "/v1\" }\n"
        "auth: { enabled: false }\n"
        "prices:\n  \"gpt-4o\": { input: 2, output: 8 }\n" +
        more_yaml);
  }
  static std::uint16_t metrics_port(const AigwProcess& gw) {
    return static_cast<std::uint16_t>(
        gw.start_line().at("metrics").as_object().at("port").as_int64());
  }
  static Scrape scrape(const AigwProcess& gw) {
    const auto r = http_request(metrics_port(gw), "GET", "/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.header("content-type").find("text/plain; version=0.0.4"), std::string::npos);
    return parse_exposition(r.body);
  }
  // A request is counted once its answer has gone out, so a scrape right after the answer can
  // come first: this one waits until `requests` requests of the chat route are counted.
  static Scrape scrape_after(const AigwProcess& gw, int requests) {
    const std::string series = R"(aigw_request_duration_seconds_count{route="chat_completions"})";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      Scrape s = scrape(gw);
      const auto it = s.samples.find(series);
      if ((it != s.samples.end() && std::stod(it->second) >= requests) ||
          std::chrono::steady_clock::now() > deadline) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  static HttpResponse chat(const AigwProcess& gw, const std::string& provider = "openai",
                           const std::string& model = "gpt-4o") {
    return http_request(gw.port(), "POST", "/v1/chat/completions", with_provider(provider),
                        chat_request(model));
  }

  FakeUpstream openai_{
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("hello", 10, 5)); }};
};

TEST_F(MetricsTest, KnownTrafficShowsUpInEveryFamily) {
  auto gw = start(
      "metrics: { listen: \"127.0.0.1:0\" }\n"
      "limits: { ip: { requests: 6, window: 60s } }\n"
      "teams:\n  default: { budget: { tokens: 1000, usd: 5, period: monthly } }\n");
  for (int i = 0; i < 4; ++i) ASSERT_EQ(chat(*gw).status, 200);
  EXPECT_EQ(chat(*gw, "nope").status, 400);  // not a provider: no series of its own
  EXPECT_EQ(chat(*gw, "down").status, 502);  // nothing listens there
  EXPECT_EQ(chat(*gw).status, 429);          // the 7th request from this address
  const Scrape s = scrape_after(*gw, 7);

  EXPECT_EQ(s.types.at("aigw_requests_total"), "counter");
  EXPECT_EQ(
      s.value(
          R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="200"})"),
      4);
  EXPECT_EQ(
      s.value(
          R"(aigw_requests_total{route="chat_completions",provider="down",model="gpt-4o",status="502"})"),
      1);
  EXPECT_EQ(
      s.value(R"(aigw_tokens_total{team="default",provider="openai",model="gpt-4o",kind="input"})"),
      40);
  EXPECT_EQ(
      s.value(
          R"(aigw_tokens_total{team="default",provider="openai",model="gpt-4o",kind="output"})"),
      20);
  // 4 answers of 10 input tokens at $2/M and 5 output at $8/M: 4 * 60 micro-dollars, exactly.
  EXPECT_EQ(s.samples.at(R"(aigw_cost_usd_total{team="default"})"), "0.00024");
  EXPECT_EQ(s.value(R"(aigw_rate_limited_total{scope="ip"})"), 1);
  EXPECT_EQ(s.value(R"(aigw_upstream_errors_total{provider="down",kind="connect"})"), 1);
  EXPECT_EQ(s.value("aigw_upstream_attempts_total"), 5);  // four answers and one refused connect

  EXPECT_EQ(s.types.at("aigw_request_duration_seconds"), "histogram");
  EXPECT_EQ(s.value(R"(aigw_request_duration_seconds_count{route="chat_completions"})"), 7);
  EXPECT_EQ(s.value(R"(aigw_request_duration_seconds_bucket{route="chat_completions",le="+Inf"})"),
            7);
  EXPECT_GT(s.value(R"(aigw_request_duration_seconds_sum{route="chat_completions"})"), 0);
  EXPECT_EQ(s.value(R"(aigw_upstream_first_byte_seconds_count{provider="openai"})"), 4);

  EXPECT_EQ(s.value(R"(aigw_budget_remaining_tokens{team="default"})"), 1000 - 60);
  EXPECT_EQ(s.samples.at(R"(aigw_budget_remaining_usd{team="default"})"), "4.99976");
  EXPECT_EQ(s.value("aigw_inflight_requests"), 0);
  EXPECT_EQ(s.value(R"(aigw_breaker_state{provider="openai",state="closed"})"), 1);
  EXPECT_EQ(s.value(R"(aigw_breaker_state{provider="openai",state="open"})"), 0);
  EXPECT_EQ(s.value(R"(aigw_state_backend_up{backend="sqlite"})"), 1);
}

TEST_F(MetricsTest, ModelsACallerInventsCountUnderOtherPastTheCap) {
  auto gw = start("metrics: { listen: \"127.0.0.1:0\", max_label_values: 2 }\n");
  for (const char* model : {"gpt-4o", "gpt-4o-mini", "made-up-1", "made-up-2", "made-up-3"})
    ASSERT_EQ(chat(*gw, "openai", model).status, 200);
  const Scrape s = scrape_after(*gw, 5);
  EXPECT_EQ(
      s.value(
          R"(aigw_requests_total{route="chat_completions",provider="openai",model="gpt-4o",status="200"})"),
      1);
  EXPECT_EQ(
      s.value(
          R"(aigw_requests_total{route="chat_completions",provider="openai",model="other",status="200"})"),
      3);
  for (const auto& [series, value] : s.samples)
    EXPECT_EQ(series.find("made-up"), std::string::npos) << series;
}

TEST_F(MetricsTest, OnlyTheMetricsListenerServesTheExpositionAndOnlyAtItsPath) {
  auto gw = start("metrics: { listen: \"127.0.0.1:0\", path: /prom }\n");
  EXPECT_EQ(http_request(gw->port(), "GET", "/prom").status, 404);  // not on the API port
  EXPECT_EQ(http_request(metrics_port(*gw), "GET", "/metrics").status, 404);
  EXPECT_EQ(http_request(metrics_port(*gw), "POST", "/prom", {}, "x").status, 405);
  const auto ok = http_request(metrics_port(*gw), "GET", "/prom");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("# TYPE aigw_requests_total counter"), std::string::npos);
  EXPECT_EQ(http_request(metrics_port(*gw), "HEAD", "/prom").status, 200);
}

TEST_F(MetricsTest, WithoutAMetricsSectionNothingListensAndTheStartLineSaysNothing) {
  auto gw = start("");
  EXPECT_FALSE(gw->start_line().contains("metrics"));
}

}  // namespace
}  // namespace aigw::testing
