// Budgets with the built-in issuer, end to end: teams from tokens. A team's request limit shared
// by its clients, GET /v1/budget for the token's team, the admin API with its scope, a raised
// budget surviving a restart, the usage report in JSON and CSV, and exact totals under
// concurrency. The fixture (BudgetAuthTest, its clients and secrets): support/budget_fixture.h.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/budget_fixture.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// --- 4. rate limits with auth: the team is the token's --------------------------------------

TEST_F(BudgetAuthTest, TeamRequestLimitRefusesTheFourthAndSparesAnotherTeam) {
  auto gw = start_with_auth(
      "teams:\n  alpha: { limits: { requests_per_minute: 3 } }\n"
      "  beta: { limits: { requests_per_minute: 3 } }\n");
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string alpha_two = fetch_token(gw->port(), "alpha-two", secret_of("alpha-two"));
  const std::string beta = fetch_token(gw->port(), "beta-bot", secret_of("beta-bot"));
  ASSERT_FALSE(alpha.empty());
  ASSERT_FALSE(beta.empty());
  for (int i = 0; i < 3; ++i) {
    const auto r = chat(*gw, chat_request(),
                        bearer(i == 1 ? alpha_two : alpha));  // the team's, not the client's
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "3");
    EXPECT_EQ(r.header("x-ratelimit-remaining-requests"), std::to_string(2 - i));
  }
  const auto refused = chat(*gw, chat_request(), bearer(alpha));
  EXPECT_TRUE(is_openai_error(
      refused, 429, "team \"alpha\" is over its limit of 3 requests per minute; retry in "));
  EXPECT_EQ(refused.json().at("error").at("type"), "rate_limit_error");
  const std::string retry = refused.header("retry-after");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoll(retry), 1);
  EXPECT_LE(std::stoll(retry), 120);  // up to two windows (see above)
  EXPECT_NE(refused.error_message().find("retry in " + retry + "s"), std::string::npos)
      << refused.body;
  EXPECT_TRUE(is_anthropic_error(messages(*gw, messages_request(), bearer(alpha_two)), 429,
                                 "team \"alpha\" is over its limit of 3 requests per minute"));
  EXPECT_EQ(openai_.requests().size(), 3u);  // the refused ones were not forwarded
  EXPECT_EQ(anthropic_.requests().size(), 0u);

  const auto other = chat(*gw, chat_request(), bearer(beta));
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.header("x-ratelimit-remaining-requests"), "2");
  EXPECT_EQ(openai_.requests().size(), 4u);
}

// --- 5. GET /v1/budget ------------------------------------------------------------------------

TEST_F(BudgetAuthTest, BudgetEndpointNeedsATokenAndReportsTheTokensTeam) {
  auto gw = start_with_auth("teams:\n  alpha: { budget: { tokens: 1000, period: daily } }\n");
  EXPECT_EQ(http_request(gw->port(), "GET", "/v1/budget").status, 401);
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string beta = fetch_token(gw->port(), "beta-bot", secret_of("beta-bot"));
  ASSERT_EQ(chat(*gw, chat_request(), bearer(alpha)).status, 200);
  ASSERT_EQ(chat(*gw, chat_request(), bearer(beta)).status, 200);  // another team's usage

  const UtcDay day = utc_today();
  const auto r = http_request(gw->port(), "GET", "/v1/budget", bearer(alpha));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = r.json();
  EXPECT_EQ(b.at("team"), "alpha");
  EXPECT_EQ(b.at("client_id"), "alpha-bot");
  EXPECT_EQ(int_at(b.at("budget"), "tokens"), 1000);
  EXPECT_EQ(b.at("budget").at("period"), "daily");
  EXPECT_EQ(b.at("period"), json::value(day.key));
  EXPECT_EQ(int_at(b.at("used"), "tokens"), kIn + kOut);
  EXPECT_EQ(int_at(b.at("used"), "requests"), 1);
  EXPECT_NEAR(double_at(b.at("used"), "usd"), (kIn * 2.5 + kOut * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(int_at(b.at("remaining"), "tokens"), 1000 - kIn - kOut);
  EXPECT_EQ(b.at("resets_at"), json::value(day.reset_at));
  EXPECT_EQ(b.at("exhausted"), false);
  EXPECT_EQ(r.header("x-aigw-budget-remaining-tokens"), std::to_string(1000 - kIn - kOut));

  // A team without a budget: its usage all the same, no budget.
  const auto rb = http_request(gw->port(), "GET", "/v1/budget", bearer(beta));
  ASSERT_EQ(rb.status, 200) << rb.body;
  EXPECT_EQ(rb.json().at("team"), "beta");
  EXPECT_TRUE(rb.json().at("budget").is_null()) << rb.body;
  EXPECT_EQ(int_at(rb.json().at("used"), "tokens"), kIn + kOut);
  EXPECT_FALSE(rb.has_header("x-aigw-budget-limit-tokens"));
}

// --- 6. the admin API --------------------------------------------------------------------------

TEST_F(BudgetAuthTest, AdminNeedsItsScopeAndARaisedBudgetServesAgainAndSurvivesARestart) {
  const TempDir state;
  AigwOptions in_state;
  in_state.dir = state.path();
  const std::string teams = "teams:\n  alpha: { budget: { tokens: 15, period: daily } }\n";
  const std::string raise = R"({"tokens":1000})";
  {
    auto gw = start_with_auth(teams, in_state);
    const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
    const std::string ops = fetch_token(gw->port(), "ops", secret_of("ops"), kAdminScope);
    ASSERT_FALSE(alpha.empty());
    ASSERT_FALSE(ops.empty());

    // The invoke scope does not open the admin API.
    for (const char* path : {"/admin/teams", "/admin/teams/alpha", "/admin/usage?group_by=team"}) {
      const auto r = http_request(gw->port(), "GET", path, bearer(alpha));
      EXPECT_EQ(r.status, 403) << path << ": " << r.body;
      EXPECT_NE(r.body.find(kAdminScope), std::string::npos) << path << ": " << r.body;
      EXPECT_EQ(http_request(gw->port(), "GET", path).status, 401) << path;
    }
    const auto sneaky =
        http_request(gw->port(), "POST", "/admin/teams/alpha/budget", bearer(alpha), raise);
    EXPECT_EQ(sneaky.status, 403) << sneaky.body;

    const auto listed = http_request(gw->port(), "GET", "/admin/teams", bearer(ops));
    ASSERT_EQ(listed.status, 200) << listed.body;
    bool found = false;
    const auto listed_json = listed.json();
    for (const auto& t : listed_json.at("data").as_array()) {
      if (t.at("name") != "alpha") continue;
      found = true;
      EXPECT_EQ(int_at(t.at("budget"), "tokens"), 15) << t;
    }
    EXPECT_TRUE(found) << listed.body;

    ASSERT_EQ(chat(*gw, chat_request(), bearer(alpha)).status, 200);
    const auto refused = chat(*gw, chat_request(), bearer(alpha));
    ASSERT_TRUE(is_openai_error(refused, 429, "team \"alpha\" used 15 of its 15 tokens"));

    const auto raised =
        http_request(gw->port(), "POST", "/admin/teams/alpha/budget", bearer(ops), raise);
    ASSERT_EQ(raised.status, 200) << raised.body;
    EXPECT_EQ(int_at(raised.json().at("budget"), "tokens"), 1000) << raised.body;
    EXPECT_EQ(raised.json().at("budget").at("period"), "daily")
        << "the period is kept: " << raised.body;
    EXPECT_EQ(int_at(raised.json().at("usage"), "tokens"), 15) << raised.body;

    const auto served = chat(*gw, chat_request(), bearer(alpha));
    EXPECT_EQ(served.status, 200) << served.body;
    EXPECT_EQ(served.header("x-aigw-budget-limit-tokens"), "1000");
    EXPECT_EQ(served.header("x-aigw-budget-remaining-tokens"), "985");
    EXPECT_EQ(openai_.requests().size(), 2u);

    gw->send_signal(SIGTERM);
    ASSERT_EQ(gw->wait_exit(10s), 0);
  }
  // Same state dir, same config file: the raised budget and the usage come back.
  auto gw = start_with_auth(teams, in_state);
  const std::string alpha = fetch_token(gw->port(), "alpha-bot", secret_of("alpha-bot"));
  const std::string ops = fetch_token(gw->port(), "ops", secret_of("ops"), kAdminScope);
  const auto team = http_request(gw->port(), "GET", "/admin/teams/alpha", bearer(ops));
  ASSERT_EQ(team.status, 200) << team.body;
  EXPECT_EQ(int_at(team.json().at("budget"), "tokens"), 1000) << team.body;
  EXPECT_EQ(int_at(team.json().at("usage"), "tokens"), 30) << team.body;
  EXPECT_EQ(int_at(team.json().at("usage"), "requests"), 2) << team.body;
  const auto again = chat(*gw, chat_request(), bearer(alpha));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.header("x-aigw-budget-remaining-tokens"), "970");

  // The report: what the provider reported, by team and model.
  const auto report = usage_report(gw->port(), "group_by=team,model", bearer(ops));
  ASSERT_TRUE(report.is_object());
  const auto& rows = report.at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u) << report;
  EXPECT_EQ(rows[0].at("team"), "alpha");
  EXPECT_EQ(rows[0].at("model"), "gpt-4o");
  EXPECT_EQ(int_at(rows[0], "input_tokens"), 3 * kIn);
  EXPECT_EQ(int_at(rows[0], "output_tokens"), 3 * kOut);
  EXPECT_EQ(int_at(rows[0], "requests"), 3);
  EXPECT_EQ(int_at(rows[0], "unpriced_requests"), 0);
  EXPECT_EQ(report.at("group_by"), (json::array{"team", "model"}));

  const auto csv =
      http_request(gw->port(), "GET", "/admin/usage?group_by=team,model&format=csv", bearer(ops));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("content-type").rfind("text/csv", 0), 0u) << csv.header("content-type");
  EXPECT_EQ(
      csv.body,
      "team,model,input_tokens,output_tokens,cached_tokens,requests,unpriced_requests,cost_usd,"
      "estimated_requests,estimated_tokens\r\n"
      "alpha,gpt-4o,30,15,0,3,0,0.000225,0,0\r\n");
  EXPECT_EQ(http_request(gw->port(), "GET", "/admin/usage?format=csv", bearer(alpha)).status, 403);
}

// --- 7. concurrency ------------------------------------------------------------------------------

TEST_F(BudgetAuthTest, ConcurrentRequestsFromSeveralTeamsAreCountedExactly) {
  // The provider reports what the request asks for ("usage P C" in its text), so the test knows
  // every count; it also sums what it served.
  std::mutex mutex;
  std::int64_t served_in = 0;
  std::int64_t served_out = 0;
  std::int64_t served = 0;
  FakeUpstream openai([&](const UpstreamRequest& r) {
    // (std::regex trips GCC 12's -Wmaybe-uninitialized.)
    const auto at = r.body.find("usage ");
    int in = 0;
    int out = 0;
    if (at == std::string::npos ||
        std::sscanf(r.body.c_str() + at, "usage %d %d", &in, &out) != 2) {
      return Reply::json(400, R"({"error":{"message":"no usage"}})");
    }
    {
      std::lock_guard lock(mutex);
      served_in += in;
      served_out += out;
      ++served;
    }
    return Reply::json(200, openai_chat_answer("ok", in, out));
  });
  AigwProcess gw(providers_yaml(&openai) + auth_yaml() +
                 "teams:\n  alpha: { budget: { tokens: 100000000, period: daily } }\n");
  const std::vector<std::string> clients = {"alpha-bot", "alpha-two", "beta-bot", "gamma-bot"};
  std::vector<std::string> tokens;
  for (const auto& c : clients) tokens.push_back(fetch_token(gw.port(), c, secret_of(c)));
  for (const auto& t : tokens) ASSERT_FALSE(t.empty());
  const std::map<std::string, std::string> team_of = {
      {"alpha-bot", "alpha"}, {"alpha-two", "alpha"}, {"beta-bot", "beta"}, {"gamma-bot", "gamma"}};

  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  struct Sum {
    std::int64_t in = 0, out = 0, requests = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Sum> expected;  // team, client, model
  std::mutex expected_mutex;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string& client = clients[static_cast<std::size_t>(t) % clients.size()];
      const std::string& token = tokens[static_cast<std::size_t>(t) % clients.size()];
      HttpConnection conn(gw.port(), 10s);
      for (int i = 0; i < kPerThread; ++i) {
        const int k = t * kPerThread + i;
        const int in = 1 + k % 17;
        const int out = 1 + k % 11;
        const std::string model = k % 3 == 0 ? "gpt-4o-mini" : "gpt-4o";
        const auto r = conn.request(
            "POST", "/v1/chat/completions", with_provider("openai", bearer(token)),
            chat_request(model, "", "usage " + std::to_string(in) + " " + std::to_string(out)));
        if (r.status != 200 ||
            r.body.find("\"prompt_tokens\":" + std::to_string(in)) == std::string::npos) {
          ++failures;
          continue;
        }
        std::lock_guard lock(expected_mutex);
        auto& s = expected[{team_of.at(client), client, model}];
        s.in += in;
        s.out += out;
        ++s.requests;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(served, kThreads * kPerThread);
  }

  const auto report =
      usage_report(gw.port(), "group_by=team,client,model",
                   bearer(fetch_token(gw.port(), "ops", "ops-secret", kAdminScope)));
  ASSERT_TRUE(report.is_object());
  const auto& totals = report.at("totals");
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(int_at(totals, "input_tokens"), served_in);
    EXPECT_EQ(int_at(totals, "output_tokens"), served_out);
    EXPECT_EQ(int_at(totals, "requests"), served);
  }
  std::map<std::tuple<std::string, std::string, std::string>, Sum> ledger;
  for (const auto& row : report.at("rows").as_array()) {
    auto& s =
        ledger[{std::string(row.at("team").as_string()), std::string(row.at("client").as_string()),
                std::string(row.at("model").as_string())}];
    s.in = int_at(row, "input_tokens");
    s.out = int_at(row, "output_tokens");
    s.requests = int_at(row, "requests");
  }
  ASSERT_EQ(ledger.size(), expected.size()) << report;
  for (const auto& [key, want] : expected) {
    const auto it = ledger.find(key);
    ASSERT_NE(it, ledger.end()) << std::get<0>(key) << "/" << std::get<1>(key) << "/"
                                << std::get<2>(key);
    EXPECT_EQ(it->second.in, want.in) << std::get<1>(key) << " " << std::get<2>(key);
    EXPECT_EQ(it->second.out, want.out) << std::get<1>(key) << " " << std::get<2>(key);
    EXPECT_EQ(it->second.requests, want.requests) << std::get<1>(key) << " " << std::get<2>(key);
  }
  // The in-memory counters agree with the ledger.
  std::map<std::string, std::int64_t> team_tokens;
  for (const auto& [key, s] : expected) team_tokens[std::get<0>(key)] += s.in + s.out;
  for (std::size_t c : {0u, 2u, 3u}) {
    const auto r = http_request(gw.port(), "GET", "/v1/budget", bearer(tokens[c]));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(int_at(r.json().at("used"), "tokens"), team_tokens[team_of.at(clients[c])])
        << clients[c];
  }
}

}  // namespace
}  // namespace aigw::testing
