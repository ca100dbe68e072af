// Team and client rate limits: look at every scope, count only when all allow, report headers.
#include "limits/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <functional>

namespace aigw::limits {
namespace {

// The tighter of two states for the headers: less remaining wins; none (limit 0) loses.
void keep_tightest(WindowDecision& best, const WindowDecision& d) {
  if (d.limit <= 0) return;
  if (best.limit <= 0 || d.remaining < best.remaining ||
      (d.remaining == best.remaining && d.reset_ms > best.reset_ms)) {
    best = d;
  }
}

std::string_view kind_name(RateScopeKind k) {
  return k == RateScopeKind::kTeam ? "team" : "client";
}

}  // namespace

RateLimiter::RateLimiter(std::chrono::milliseconds window)
    : team_{SlidingWindowCounter(window), SlidingWindowCounter(window)},
      client_{SlidingWindowCounter(window), SlidingWindowCounter(window)} {}

TokenReservation& TokenReservation::operator=(TokenReservation&& other) noexcept {
  if (this != &other) {
    release();
    take(other);
  }
  return *this;
}

void TokenReservation::take(TokenReservation& other) noexcept {
  limiter_ = std::exchange(other.limiter_, nullptr);
  tokens_ = std::exchange(other.tokens_, 0);
  team_ = std::move(other.team_);
  client_ = std::move(other.client_);
  team_held_ = std::exchange(other.team_held_, false);
  client_held_ = std::exchange(other.client_held_, false);
}

void TokenReservation::release() {
  RateLimiter* limiter = std::exchange(limiter_, nullptr);
  if (limiter == nullptr) return;
  if (team_held_) limiter->unreserve(RateScopeKind::kTeam, team_, tokens_);
  if (client_held_) limiter->unreserve(RateScopeKind::kClient, client_, tokens_);
  team_held_ = client_held_ = false;
  tokens_ = 0;
}

std::int64_t RateLimiter::reserved_locked(const InFlightShard& shard, const HashedKey& name) {
  const auto it = shard.tokens.find(name);
  return it == shard.tokens.end() ? 0 : it->second;
}

std::int64_t RateLimiter::reserved_tokens(RateScopeKind kind, std::string_view name) const {
  const HashedKey key(name);
  const InFlightShard& shard = in_flight(kind)[key.hash % kInFlightShards];
  std::lock_guard lock(shard.mutex);
  return reserved_locked(shard, key);
}

void RateLimiter::unreserve(RateScopeKind kind, std::string_view name, std::int64_t tokens) {
  const HashedKey key(name);
  InFlightShard& shard = shard_for(kind, key);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.tokens.find(key);
  if (it == shard.tokens.end()) return;
  it->second -= tokens;
  if (it->second <= 0) shard.tokens.erase(it);
}

RateDecision RateLimiter::check(std::span<const RateScope> scopes, std::int64_t now_ms,
                                std::int64_t reserve_tokens, TokenReservation* reservation) {
  if (reservation != nullptr) reservation->release();
  // The in-flight stripes of the limited scopes, each locked once, in address order (no
  // deadlock with another check), held until the request is counted and reserved.
  constexpr std::size_t kMaxLocks = 8;
  // Each scope's name hashed once: it picks the stripes and finds the windows' entries.
  std::array<HashedKey, kMaxLocks> hashed;
  const auto key_of = [&](std::size_t i) {
    return i < kMaxLocks ? hashed[i] : HashedKey(scopes[i].name);
  };
  for (std::size_t i = 0; i < scopes.size() && i < kMaxLocks; ++i) hashed[i] = scopes[i].name;
  std::array<std::mutex*, kMaxLocks> locks{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const RateScope& s = scopes[i];
    if (!s.limits.any() || n == kMaxLocks) continue;
    std::mutex* m = &shard_for(s.kind, key_of(i)).mutex;
    if (std::find(locks.begin(), locks.begin() + n, m) == locks.begin() + n) locks[n++] = m;
  }
  std::sort(locks.begin(), locks.begin() + n, std::less<>());
  for (std::size_t i = 0; i < n; ++i) locks[i]->lock();
  struct Unlock {
    std::array<std::mutex*, kMaxLocks>& locks;
    std::size_t n;
    ~Unlock() {
      for (std::size_t i = n; i > 0; --i) locks[i - 1]->unlock();
    }
  } unlock{locks, n};

  RateDecision out;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const RateScope& s = scopes[i];
    const HashedKey key = key_of(i);
    Counters& c = counters(s.kind);
    const WindowDecision req = c.requests.peek(key, s.limits.requests_per_minute, now_ms);
    WindowDecision tok;
    if (const std::int64_t limit = s.limits.tokens_per_minute; limit > 0) {
      const std::int64_t reserved = reserved_locked(shard_for(s.kind, key), key);
      if (reserved >= limit) {
        // Filled by requests in flight: they settle (or give their reservation back) soon.
        tok = WindowDecision{false, limit, 0, 1, 0};
      } else {
        tok = c.tokens.peek(key, limit - reserved, now_ms);
        tok.limit = limit;
      }
    }
    keep_tightest(out.requests, req);
    keep_tightest(out.tokens, tok);
    const WindowDecision* decisions[] = {&req, &tok};
    for (const WindowDecision* d : decisions) {
      if (d->allowed || d->retry_after_seconds <= out.retry_after_seconds) continue;
      // Several limits may refuse: the caller must wait for the slowest.
      out.allowed = false;
      out.retry_after_seconds = d->retry_after_seconds;
      out.denied_kind = s.kind;
      out.denied_name = std::string(s.name);
      out.denied_on_tokens = d == &tok;
      out.denied_limit = d->limit;
      out.unavailable = d->unavailable;
    }
  }
  if (!out.allowed) return out;
  // The request headers describe the state after this request was counted.
  out.requests = WindowDecision{};
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const RateScope& s = scopes[i];
    const std::int64_t limit = s.limits.requests_per_minute;
    if (limit <= 0) continue;
    keep_tightest(out.requests, counters(s.kind).requests.add(key_of(i), 1, now_ms, limit));
  }
  if (reservation == nullptr || reserve_tokens <= 0) return out;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const RateScope& s = scopes[i];
    if (s.limits.tokens_per_minute <= 0) continue;
    const bool team = s.kind == RateScopeKind::kTeam;
    if (team ? reservation->team_held_ : reservation->client_held_) continue;
    const HashedKey key = key_of(i);
    auto& tokens = shard_for(s.kind, key).tokens;
    if (const auto it = tokens.find(key); it != tokens.end()) {
      it->second += reserve_tokens;
    } else {
      tokens.emplace(std::string(s.name), reserve_tokens);
    }
    (team ? reservation->team_ : reservation->client_) = std::string(s.name);
    (team ? reservation->team_held_ : reservation->client_held_) = true;
    reservation->limiter_ = this;
    reservation->tokens_ = reserve_tokens;
  }
  return out;
}

void RateLimiter::record_tokens(std::span<const RateScope> scopes, std::int64_t tokens,
                                std::int64_t now_ms) {
  for (const RateScope& s : scopes) {
    if (s.limits.tokens_per_minute <= 0) continue;
    counters(s.kind).tokens.add(s.name, tokens, now_ms);
  }
}

std::vector<state::UsageStore::NamedWindowCounter> RateLimiter::shared_windows() {
  return {{"team-requests", &team_.requests},
          {"team-tokens", &team_.tokens},
          {"client-requests", &client_.requests},
          {"client-tokens", &client_.tokens}};
}

void RateLimiter::set_fail_mode(state::FailMode mode) {
  for (SlidingWindowCounter* c :
       {&team_.requests, &team_.tokens, &client_.requests, &client_.tokens})
    c->set_fail_mode(mode);
}

std::size_t RateLimiter::tracked_keys() const {
  return team_.requests.tracked_keys() + team_.tokens.tracked_keys() +
         client_.requests.tracked_keys() + client_.tokens.tracked_keys();
}

std::string format_reset(std::int64_t ms) {
  const auto number = [](std::string& out, std::int64_t n) {
    char digits[24];
    out.append(digits, static_cast<std::size_t>(
                           std::to_chars(digits, digits + sizeof digits, n).ptr - digits));
  };
  std::string out;
  if (ms <= 0) return "0s";
  if (ms < 1000) {
    number(out, ms);
    return out += "ms";
  }
  std::int64_t s = (ms + 999) / 1000;
  const std::int64_t h = s / 3600;
  const std::int64_t m = s % 3600 / 60;
  s %= 60;
  if (h > 0) number(out, h), out += 'h';
  if (h > 0 || m > 0) number(out, m), out += 'm';
  number(out, s);
  return out += 's';
}

void rate_limit_headers(const RateDecision& d, HeaderBlock& out) {
  if (d.requests.limit > 0) {
    out.set(FieldName("x-ratelimit-limit-requests"), d.requests.limit);
    out.set(FieldName("x-ratelimit-remaining-requests"), d.requests.remaining);
    out.set(FieldName("x-ratelimit-reset-requests"), format_reset(d.requests.reset_ms));
  }
  if (d.tokens.limit > 0) {
    out.set(FieldName("x-ratelimit-limit-tokens"), d.tokens.limit);
    out.set(FieldName("x-ratelimit-remaining-tokens"), d.tokens.remaining);
    out.set(FieldName("x-ratelimit-reset-tokens"), format_reset(d.tokens.reset_ms));
  }
}

ApiError rate_limited_error(const RateDecision& d) {
  if (d.unavailable) {
    return {503,
            "state_unavailable",
            std::string(kind_name(d.denied_kind)) + " \"" + d.denied_name +
                "\" has a rate limit and the other replicas' counts cannot be read; limits fail "
                "closed until they can (state.on_failure.limits)",
            1,
            {},
            {}};
  }
  const std::string what = d.denied_on_tokens ? " tokens per minute" : " requests per minute";
  std::string message = std::string(kind_name(d.denied_kind)) + " \"" + d.denied_name +
                        "\" is over its limit of " + std::to_string(d.denied_limit) + what +
                        "; retry in " + std::to_string(d.retry_after_seconds) +
                        "s, or ask the gateway admin for a higher limit";
  ApiError e{429, "rate_limit_error", std::move(message), d.retry_after_seconds, {}, {}};
  HeaderBlock headers;
  rate_limit_headers(d, headers);
  e.headers = headers.fields();
  return e;
}

}  // namespace aigw::limits
