// Identity hygiene (issue 9): plain-http JWKS only on loopback, a warning for issuers without
// an audience, the admin-without-auth setting, the discovery base, the JWKS refresh interval,
// cached tokens whose key left the JWKS, and the bounded pool the token endpoint's secret
// checks run on.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <map>
#include <thread>

#include "auth/auth_settings.h"
#include "auth/bounded_pool.h"
#include "auth/key_set.h"
#include "auth/verifier.h"
#include "auth_test_support.h"
#include "core/config_node.h"

namespace aigw::auth {
namespace {

namespace json = boost::json;
using testing::kTestNow;
using testing::shared_key;

AuthSettings parse(const std::string& yaml) {
  static const config::EnvLookup env = [](std::string_view) -> std::optional<std::string> {
    return std::nullopt;
  };
  const config::ConfigNode root(config::parse_yaml(yaml, "test.yaml"), "", &env);
  return parse_auth_settings(root.child("auth"));
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

std::string with_jwks_url(const std::string& url, const std::string& more = "") {
  return "auth:\n  issuers:\n    - { issuer: \"https://idp\", jwks_url: \"" + url + "\"" + more +
         " }\n";
}

TEST(HygieneSettingsTest, AHostThatOnlyStartsLikeALoopbackAddressIsRefused) {
  // Boost.URL 1.81 parses this host as 127.0.0.1.
  EXPECT_NE(error_of(with_jwks_url("http://127.0.0.1.evil.example/jwks"))
                .find("jwks_url (line 3): must be"),
            std::string::npos);
}

TEST(HygieneSettingsTest, PlainHttpJwksOnlyForLoopbackHosts) {
  for (const char* url :
       {"http://127.0.0.1:9000/jwks", "http://127.8.9.10/jwks", "http://localhost/jwks",
        "http://[::1]:8080/jwks", "https://idp.example/jwks"}) {
    EXPECT_EQ(error_of(with_jwks_url(url, ", audience: gw")), "no error") << url;
  }
  for (const char* url :
       {"http://idp.example/jwks", "http://10.0.0.1/jwks", "http://128.0.0.1/jwks",
        "http://localhost.evil.example/jwks", "http://[::2]/jwks"}) {
    EXPECT_NE(error_of(with_jwks_url(url))
                  .find("jwks_url (line 3): must be https (plain http is accepted only for "
                        "localhost, 127.0.0.0/8 and ::1)"),
              std::string::npos)
        << url << ": " << error_of(with_jwks_url(url));
  }
  EXPECT_NE(error_of(with_jwks_url("ftp://idp/jwks")).find("must be an http(s) URL"),
            std::string::npos);
}

TEST(HygieneSettingsTest, AnIssuerWithoutAudienceIsWarnedAbout) {
  const auto without = parse(with_jwks_url("https://idp.example/jwks"));
  ASSERT_EQ(without.warnings.size(), 1u);
  EXPECT_NE(without.warnings[0].find("auth.issuers[0] (https://idp) has no audience"),
            std::string::npos)
      << without.warnings[0];
  EXPECT_TRUE(parse(with_jwks_url("https://idp.example/jwks", ", audience: gw")).warnings.empty());
}

TEST(HygieneSettingsTest, AdminWithoutAuthIsRefusedUnlessLoopbackIsAskedFor) {
  EXPECT_EQ(parse("auth: { enabled: false }\n").admin_without_auth, AdminWithoutAuth::kRefuse);
  EXPECT_TRUE(parse("auth: { enabled: false }\n").warnings.empty());
  const auto loopback = parse("auth: { enabled: false, admin_without_auth: loopback }\n");
  EXPECT_EQ(loopback.admin_without_auth, AdminWithoutAuth::kLoopback);
  ASSERT_EQ(loopback.warnings.size(), 1u);
  EXPECT_NE(loopback.warnings[0].find("open WITHOUT a token"), std::string::npos);
  EXPECT_NE(error_of("auth: { enabled: false, admin_without_auth: all }\n")
                .find("must be refuse or loopback"),
            std::string::npos);
}

TEST(HygieneSettingsTest, DiscoveryBaseIsTheIssuerUnlessAPublicUrlIsSet) {
  EXPECT_EQ(parse("auth: {}\n").discovery_base(), "http://localhost:8787");
  EXPECT_EQ(
      parse("auth: { builtin_issuer: { issuer: \"https://gw.example\" } }\n").discovery_base(),
      "https://gw.example");
  EXPECT_EQ(parse("auth: { builtin_issuer: { public_url: \"https://gw.example/x/\" } }\n")
                .discovery_base(),
            "https://gw.example/x");
  EXPECT_NE(error_of("auth: { builtin_issuer: { public_url: \"gw.example\" } }\n")
                .find("must be an http(s) URL"),
            std::string::npos);
}

TEST(HygieneSettingsTest, JwksRefreshIntervalAndSecretCheckPool) {
  const auto defaults = parse("auth: {}\n");
  EXPECT_EQ(defaults.jwks_refresh_interval_ms, 300'000);
  EXPECT_EQ(defaults.secret_check_threads, 2);
  EXPECT_EQ(defaults.secret_check_queue, 32);
  const auto set = parse(
      "auth: { jwks_refresh_interval: 2s, builtin_issuer: { secret_check_threads: 1, "
      "secret_check_queue: 0 } }\n");
  EXPECT_EQ(set.jwks_refresh_interval_ms, 2000);
  EXPECT_EQ(set.secret_check_threads, 1);
  EXPECT_EQ(set.secret_check_queue, 0);
  EXPECT_NE(error_of("auth: { jwks_refresh_interval: 10ms }\n").find("must be at least 1s"),
            std::string::npos);
  EXPECT_NE(
      error_of("auth: { builtin_issuer: { secret_check_threads: 0 } }\n").find("must be 1 to 64"),
      std::string::npos);
}

json::object claims() {
  return {{"iss", "https://idp"}, {"sub", "svc"}, {"scope", "s"}, {"exp", kTestNow + 600}};
}

std::map<std::string, PublicKey> keys_of(std::initializer_list<const SigningKey*> keys) {
  std::map<std::string, PublicKey> out;
  for (const auto* k : keys) out.emplace(k->kid(), k->public_key());
  return out;
}

TEST(HygieneVerifierTest, ACachedTokenIsRefusedOnceItsKeyLeavesTheJwks) {
  const SigningKey& a = shared_key("RS256", 0);
  const SigningKey& b = shared_key("RS256", 1);
  auto keys = std::make_shared<KeySet>();
  keys->replace(keys_of({&a, &b}));
  Verifier verifier({{"https://idp", keys, "https://idp/jwks", "team", "", {}, {}}},
                    VerifierOptions{});
  const std::string by_a = a.sign_jwt(claims());
  const std::string by_b = b.sign_jwt(claims());
  ASSERT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(by_a, kTestNow)));
  ASSERT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(by_b, kTestNow)));

  // The same keys fetched again: the key objects are kept, so the cache keeps serving.
  const auto a_before = keys->find(a.kid());
  keys->replace(keys_of({&a, &b}));
  EXPECT_EQ(keys->find(a.kid()), a_before);

  keys->replace(keys_of({&a}));  // the IdP withdrew b
  const auto r = verifier.verify_cached(by_b, kTestNow + 1);
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(r));
  EXPECT_TRUE(std::get<AuthFailure>(r).unknown_kid);
  EXPECT_NE(std::get<AuthFailure>(r).message.find("is unknown to issuer https://idp"),
            std::string::npos);
  EXPECT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(by_a, kTestNow + 1)));
}

TEST(HygieneVerifierTest, RevokedHookIsAskedOnEveryUse) {
  const SigningKey& a = shared_key("RS256", 0);
  auto keys = std::make_shared<KeySet>();
  keys->replace(keys_of({&a}));
  bool revoke = false;
  TrustedIssuer issuer{"https://idp", keys, "", "team", "", {}, {}};
  issuer.revoked = [&](const Principal& p) -> std::optional<std::string> {
    if (!revoke) return std::nullopt;
    return "gone: " + p.client_id;
  };
  Verifier verifier({issuer}, VerifierOptions{});
  const std::string token = a.sign_jwt(claims());
  ASSERT_TRUE(std::holds_alternative<Principal>(verifier.verify_cached(token, kTestNow)));
  revoke = true;
  const auto r = verifier.verify_cached(token, kTestNow);
  ASSERT_TRUE(std::holds_alternative<AuthFailure>(r));
  EXPECT_EQ(std::get<AuthFailure>(r).message, "gone: svc");
  EXPECT_EQ(verifier.cached_tokens(), 0u);
}

TEST(BoundedPoolTest, RefusesWhenThreadsAndQueueAreFullAndRunsEverythingItAccepted) {
  BoundedPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> first_started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.try_post([&, gate] {
    first_started.set_value();
    gate.wait();
    ++ran;
  }));
  first_started.get_future().wait();  // the only thread is busy
  std::promise<void> second_ran;
  ASSERT_TRUE(pool.try_post([&] {  // waits
    ++ran;
    second_ran.set_value();
  }));
  EXPECT_FALSE(pool.try_post([&] { ++ran; }));  // one running + one waiting: full
  release.set_value();
  second_ran.get_future().wait();  // what was accepted runs (stop() would drop a waiting job)
  pool.stop();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.try_post([] {}));  // stopped
}

TEST(BoundedPoolTest, StopDropsWaitingJobsWithoutRunningThem) {
  BoundedPool pool(1, 4);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  auto dropped = std::make_shared<int>(0);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.try_post([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  ASSERT_TRUE(pool.try_post([&, dropped] { ++ran; }));
  EXPECT_EQ(dropped.use_count(), 2);
  std::thread stopper([&] { pool.stop(); });
  // stop() destroys the waiting job, then waits for the running one.
  while (dropped.use_count() != 1) std::this_thread::yield();
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace aigw::auth
