// Cost of verifying a bearer token: the cached path every request takes, and the full
// signature check a new token costs once.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "auth/verifier.h"

namespace {

using namespace aigw::auth;
constexpr std::int64_t kNow = 1'800'000'000;

struct Fixture {
  explicit Fixture(const char* alg) : key(*SigningKey::generate(alg)) {
    auto keys = std::make_shared<KeySet>();
    keys->replace({{key.kid(), key.public_key()}});
    verifier = std::make_unique<Verifier>(
        std::vector<TrustedIssuer>{{"https://idp", keys, "", "team", "", {}}}, VerifierOptions{});
    token = key.sign_jwt({{"iss", "https://idp"},
                          {"client_id", "bench"},
                          {"team", "t"},
                          {"scope", "https://gateway.internal/invoke"},
                          {"exp", kNow + 3600}});
  }
  SigningKey key;
  std::unique_ptr<Verifier> verifier;
  std::string token;
};

void BM_VerifyCached(benchmark::State& state, const char* alg) {
  Fixture f(alg);
  f.verifier->verify_cached(f.token, kNow);
  for (auto _ : state) benchmark::DoNotOptimize(f.verifier->verify_cached(f.token, kNow));
}

void BM_VerifyUncached(benchmark::State& state, const char* alg) {
  Fixture f(alg);
  for (auto _ : state) benchmark::DoNotOptimize(f.verifier->verify(f.token, kNow));
}

BENCHMARK_CAPTURE(BM_VerifyCached, RS256, "RS256");
BENCHMARK_CAPTURE(BM_VerifyCached, ES256, "ES256");
BENCHMARK_CAPTURE(BM_VerifyUncached, RS256, "RS256");
BENCHMARK_CAPTURE(BM_VerifyUncached, ES256, "ES256");

}  // namespace
