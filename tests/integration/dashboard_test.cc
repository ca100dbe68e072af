// The dashboard over real sockets: its files need no token and carry a strict CSP; the
// admin routes behind it (recent requests, providers) need the admin scope and show no body
// or token. The page itself is tested in a real browser (tests/e2e/dashboard.test.mjs).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

using namespace std::chrono_literals;

class DashboardTest : public ::testing::Test {
 protected:
  FakeUpstream openai_{
      [](const UpstreamRequest&) { return Reply::json(200, openai_chat_answer("hello", 10, 5)); }};
  AigwProcess gw_{providers_yaml(&openai_) +
                  "auth: { enabled: false, admin_without_auth: loopback }\n"};
};

TEST_F(DashboardTest, TheFilesAreServedWithoutATokenAndWithAStrictPolicy) {
  const auto redirect = http_request(gw_.port(), "GET", "/ui");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.header("location"), "/ui/");
  const auto page = http_request(gw_.port(), "GET", "/ui/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  const auto script = http_request(gw_.port(), "GET", "/ui/app.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
  const auto head = http_request(gw_.port(), "HEAD", "/ui/app.css");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http_request(gw_.port(), "GET", "/ui/../admin/usage").status, 404);
  EXPECT_EQ(http_request(gw_.port(), "POST", "/ui/", {}, "x").status, 405);

  const auto settings = http_request(gw_.port(), "GET", "/ui/settings.json");
  ASSERT_EQ(settings.status, 200);
  const auto s = boost::json::parse(settings.body).as_object();
  EXPECT_EQ(s.at("auth"), false);
  EXPECT_EQ(s.at("admin_scope"), "https://gateway.internal/admin");
}

TEST_F(DashboardTest, RecentRequestsAreTheApiCallsNewestFirstWithoutBodies) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http_request(gw_.port(), "POST", "/v1/chat/completions", with_provider("openai"),
                           chat_request())
                  .status,
              200);
  }
  http_request(gw_.port(), "GET", "/");  // a probe: not an API request
  const auto refused = http_request(gw_.port(), "POST", "/v1/chat/completions",
                                    with_provider("openai"), R"({"model":"a<b","messages":[]})");
  EXPECT_EQ(refused.status, 400);

  // A request is listed once its answer is done with, just after its last byte went out:
  // the refusal's record may trail the answer this test already read.
  HttpResponse r;
  boost::json::array list;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    r = http_request(gw_.port(), "GET", "/admin/requests?limit=3");
    ASSERT_EQ(r.status, 200) << r.body;
    list = boost::json::parse(r.body).at("data").as_array();
  } while (!(list.size() == 3 && list[0].at("status") == 400) &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r.body.find("hello"), std::string::npos) << "no answer body: " << r.body;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("status"), 400);
  EXPECT_EQ(list[1].at("status"), 200);
  EXPECT_EQ(list[1].at("provider"), "openai");
  EXPECT_EQ(list[1].at("input_tokens"), 10);
  EXPECT_EQ(list[1].at("path"), "/v1/chat/completions");

  EXPECT_EQ(http_request(gw_.port(), "GET", "/admin/requests?limit=0").status, 400);
  EXPECT_EQ(http_request(gw_.port(), "GET", "/admin/requests?limit=9999").status, 400);
  EXPECT_EQ(http_request(gw_.port(), "GET", "/admin/requests?since=1").status, 400);
  EXPECT_EQ(http_request(gw_.port(), "DELETE", "/admin/requests").status, 405);
}

TEST_F(DashboardTest, ProvidersShowTheirBreakerAndNoKeys) {
  const auto r = http_request(gw_.port(), "GET", "/admin/providers");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto list = boost::json::parse(r.body).at("data").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("name"), "openai");
  EXPECT_EQ(list[0].at("breaker").at("state"), "closed");
  EXPECT_EQ(r.body.find("api_key"), std::string::npos);
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << "no upstream URL: " << r.body;
}

// With auth on, the admin routes behind the page need the admin scope like the rest.
TEST(DashboardAuthTest, TheAdminRoutesBehindThePageNeedAToken) {
  AigwProcess gw("providers:\n  mock: {}\nauth:\n  builtin_issuer: { keys_dir: ./keys }\n");
  EXPECT_EQ(http_request(gw.port(), "GET", "/ui/").status, 200);
  EXPECT_EQ(http_request(gw.port(), "GET", "/admin/requests").status, 401);
  EXPECT_EQ(http_request(gw.port(), "GET", "/admin/providers").status, 401);
  const auto settings =
      boost::json::parse(http_request(gw.port(), "GET", "/ui/settings.json").body);
  EXPECT_EQ(settings.at("auth"), true);
  EXPECT_EQ(settings.at("token_endpoint"), "/oauth2/token");
}

}  // namespace
}  // namespace aigw::testing
