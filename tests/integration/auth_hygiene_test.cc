// Issue 9 against a running gateway: a rotated or removed client's tokens are refused at once,
// tokens carry the admin scope only when asked for (and `aigw admin` asks), a key the IdP
// withdraws stops being trusted after the periodic JWKS refresh, the token endpoint's secret
// checks run off the I/O thread on a bounded pool (503 when it is full), and the CLI's token
// cache is 0600 whatever the umask.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "auth/base64url.h"
#include "auth/keys.h"
#include "support/aigw_process.h"
#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/run_command.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult run(const std::string& env, const std::string& command) {
  return run_command(env, command);
}

const std::string kAigw = AIGW_BINARY;

std::string root_yaml() {
  return std::string("auth:\n  builtin_issuer: { keys_dir: ./keys }\n  clients:\n") +
         "    - { client_id: root, team: ops, client_secret: root-secret, scopes: [ \"" +
         kInvokeScope + "\", \"" + kAdminScope + "\" ] }\n";
}

std::string cli_env(std::uint16_t port, const std::string& cache_dir) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  return "GATEWAY_URL=" + url + " GATEWAY_TOKEN_ENDPOINT=" + url +
         "/oauth2/token GATEWAY_CLIENT_ID=root GATEWAY_CLIENT_SECRET=root-secret "
         "GATEWAY_TOKEN_CACHE=" +
         cache_dir;
}

HttpResponse providers(std::uint16_t port, const std::string& token) {
  return http_request(port, "GET", "/v1/providers", bearer(token));
}

TEST(AuthHygieneTest, RotatingOrRemovingAClientRevokesTheTokensItHolds) {
  AigwProcess gw(root_yaml());
  const TempDir cache;
  const std::string env = cli_env(gw.port(), cache.path());
  const auto added = run(env, kAigw + " admin clients add bot --team data");
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  const std::string first_secret(json::parse(added.out).at("client_secret").as_string());
  const std::string old_token = fetch_token(gw.port(), "bot", first_secret);
  ASSERT_EQ(providers(gw.port(), old_token).status, 200);  // verified, and now cached

  const auto rotated = run(env, kAigw + " admin clients rotate-secret bot");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;
  const std::string new_secret(json::parse(rotated.out).at("client_secret").as_string());
  const auto refused = providers(gw.port(), old_token);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_NE(
      refused.body.find(
          "token was revoked: the secret of client \\\"bot\\\" was rotated after the token was "
          "issued; get a new token"),
      std::string::npos)
      << refused.body;
  EXPECT_NE(refused.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);

  const std::string new_token = fetch_token(gw.port(), "bot", new_secret);
  EXPECT_EQ(providers(gw.port(), new_token).status, 200);
  const auto removed = run(env, kAigw + " admin clients remove bot");
  ASSERT_EQ(removed.exit_code, 0) << removed.out << removed.err;
  const auto gone = providers(gw.port(), new_token);
  EXPECT_EQ(gone.status, 401);
  EXPECT_NE(gone.body.find("token was revoked: client \\\"bot\\\" no longer exists"),
            std::string::npos)
      << gone.body;
}

TEST(AuthHygieneTest, TokensCarryTheAdminScopeOnlyWhenAskedAndTheCliAsks) {
  AigwProcess gw(root_yaml());
  const TempDir cache;
  const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
  // The script, as agents use it: a token for /v1/*, not for /admin.
  const auto script =
      run("GATEWAY_TOKEN_ENDPOINT=" + url +
              "/oauth2/token GATEWAY_CLIENT_ID=root GATEWAY_CLIENT_SECRET=root-secret",
          "./scripts/get-gateway-token.sh");
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_EQ(providers(gw.port(), script.out).status, 200);
  const auto admin = http_request(gw.port(), "GET", "/admin/clients", bearer(script.out));
  EXPECT_EQ(admin.status, 403) << admin.body;
  EXPECT_NE(admin.body.find(kAdminScope), std::string::npos);
  // The CLI's admin commands ask for the admin scope themselves.
  const auto listed = run(cli_env(gw.port(), cache.path()), kAigw + " admin clients list");
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_NE(listed.out.find("\"root\""), std::string::npos) << listed.out;
}

TEST(AuthHygieneTest, TheCliTokenCacheIs0600WhateverTheUmask) {
  AigwProcess gw(root_yaml());
  const TempDir cache;
  const std::string url = "http://127.0.0.1:" + std::to_string(gw.port());
  const auto got = run("GATEWAY_TOKEN_ENDPOINT=" + url +
                           "/oauth2/token GATEWAY_CLIENT_ID=root GATEWAY_CLIENT_SECRET=root-secret "
                           "GATEWAY_TOKEN_CACHE=" +
                           cache.path() + "/aigw",
                       "sh -c 'umask 022 && exec " + kAigw + " token'");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache.path() + "/aigw")) {
    struct stat st {};
    ASSERT_EQ(stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
    EXPECT_EQ(slurp(entry.path()), got.out);
    ++files;
  }
  EXPECT_EQ(files, 1);
  struct stat dir {};
  ASSERT_EQ(stat((cache.path() + "/aigw").c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 077, 0u) << "the cache directory is the user's only";
}

// A stand-in IdP whose JWKS the test can change.
class Idp {
 public:
  Idp() : a_(*auth::SigningKey::generate("RS256")), b_(*auth::SigningKey::generate("RS256")) {
    publish(true);
    server_ = std::make_unique<FakeUpstream>([this](const UpstreamRequest&) {
      std::lock_guard lock(mutex_);
      return Reply::json(200, jwks_);
    });
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/jwks";
  }
  void publish(bool with_b) {
    json::array keys{a_.public_key().to_jwk()};
    if (with_b) keys.push_back(b_.public_key().to_jwk());
    std::lock_guard lock(mutex_);
    jwks_ = json::serialize(json::object{{"keys", std::move(keys)}});
  }
  std::string token(bool by_b) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const json::object claims{
        {"iss", "https://idp.test"}, {"sub", "svc"},    {"aud", "aigw"}, {"team", "data"},
        {"scope", kInvokeScope},     {"exp", now + 600}};
    return (by_b ? b_ : a_).sign_jwt(claims);
  }

 private:
  auth::SigningKey a_;
  auth::SigningKey b_;
  std::mutex mutex_;
  std::string jwks_;
  std::unique_ptr<FakeUpstream> server_;
};

TEST(AuthHygieneTest, AKeyTheIdpWithdrawsIsRefusedAfterThePeriodicRefresh) {
  Idp idp;
  AigwProcess gw(
      "auth:\n  jwks_refresh_interval: 1s\n  issuers:\n    - { issuer: \"https://idp.test\", "
      "jwks_url: \"" +
      idp.url() + "\", audience: aigw }\n");
  const std::string by_b = idp.token(true);
  ASSERT_EQ(providers(gw.port(), by_b).status, 200);  // fetched on first use, then cached
  ASSERT_EQ(providers(gw.port(), by_b).status, 200);
  idp.publish(false);
  // Without any token naming an unknown kid, the interval refresh notices the change.
  ASSERT_TRUE(gw.wait_for_line(
      "\"msg\":\"jwks refreshed\",\"issuer\":\"https://idp.test\",\"keys\":1", 20s))
      << gw.stdout_text();
  const auto refused = providers(gw.port(), by_b);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_NE(refused.body.find("is unknown to issuer https://idp.test"), std::string::npos)
      << refused.body;
  EXPECT_EQ(providers(gw.port(), idp.token(false)).status, 200);
}

TEST(AuthHygieneTest, AnIssuerWithoutAudienceIsWarnedAboutAndPlainHttpJwksIsRefused) {
  Idp idp;
  AigwProcess gw("auth:\n  issuers:\n    - { issuer: \"https://idp.test\", jwks_url: \"" +
                 idp.url() + "\" }\n");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (gw.stderr_text().find("has no audience") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(
      gw.stderr_text().find("aigw: warning: auth.issuers[0] (https://idp.test) has no audience"),
      std::string::npos)
      << gw.stderr_text();
  EXPECT_THROW(
      AigwProcess(
          "auth:\n  issuers:\n    - { issuer: x, jwks_url: \"http://idp.example/jwks\" }\n"),
      std::runtime_error);
}

// A well-formed stored hash that asks for `iterations` (no one knows its secret).
std::string costly_hash(int iterations) {
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" +
         auth::base64url_encode(std::string(16, 's')) + "$" +
         auth::base64url_encode(std::string(32, 'h'));
}

TEST(AuthHygieneTest, SecretChecksRunOffTheIoThreadOnABoundedPool) {
  // One I/O thread; one check at a time and one waiting; every check costs 800k PBKDF2
  // iterations (the decoy matches the dearest stored hash), seconds each.
  AigwProcess gw(
      "server: { threads: 1 }\nauth:\n  builtin_issuer: { keys_dir: ./keys, secret_check_threads: "
      "1, "
      "secret_check_queue: 1 }\n  clients:\n    - { client_id: slow, client_secret_hash: \"" +
      costly_hash(800'000) + "\" }\n");
  constexpr int kRequests = 6;
  std::vector<HttpResponse> answers(kRequests);
  std::atomic<int> done{0};
  std::atomic<int> busy{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      answers[i] = http_request(gw.port(), "POST", "/oauth2/token",
                                {{"Content-Type", "application/x-www-form-urlencoded"}},
                                "grant_type=client_credentials&client_id=nobody-" +
                                    std::to_string(i) + "&client_secret=wrong");
      if (answers[i].status == 503) ++busy;
      ++done;
    });
  }
  // A 503 means the pool is full: two checks of seconds each are pending. The one I/O thread
  // still serves other requests meanwhile.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (busy.load() == 0 && done.load() < kRequests &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(busy.load(), 0) << "no request was shed";
  EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
  EXPECT_LT(done.load(), kRequests) << "the health check waited for the secret checks";
  for (auto& t : threads) t.join();
  int refused = 0;
  for (const auto& a : answers) {
    if (a.status == 503) {
      EXPECT_EQ(a.header("retry-after"), "1");
      EXPECT_EQ(a.json().at("error"), "temporarily_unavailable") << a.body;
    } else {
      EXPECT_EQ(a.status, 401) << a.body;
      EXPECT_EQ(a.json().at("error"), "invalid_client") << a.body;
      ++refused;
    }
  }
  EXPECT_GE(refused, 1);
}

}  // namespace
}  // namespace aigw::testing
