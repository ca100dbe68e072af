#include "metrics/request_metrics.h"

#include <charconv>
#include <functional>
#include <map>
#include <thread>
#include <vector>

namespace aigw::metrics {
namespace {

constexpr char kSeparator = '\x1f';
constexpr std::size_t kMaxValueBytes = 64;

// A label value as kept: at most 64 bytes, control characters (and the separator) as '_'.
std::string clean(std::string_view value) {
  std::string out(value.substr(0, kMaxValueBytes));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = '_';
  }
  return out;
}

void append_field(std::string& key, std::string_view value) {
  if (!key.empty()) key += kSeparator;
  key.append(value);
}

std::vector<std::string_view> split(std::string_view key) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = key.find(kSeparator);
    parts.push_back(key.substr(0, at));
    if (at == std::string_view::npos) return parts;
    key.remove_prefix(at + 1);
  }
}

template <typename V>
void merge_into(std::map<std::string, V>& out, const std::unordered_map<std::string, V>& in) {
  for (const auto& [key, value] : in) out[key] += value;
}

// One sample per series of a counter family whose labels are `names`.
template <typename V>
void render_counter(Exposition& out, std::string_view name, std::string_view help,
                    const std::vector<std::string_view>& names,
                    const std::map<std::string, V>& series, bool micros = false) {
  out.family(name, "counter", help);
  for (const auto& [key, value] : series) {
    const auto values = split(key);
    Labels labels;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i)
      labels.emplace_back(names[i], values[i]);
    if (micros) {
      out.sample_micros(name, labels, static_cast<std::int64_t>(value));
    } else {
      out.sample(name, labels, static_cast<std::uint64_t>(value));
    }
  }
}

}  // namespace

void RequestMetrics::BoundedValues::append(std::string& key, std::string_view value) {
  const std::string kept = clean(value);
  {
    std::shared_lock lock(mutex_);
    if (seen_.contains(kept)) return append_field(key, kept);
    if (seen_.size() >= cap_) return append_field(key, "other");
  }
  std::unique_lock lock(mutex_);
  if (seen_.size() < cap_ || seen_.contains(kept)) {
    seen_.insert(kept);
    return append_field(key, kept);
  }
  append_field(key, "other");
}

void RequestMetrics::Histogram::add(double seconds) {
  ++count;
  sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets[i];
      return;
    }
  }
}

void RequestMetrics::Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum += other.sum;
}

RequestMetrics::RequestMetrics(std::size_t max_label_values)
    : models_(max_label_values), teams_(max_label_values) {}

RequestMetrics::Shard& RequestMetrics::this_threads_shard() {
  return shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards];
}

void RequestMetrics::observe(const RequestSample& s) {
  // The keys are built before the lock: the bounded sets have their own.
  std::string model;
  models_.append(model, s.model);
  std::string team;
  teams_.append(team, s.team);
  const std::string provider = clean(s.provider);
  std::string request_key(s.route);
  append_field(request_key, provider);
  append_field(request_key, model);
  append_field(request_key, std::to_string(s.status));
  std::string token_key = team;
  append_field(token_key, provider);
  append_field(token_key, model);

  Shard& shard = this_threads_shard();
  std::lock_guard lock(shard.mutex);
  ++shard.requests[request_key];
  shard.durations[std::string(s.route)].add(s.seconds);
  if (s.upstream_first_byte_seconds) shard.first_byte[provider].add(*s.upstream_first_byte_seconds);
  const std::pair<std::string_view, std::int64_t> kinds[] = {
      {"input", s.input_tokens}, {"output", s.output_tokens}, {"cached", s.cached_tokens}};
  for (const auto& [kind, count] : kinds) {
    if (count <= 0) continue;
    shard.tokens[token_key + kSeparator + std::string(kind)] += static_cast<std::uint64_t>(count);
  }
  if (s.cost_micros > 0) shard.cost[team] += s.cost_micros;
  if (!s.limited_by.empty()) ++shard.limited[std::string(s.limited_by)];
  if (s.attempts > 0) shard.attempts += static_cast<std::uint64_t>(s.attempts);
}

void RequestMetrics::count_upstream_error(std::string_view provider, std::string_view kind) {
  std::string key = clean(provider);
  append_field(key, kind);
  Shard& shard = this_threads_shard();
  std::lock_guard lock(shard.mutex);
  ++shard.upstream_errors[key];
}

void RequestMetrics::render(Exposition& out) const {
  std::map<std::string, std::uint64_t> requests, tokens, limited, upstream_errors;
  std::map<std::string, std::int64_t> cost;
  std::map<std::string, Histogram> durations, first_byte;
  std::uint64_t attempts = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    merge_into(requests, shard.requests);
    merge_into(tokens, shard.tokens);
    merge_into(limited, shard.limited);
    merge_into(upstream_errors, shard.upstream_errors);
    merge_into(cost, shard.cost);
    for (const auto& [k, h] : shard.durations) durations[k].merge(h);
    for (const auto& [k, h] : shard.first_byte) first_byte[k].merge(h);
    attempts += shard.attempts;
  }
  render_counter(out, "aigw_requests_total",
                 "Requests answered, by route, provider, model and status.",
                 {"route", "provider", "model", "status"}, requests);
  const auto histogram = [&](std::string_view name, std::string_view help, std::string_view label,
                             const std::map<std::string, Histogram>& series) {
    out.family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    for (const auto& [value, h] : series) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        char le[32];
        const auto end = std::to_chars(le, le + sizeof le, kBuckets[i]).ptr;
        out.sample(bucket, {{label, value}, {"le", std::string_view(le, end - le)}}, cumulative);
      }
      out.sample(bucket, {{label, value}, {"le", "+Inf"}}, h.count);
      out.sample(std::string(name) + "_sum", {{label, value}}, h.sum);
      out.sample(std::string(name) + "_count", {{label, value}}, h.count);
    }
  };
  histogram("aigw_request_duration_seconds", "Time from the request's head to its answer's end.",
            "route", durations);
  histogram("aigw_upstream_first_byte_seconds",
            "Time from sending a request upstream to the provider's answer head.", "provider",
            first_byte);
  render_counter(out, "aigw_tokens_total", "Tokens charged, by team, provider, model and kind.",
                 {"team", "provider", "model", "kind"}, tokens);
  render_counter(out, "aigw_cost_usd_total", "Cost charged in US dollars, by team.", {"team"}, cost,
                 true);
  render_counter(out, "aigw_rate_limited_total",
                 "Requests refused by a limit: ip, team, client or budget.", {"scope"}, limited);
  render_counter(out, "aigw_upstream_errors_total",
                 "Upstream attempts without a usable answer, by provider and kind.",
                 {"provider", "kind"}, upstream_errors);
  out.family("aigw_upstream_attempts_total", "counter",
             "Upstream attempts made, retries and fallbacks included.");
  out.sample("aigw_upstream_attempts_total", {}, attempts);
}

}  // namespace aigw::metrics
