// The built-in issuer across replicas sharing Redis: a token from one replica is accepted by
// every other (a replica started later included), a key rotated on one is used and trusted by
// all, and a client added on one can get tokens from another — until it is removed there,
// which revokes its tokens everywhere.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <thread>

#include "auth/base64url.h"
#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/redis_server.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class IssuerReplicasTest : public ::testing::Test {
 protected:
  std::unique_ptr<AigwProcess> replica() {
    AigwOptions options;
    options.disable_auth = false;
    return std::make_unique<AigwProcess>(
        std::string("auth:\n"
                    "  builtin_issuer: { keys_dir: ./keys }\n"
                    "  clients:\n"
                    "    - { client_id: ops, team: ops, client_secret: ops-secret, scopes: [ \"") +
            kInvokeScope + "\", \"" + kAdminScope +
            "\" ] }\n"
            "state: { backend: redis, url: \"" +
            redis_.url() + "\", flush_interval: 20ms }\n",
        std::move(options));
  }
  static int budget_status(const AigwProcess& gw, const std::string& token) {
    return http_request(gw.port(), "GET", "/v1/budget", bearer(token)).status;
  }
  // Polls until `gw` answers `token` with `status` (changes reach a replica at its next sync).
  static bool answers(const AigwProcess& gw, const std::string& token, int status) {
    for (int i = 0; i < 250; ++i) {
      if (budget_status(gw, token) == status) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  static std::string token_or_empty(const AigwProcess& gw, const std::string& client,
                                    const std::string& secret) {
    const auto r = http_request(
        gw.port(), "POST", "/oauth2/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
        "grant_type=client_credentials&client_id=" + client + "&client_secret=" + secret);
    if (r.status != 200) return "";
    return std::string(r.json().at("access_token").as_string());
  }

  RedisServer redis_;
};

TEST_F(IssuerReplicasTest, ATokenFromOneReplicaIsAcceptedByEveryOther) {
  auto a = replica();
  auto b = replica();
  const std::string from_a = fetch_token(a->port(), "ops", "ops-secret");
  const std::string from_b = fetch_token(b->port(), "ops", "ops-secret");
  EXPECT_EQ(budget_status(*b, from_a), 200);
  EXPECT_EQ(budget_status(*a, from_b), 200);
  auto c = replica();  // started later: the same keys
  EXPECT_EQ(budget_status(*c, from_a), 200);
  EXPECT_EQ(http_request(a->port(), "GET", "/.well-known/jwks.json").body,
            http_request(c->port(), "GET", "/.well-known/jwks.json").body);
}

TEST_F(IssuerReplicasTest, AKeyRotatedOnOneReplicaIsUsedAndTrustedByAll) {
  auto a = replica();
  auto b = replica();
  const std::string admin = fetch_token(a->port(), "ops", "ops-secret", kAdminScope);
  const std::string before = fetch_token(a->port(), "ops", "ops-secret");
  const auto rotated = http_request(a->port(), "POST", "/admin/keys/rotate", bearer(admin));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string after = fetch_token(a->port(), "ops", "ops-secret");
  EXPECT_TRUE(answers(*b, after, 200)) << "b never trusted a's new key";
  EXPECT_EQ(budget_status(*b, before), 200);  // the previous key stays trusted
  // b signs with the new key too.
  const auto kid_of = [](const std::string& token) {
    const auto header = auth::base64url_decode(token.substr(0, token.find('.')));
    return header ? json::parse(*header).at("kid") : json::value();
  };
  const json::value new_kid = json::parse(rotated.body).at("kid");
  std::string from_b;
  for (int i = 0; i < 250; ++i) {
    from_b = fetch_token(b->port(), "ops", "ops-secret");
    if (kid_of(from_b) == new_kid) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(kid_of(from_b), new_kid);
  EXPECT_EQ(budget_status(*a, from_b), 200);
}

TEST_F(IssuerReplicasTest, AClientAddedOnOneReplicaWorksOnAnotherUntilRemovedThere) {
  auto a = replica();
  auto b = replica();
  const std::string admin = fetch_token(a->port(), "ops", "ops-secret", kAdminScope);
  const auto added = http_request(
      a->port(), "POST", "/admin/clients", bearer(admin, {{"Content-Type", "application/json"}}),
      std::string(R"({"client_id":"ci-bot","team":"ci","scopes":[")") + kInvokeScope + "\"]}");
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string secret(json::parse(added.body).at("client_secret").as_string());

  std::string token;
  for (int i = 0; i < 250 && token.empty(); ++i) {
    token = token_or_empty(*b, "ci-bot", secret);
    if (token.empty()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(token.empty()) << "b never knew the client added on a";
  EXPECT_EQ(budget_status(*a, token), 200);

  const auto removed = http_request(a->port(), "DELETE", "/admin/clients/ci-bot", bearer(admin));
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(budget_status(*a, token), 401);
  EXPECT_TRUE(answers(*b, token, 401)) << "b still accepts a removed client's token";
  EXPECT_EQ(token_or_empty(*b, "ci-bot", secret), "");
}

}  // namespace
}  // namespace aigw::testing
