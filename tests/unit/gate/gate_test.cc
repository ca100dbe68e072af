// The gate: each check on its own (with the real limiters, tracker and verifier behind it),
// and the order the checks of every route run in.
#include "gate/gate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "../auth/auth_test_support.h"
#include "auth/client_secret.h"

namespace aigw::gate {
namespace {

using enum Check;
using router::RouteKind;

constexpr const char* kInvoke = "https://gateway.internal/invoke";
constexpr const char* kAdmin = "https://gateway.internal/admin";

std::vector<Check> list(RouteKind kind, Endpoint endpoint = Endpoint::kChatCompletions) {
  const auto checks = checks_for(router::Route{kind, endpoint, {}});
  return {checks.begin(), checks.end()};
}

std::ptrdiff_t position(const std::vector<Check>& checks, Check c) {
  const auto it = std::find(checks.begin(), checks.end(), c);
  return it == checks.end() ? -1 : it - checks.begin();
}

// --- the order ---------------------------------------------------------------------------

TEST(GateOrderTest, AnApiRequestPassesEveryCheckInOrder) {
  EXPECT_EQ(list(RouteKind::kApi),
            (std::vector<Check>{kIpWindow, kAuthentication, kBody, kAdmission, kRequest, kBudget,
                                kRateLimits}));
  EXPECT_EQ(list(RouteKind::kApi, Endpoint::kMessages), list(RouteKind::kApi));
  EXPECT_EQ(list(RouteKind::kApi, Endpoint::kResponses), list(RouteKind::kApi));
}

TEST(GateOrderTest, CountTokensAndModelsReserveNoUsage) {
  EXPECT_EQ(list(RouteKind::kApi, Endpoint::kCountTokens),
            (std::vector<Check>{kIpWindow, kAuthentication, kBody, kAdmission, kRequest}));
  EXPECT_EQ(list(RouteKind::kApi, Endpoint::kModels),
            (std::vector<Check>{kIpWindow, kAuthentication, kBody, kAdmission}));
}

TEST(GateOrderTest, OtherRoutesPassOnlyWhatTheyNeed) {
  EXPECT_TRUE(list(RouteKind::kHealth).empty());  // the load balancer's probe: never refused
  EXPECT_EQ(list(RouteKind::kAdmin), (std::vector<Check>{kIpWindow, kAdminAuthentication, kBody}));
  EXPECT_EQ(list(RouteKind::kOAuthToken), (std::vector<Check>{kIpWindow, kTokenBody}));
  EXPECT_EQ(list(RouteKind::kBudget), (std::vector<Check>{kIpWindow, kAuthentication}));
  EXPECT_EQ(list(RouteKind::kProviders), (std::vector<Check>{kIpWindow, kAuthentication}));
  // The dashboard's files hold no data (its data comes from the admin API): no token needed.
  for (auto kind : {RouteKind::kJwks, RouteKind::kOpenIdConfig, RouteKind::kUi,
                    RouteKind::kNotFound, RouteKind::kMethodNotAllowed}) {
    EXPECT_EQ(list(kind), (std::vector<Check>{kIpWindow})) << static_cast<int>(kind);
  }
}

// What must hold of every route's list, whatever routes are added later.
TEST(GateOrderTest, EveryRouteKeepsTheInvariants) {
  const std::vector<router::Route> routes = {{RouteKind::kApi, Endpoint::kChatCompletions, {}},
                                             {RouteKind::kApi, Endpoint::kCountTokens, {}},
                                             {RouteKind::kApi, Endpoint::kModels, {}},
                                             {RouteKind::kApi, Endpoint::kEmbeddings, {}},
                                             {RouteKind::kAdmin, {}, {}},
                                             {RouteKind::kOAuthToken, {}, {}},
                                             {RouteKind::kBudget, {}, {}},
                                             {RouteKind::kProviders, {}, {}},
                                             {RouteKind::kJwks, {}, {}},
                                             {RouteKind::kNotFound, {}, {}}};
  for (const auto& route : routes) {
    const auto c = checks_for(route);
    const std::vector<Check> checks(c.begin(), c.end());
    SCOPED_TRACE(std::to_string(static_cast<int>(route.kind)) + "/" +
                 std::to_string(static_cast<int>(route.endpoint)));
    ASSERT_FALSE(checks.empty());
    EXPECT_EQ(checks.front(), kIpWindow);  // the cheapest, anonymous check first
    const auto auth =
        std::max(position(checks, kAuthentication), position(checks, kAdminAuthentication));
    // A body is read only once the caller is known (the token endpoint's own form aside).
    if (position(checks, kBody) >= 0) {
      EXPECT_GT(position(checks, kBody), auth);
    }
    // Usage is reserved last: after the request is read, budget before the per-minute limits.
    if (position(checks, kBudget) >= 0) {
      EXPECT_GT(position(checks, kBudget), position(checks, kRequest));
      EXPECT_EQ(position(checks, kRateLimits), position(checks, kBudget) + 1);
    }
    if (position(checks, kRequest) >= 0) {
      EXPECT_GT(position(checks, kRequest), position(checks, kAdmission));
    }
    EXPECT_EQ(std::set<Check>(checks.begin(), checks.end()).size(), checks.size());  // each once
  }
}

TEST(GateOrderTest, EveryCheckHasAName) {
  for (Check c : {kIpWindow, kAuthentication, kAdminAuthentication, kBody, kTokenBody, kAdmission,
                  kRequest, kBudget, kRateLimits}) {
    EXPECT_NE(check_name(c), "unknown");
  }
}

// --- the IP window -------------------------------------------------------------------------

TEST(GateIpWindowTest, WithoutALimiterEveryoneIsWithin) {
  EXPECT_FALSE(check_ip_window(nullptr, "203.0.113.5", 0));
}

TEST(GateIpWindowTest, TheRequestOverTheLimitIsRefusedWithRetryAfter) {
  limits::SlidingWindowLimiter limiter(2, std::chrono::minutes(5));
  EXPECT_FALSE(check_ip_window(&limiter, "203.0.113.5", 1000));
  EXPECT_FALSE(check_ip_window(&limiter, "203.0.113.5", 1000));
  const auto refused = check_ip_window(&limiter, "203.0.113.5", 1000);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  ASSERT_TRUE(refused->retry_after);
  EXPECT_GE(*refused->retry_after, 1);
  EXPECT_FALSE(check_ip_window(&limiter, "203.0.113.6", 1000));  // another address
}

TEST(GateIpWindowTest, AnIpv6NetworkSharesOneWindow) {
  limits::SlidingWindowLimiter limiter(1, std::chrono::minutes(5));
  const limits::IpLimitSettings settings;  // ipv6_prefix 64
  const auto window = [&](std::string_view ip) {
    return check_ip_window(
        &limiter, limits::rate_limit_key(ip, settings.ipv4_prefix, settings.ipv6_prefix), 0);
  };
  EXPECT_FALSE(window("2001:db8:1:2::1"));
  EXPECT_TRUE(window("2001:db8:1:2:ffff::9"));  // same /64
  EXPECT_FALSE(window("2001:db8:1:3::1"));      // the next /64
}

// --- authentication ------------------------------------------------------------------------

class GateAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::AuthSettings s;
    s.keys_dir = dir_ / "keys";
    s.clients = {{"ci-bot", "platform", auth::hash_secret("s3cret", 1000), {kInvoke}}};
    service_ = auth::AuthService::create(s, notices_);
  }
  std::string token() {
    const auto r = service_->issuer()->token_request(
        "application/x-www-form-urlencoded", "grant_type=client_credentials",
        auth::testing::basic_header("ci-bot", "s3cret"), kNow);
    return std::string(boost::json::parse(r.body).at("access_token").as_string());
  }
  static constexpr std::int64_t kNow = auth::testing::kTestNow;
  auth::testing::TempDir dir_;
  std::vector<std::string> notices_;
  std::shared_ptr<auth::AuthService> service_;
};

TEST_F(GateAuthTest, WithAuthOffEveryCallerPasses) {
  EXPECT_TRUE(std::holds_alternative<auth::Principal>(
      check_authentication(nullptr, {}, kInvoke, kNow, true)));
}

TEST_F(GateAuthTest, NoTokenIsRefusedWithWwwAuthenticate) {
  const auto d = check_authentication(service_.get(), {}, kInvoke, kNow, true);
  ASSERT_TRUE(std::holds_alternative<ApiError>(d));
  const auto& e = std::get<ApiError>(d);
  EXPECT_EQ(e.status, 401);
  ASSERT_FALSE(e.headers.empty());
  EXPECT_EQ(e.headers.front().first, "WWW-Authenticate");
}

TEST_F(GateAuthTest, AValidTokenPassesAsItsClientAndTeam) {
  const std::string bearer = "Bearer " + token();
  const auto d =
      check_authentication(service_.get(), {bearer, std::nullopt}, kInvoke, kNow + 1, true);
  ASSERT_TRUE(std::holds_alternative<auth::Principal>(d));
  EXPECT_EQ(std::get<auth::Principal>(d).client_id, "ci-bot");
  EXPECT_EQ(std::get<auth::Principal>(d).team, "platform");
  // The same token as x-api-key (Anthropic clients).
  const std::string raw = token();
  EXPECT_TRUE(std::holds_alternative<auth::Principal>(
      check_authentication(service_.get(), {std::nullopt, raw}, kInvoke, kNow + 1, true)));
}

TEST_F(GateAuthTest, AMissingScopeIs403AndAForgedTokenIs401) {
  const std::string bearer = "Bearer " + token();
  const auto admin =
      check_authentication(service_.get(), {bearer, std::nullopt}, kAdmin, kNow + 1, true);
  ASSERT_TRUE(std::holds_alternative<ApiError>(admin));
  EXPECT_EQ(std::get<ApiError>(admin).status, 403);
  const std::string forged = bearer.substr(0, bearer.size() - 4) + "AAAA";
  const auto bad =
      check_authentication(service_.get(), {forged, std::nullopt}, kInvoke, kNow + 1, true);
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  EXPECT_EQ(std::get<ApiError>(bad).status, 401);
}

TEST(GateAdminWithoutAuthTest, RefusedUnlessLoopbackIsOptedInAndTheCallerIsLocal) {
  auth::AuthSettings settings;
  EXPECT_FALSE(check_admin_without_auth(settings, true, "203.0.113.5",
                                        false));  // auth on: the token decides
  const auto refused = check_admin_without_auth(settings, false, "127.0.0.1", false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->message.find("auth.enabled: true"), std::string::npos) << refused->message;
  settings.admin_without_auth = auth::AdminWithoutAuth::kLoopback;
  EXPECT_FALSE(check_admin_without_auth(settings, false, "127.0.0.1", false));
  EXPECT_FALSE(check_admin_without_auth(settings, false, "::1", false));
  EXPECT_FALSE(check_admin_without_auth(settings, false, "::ffff:127.0.0.1", false));
  EXPECT_TRUE(check_admin_without_auth(settings, false, "203.0.113.5", false));
  EXPECT_TRUE(
      check_admin_without_auth(settings, false, "127.0.0.1", true));  // relayed by a local proxy
}

// --- admission -----------------------------------------------------------------------------

TEST(GateAdmissionTest, OverMaxInFlightIs503AndTheSlotIsGivenBack) {
  std::atomic<std::uint64_t> counter{0};
  InFlightSlot a, b, c;
  EXPECT_FALSE(check_admission(counter, 2, 3, a));
  EXPECT_FALSE(check_admission(counter, 2, 3, b));
  const auto refused = check_admission(counter, 2, 3, c);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->retry_after, 3);
  EXPECT_EQ(counter.load(), 2u);
  a.release();
  EXPECT_EQ(counter.load(), 1u);
  EXPECT_FALSE(check_admission(counter, 2, 3, c));  // a slot is free again
}

TEST(GateAdmissionTest, ASlotIsGivenBackWhenTheRequestEnds) {
  std::atomic<std::uint64_t> counter{0};
  {
    InFlightSlot slot;
    EXPECT_FALSE(check_admission(counter, 1, 1, slot));
    EXPECT_EQ(counter.load(), 1u);
  }
  EXPECT_EQ(counter.load(), 0u);
}

// --- budget and per-minute limits ------------------------------------------------------------

class GateUsageTest : public ::testing::Test {
 protected:
  GateUsageTest() : teams_(budgets_, nullptr) {}
  budget::TimePoint now() const { return budget::to_seconds(std::chrono::system_clock::now()); }
  Charge charge_for(std::string_view team, std::string_view client = "ci-bot") {
    Charge c;
    identify(c, team, client, "203.0.113.5", limits_, teams_);
    return c;
  }
  budget::BudgetTracker budgets_;
  budget::TeamDirectory teams_;
  limits::LimitsSettings limits_;
  limits::RateLimiter limiter_;
};

TEST_F(GateUsageTest, ACallerWithoutATokenIsChargedToTheDefaultTeamAsItsNetwork) {
  Charge c;
  identify(c, "", "", "2001:db8:1:2::/64", limits_, teams_);
  EXPECT_EQ(c.team, kDefaultTeam);
  EXPECT_EQ(c.client, "2001:db8:1:2::/64");
  const Charge named = charge_for("platform");
  EXPECT_EQ(named.team, "platform");
  EXPECT_EQ(named.client, "ci-bot");
}

TEST_F(GateUsageTest, TheBudgetReservesTheEstimateAndRefusesOnceReservationsReachIt) {
  budgets_.set_budget("platform", budget::TeamBudget{100, std::nullopt, {}});
  Charge first = charge_for("platform");
  EXPECT_FALSE(check_budget(budgets_, first, now(),
                            {150, 0}));  // a lone request larger than what is left passes
  EXPECT_TRUE(first.budget_reservation.active());
  EXPECT_FALSE(first.headers.empty());
  Charge second = charge_for("platform");
  const auto refused = check_budget(budgets_, second, now(), {10, 0});  // 150 in flight >= 100
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_FALSE(second.budget_reservation.active());
  first.release();
  EXPECT_FALSE(check_budget(budgets_, second, now(), {10, 0}));  // the reservation went back
}

TEST_F(GateUsageTest, ARateLimitRefusalGivesTheBudgetReservationBack) {
  limits_.client = limits::RateLimits{1, 0};
  budgets_.set_budget("platform", budget::TeamBudget{1000, std::nullopt, {}});
  Charge first = charge_for("platform");
  ASSERT_FALSE(check_budget(budgets_, first, now(), {10, 0}));
  EXPECT_FALSE(check_rate_limits(limiter_, first, 0, 10));
  Charge second = charge_for("platform");
  ASSERT_FALSE(check_budget(budgets_, second, now(), {10, 0}));
  const auto refused = check_rate_limits(limiter_, second, 0, 10);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_FALSE(second.budget_reservation.active());
  EXPECT_TRUE(first.budget_reservation.active());
}

TEST_F(GateUsageTest, TokensPerMinuteCountTheReservationsInFlight) {
  limits_.team = limits::RateLimits{0, 100};
  Charge first = charge_for("platform");
  EXPECT_FALSE(check_rate_limits(limiter_, first, 0, 120));  // alone, larger than the limit: passes
  Charge second = charge_for("platform", "other");
  const auto refused = check_rate_limits(limiter_, second, 0, 80);  // 120 reserved >= 100
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  first.release();
  EXPECT_FALSE(check_rate_limits(limiter_, second, 0, 80));
}

}  // namespace
}  // namespace aigw::gate
