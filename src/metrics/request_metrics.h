// The request path's Prometheus counters and histograms, counted in memory as each request
// ends (one lock of this thread's shard, a few hash-map updates) and merged on a scrape.
//
// Label values a caller influences (model, team) are bounded: the first max_label_values
// distinct values of each get their own series, later ones count under "other", and every
// value is cut to 64 bytes with control characters replaced. Routes are names the gateway
// chose, providers come from the config, statuses are three digits: bounded by construction.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "metrics/exposition.h"

namespace aigw::metrics {

// What one finished request contributes.
struct RequestSample {
  std::string_view route;     // "/v1/chat/completions", "health", "admin", … (gateway-chosen)
  std::string_view provider;  // the provider that answered (a configured name), or ""
  std::string_view model;     // as the caller asked
  std::string_view team;
  int status = 0;
  double seconds = 0;
  std::optional<double> upstream_first_byte_seconds;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t cost_micros = 0;  // micro-dollars
  std::string_view limited_by;   // the limit that refused it: "ip", "team", "client", "budget"
  int attempts = 0;              // upstream attempts (retries and fallbacks included)
};

class RequestMetrics {
 public:
  explicit RequestMetrics(std::size_t max_label_values = 200);

  void observe(const RequestSample& sample);
  // An attempt that got no usable answer: kind "connect", "timeout", "status_5xx", …
  void count_upstream_error(std::string_view provider, std::string_view kind);
  // Appends every family (with HELP and TYPE), series sorted by labels.
  void render(Exposition& out) const;

  static constexpr std::array<double, 16> kBuckets = {
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

 private:
  // At most `cap` distinct values; the rest are "other".
  class BoundedValues {
   public:
    explicit BoundedValues(std::size_t cap) : cap_(cap) {}
    void append(std::string& key, std::string_view value);

   private:
    std::size_t cap_;
    mutable std::shared_mutex mutex_;
    std::unordered_set<std::string> seen_;
  };
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
    void add(double seconds);
    void merge(const Histogram& other);
  };
  // Series keyed by their label values joined with '\x1f'.
  template <typename V>
  using Series = std::unordered_map<std::string, V>;
  struct Shard {
    mutable std::mutex mutex;
    Series<std::uint64_t> requests;         // route, provider, model, status
    Series<Histogram> durations;            // route
    Series<Histogram> first_byte;           // provider
    Series<std::uint64_t> tokens;           // team, provider, model, kind
    Series<std::int64_t> cost;              // team (micro-dollars)
    Series<std::uint64_t> limited;          // scope
    Series<std::uint64_t> upstream_errors;  // provider, kind
    std::uint64_t attempts = 0;
  };
  static constexpr std::size_t kShards = 8;

  Shard& this_threads_shard();

  BoundedValues models_;
  BoundedValues teams_;
  std::array<Shard, kShards> shards_;
};

}  // namespace aigw::metrics
