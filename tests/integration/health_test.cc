// The load balancer's health check and Claude Code's probe: GET / and HEAD / (and /health)
// answer 200 without a token or a provider; unknown routes get 404 / 405.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

class HealthTest : public ::testing::Test {
 protected:
  AigwProcess gw_{""};
};

TEST_F(HealthTest, GetRootAnswers200WithStatusOkServiceAndVersion) {
  const auto r = http_request(gw_.port(), "GET", "/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  const auto v = r.json();
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_EQ(v.at("status"), "ok");
  EXPECT_EQ(v.at("service"), "aigw");
  EXPECT_TRUE(v.as_object().contains("version"));
}

TEST_F(HealthTest, HeadRootAnswers200WithoutABody) {
  HttpConnection c(gw_.port());
  const auto r = c.request("HEAD", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  // The connection is still usable: no stray body bytes were sent after the HEAD answer.
  EXPECT_EQ(c.request("GET", "/").status, 200);
}

TEST_F(HealthTest, HealthPathAnswersLikeRoot) {
  EXPECT_EQ(http_request(gw_.port(), "GET", "/health").json().at("status"), "ok");
  EXPECT_EQ(http_request(gw_.port(), "HEAD", "/health").status, 200);
}

TEST_F(HealthTest, HealthNeedsNoTokenEvenWithAuthEnabled) {
  AigwProcess gw("auth: { enabled: true, builtin_issuer: { keys_dir: ./keys } }\n");
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
  EXPECT_EQ(http_request(gw.port(), "HEAD", "/").status, 200);
}

TEST_F(HealthTest, EveryResponseCarriesARequestId) {
  EXPECT_FALSE(http_request(gw_.port(), "GET", "/").header("x-request-id").empty());
  EXPECT_FALSE(http_request(gw_.port(), "POST", "/v1/chat/completions", {}, "{}")
                   .header("x-request-id")
                   .empty());
  EXPECT_FALSE(http_request(gw_.port(), "GET", "/nope").header("x-request-id").empty());
  const auto a = http_request(gw_.port(), "GET", "/").header("x-request-id");
  const auto b = http_request(gw_.port(), "GET", "/").header("x-request-id");
  EXPECT_NE(a, b);
}

TEST_F(HealthTest, UnknownPathIs404AndWrongMethodIs405) {
  EXPECT_TRUE(
      is_openai_error(http_request(gw_.port(), "POST", "/v1/nope", {}, "{}"), 404, "no route for"));
  EXPECT_TRUE(is_openai_error(http_request(gw_.port(), "GET", "/v1/chat/completions"), 405,
                              "no route for"));
}

}  // namespace
}  // namespace aigw::testing
