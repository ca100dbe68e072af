// GET /readyz: what a load balancer or Kubernetes routes by. Ready only with signing keys for
// every trusted issuer (an IdP's JWKS fetched by the probe itself), a ledger that takes writes
// (tests/unit/state) and no drain under way (drain_test.cc); GET / stays the liveness check.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "auth/keys.h"
#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::object body_of(const HttpResponse& r) { return json::parse(r.body).as_object(); }

std::string check(const HttpResponse& r, std::string_view name) {
  return std::string(body_of(r).at("checks").as_object().at(name).as_string());
}

TEST(ReadinessTest, ReadyWithTheBuiltInIssuerAndALedger) {
  AigwProcess gw("");
  const auto r = http_request(gw.port(), "GET", "/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r).at("status"), "ready");
  EXPECT_EQ(check(r, "config"), "ok");
  EXPECT_EQ(check(r, "state"), "ok");
  EXPECT_EQ(check(r, "lifecycle"), "serving");
  EXPECT_EQ(http_request(gw.port(), "HEAD", "/readyz").status, 200);
  const auto post = http_request(gw.port(), "POST", "/readyz", {}, "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
}

// An IdP that is down at start: not ready (and saying which issuer), then ready once the
// probe's own fetch of the JWKS succeeds; tokens were never needed to get there.
TEST(ReadinessTest, NotReadyUntilTheIdpServesItsKeys) {
  const auto key = *auth::SigningKey::generate("RS256");
  const std::string jwks =
      json::serialize(json::object{{"keys", json::array{key.public_key().to_jwk()}}});
  std::atomic<bool> idp_up{false};
  FakeUpstream idp([&](const UpstreamRequest&) {
    return idp_up ? Reply::json(200, jwks) : Reply::json(503, R"({"message":"down"})");
  });
  const std::string url =
      "http://127.0.0.1:" + std::to_string(idp.port()) + "/.well-known/jwks.json";
  AigwProcess gw(
      "auth:\n  jwks_min_refresh: 200ms\n  issuers:\n"
      "    - { issuer: \"https://idp.example\", jwks_url: \"" +
      url + "\" }\n");
  const auto down = http_request(gw.port(), "GET", "/readyz");
  ASSERT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(body_of(down).at("status"), "not_ready");
  EXPECT_NE(check(down, "auth").find("https://idp.example"), std::string::npos) << down.body;
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200) << "liveness is not readiness";
  idp_up = true;
  HttpResponse up;
  for (int i = 0; i < 50 && up.status != 200; ++i) {
    std::this_thread::sleep_for(50ms);  // the probe may fetch once per jwks_min_refresh
    up = http_request(gw.port(), "GET", "/readyz");
  }
  EXPECT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(check(up, "auth"), "ok");
}

}  // namespace
}  // namespace aigw::testing
