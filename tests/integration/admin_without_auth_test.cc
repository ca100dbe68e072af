// The admin API while auth is off (issue 9, item 7): refused by default, whatever the route and
// method, and nothing is changed; served to direct loopback peers only with the explicit
// `auth.admin_without_auth: loopback`, which aigw warns about at start.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTeam = R"({"budget":{"tokens":100,"period":"daily"}})";

bool lists_team(const HttpResponse& teams, const std::string& name) {
  if (teams.status != 200) return false;
  const auto v = teams.json();
  for (const auto& t : v.at("data").as_array()) {
    if (t.at("name").as_string() == name) return true;
  }
  return false;
}

TEST(AdminWithoutAuthTest, RefusedByDefaultAndNothingIsCreated) {
  const TempDir state;
  AigwOptions options;
  options.dir = state.path();
  {
    AigwProcess gw("auth: { enabled: false }\n", options);
    const auto put = http_request(gw.port(), "PUT", "/admin/teams/x",
                                  {{"Content-Type", "application/json"}}, kTeam);
    EXPECT_TRUE(is_openai_error(
        put, 403, "the admin API needs authentication: enable auth (auth.enabled: true)"))
        << put.body;
    // Every admin route, whatever the method.
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/admin/teams"},
                                                          {"POST", "/admin/teams/x/budget"},
                                                          {"GET", "/admin/usage"},
                                                          {"GET", "/admin/clients"},
                                                          {"POST", "/admin/keys/rotate"}}) {
      EXPECT_EQ(http_request(gw.port(), method, path, {{"Content-Type", "application/json"}}, "{}")
                    .status,
                403)
          << method << " " << path;
    }
    // The API itself stays open (auth is off).
    EXPECT_EQ(http_request(gw.port(), "GET", "/v1/budget").status, 200);
  }
  // A gateway on the same state that may read the admin API: no team x was stored.
  AigwProcess again("auth: { enabled: false, admin_without_auth: loopback }\n", options);
  const auto teams = http_request(again.port(), "GET", "/admin/teams");
  ASSERT_EQ(teams.status, 200) << teams.body;
  EXPECT_FALSE(lists_team(teams, "x")) << teams.body;
}

// Waits until aigw's stderr (read by another thread) contains `needle`.
bool wait_for_stderr(const AigwProcess& gw, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (gw.stderr_text().find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(AdminWithoutAuthTest, LoopbackOptInServesDirectLocalCallersAndWarns) {
  AigwProcess gw("auth: { enabled: false, admin_without_auth: loopback }\n");
  EXPECT_TRUE(
      wait_for_stderr(gw, "aigw: warning: auth is off and auth.admin_without_auth is loopback"))
      << gw.stderr_text();
  const auto put = http_request(gw.port(), "PUT", "/admin/teams/x",
                                {{"Content-Type", "application/json"}}, kTeam);
  EXPECT_EQ(put.status, 201) << put.body;
  EXPECT_TRUE(lists_team(http_request(gw.port(), "GET", "/admin/teams"), "x"));
  // Through a local proxy the caller is someone else: refused.
  for (const char* header : {"X-Forwarded-For", "Forwarded"}) {
    const auto proxied =
        http_request(gw.port(), "PUT", "/admin/teams/y",
                     {{"Content-Type", "application/json"}, {header, "for=203.0.113.9"}}, kTeam);
    EXPECT_TRUE(is_openai_error(proxied, 403, "the admin API needs authentication"))
        << header << ": " << proxied.body;
  }
  EXPECT_FALSE(lists_team(http_request(gw.port(), "GET", "/admin/teams"), "y"));
}

TEST(AdminWithoutAuthTest, ValueOtherThanRefuseOrLoopbackStopsStartUp) {
  EXPECT_THROW(AigwProcess("auth: { enabled: false, admin_without_auth: everyone }\n"),
               std::runtime_error);
}

}  // namespace
}  // namespace aigw::testing
