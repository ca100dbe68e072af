// Parsing of `state:`; errors through ConfigNode::fail.
#include "state/state_settings.h"

#include <cstdint>

#include "core/config_node.h"
#include "redis/redis_url.h"

namespace aigw::state {
namespace {

FailMode fail_mode(const config::ConfigNode& node, std::string_view key, FailMode fallback) {
  if (!node.has(key)) return fallback;
  const std::string mode = node.str(key);
  if (mode == "open") return FailMode::kOpen;
  if (mode == "closed") return FailMode::kClosed;
  node.child(key).fail("expected open or closed, got \"" + mode + "\"");
  return fallback;
}

void parse_redis_settings(const config::ConfigNode& node, StateSettings& s) {
  s.url = node.required_str("url");
  if (auto url = redis::parse_redis_url(s.url); !url) node.child("url").fail(url.error().message);
  s.timeout = node.duration("timeout", s.timeout);
  if (s.timeout < Millis(10) || s.timeout > Millis(60'000)) {
    node.child("timeout").fail("must be between 10ms and 60s");
  }
  s.key_prefix = node.str("key_prefix", s.key_prefix);
  if (s.key_prefix.empty() || s.key_prefix.size() > 64 ||
      s.key_prefix.find_first_of("{}: \t\r\n") != std::string::npos) {
    node.child("key_prefix").fail("expected 1 to 64 characters without braces, colons or spaces");
  }
  s.stale_after = node.duration("stale_after", s.stale_after);
  if (s.stale_after < s.flush_interval * 2 || s.stale_after > Millis(600'000)) {
    node.child("stale_after").fail("must be between twice flush_interval and 10m");
  }
  const config::ConfigNode on_failure = node.child("on_failure");
  if (on_failure.defined()) {
    on_failure.allow_keys({"budgets", "limits"});
    s.budgets_on_failure = fail_mode(on_failure, "budgets", s.budgets_on_failure);
    s.limits_on_failure = fail_mode(on_failure, "limits", s.limits_on_failure);
  }
}

}  // namespace

StateSettings parse_state_settings(const config::ConfigNode& node) {
  StateSettings s;
  if (!node.defined()) return s;
  node.allow_keys({"backend", "path", "flush_interval", "batch_rows", "synchronous",
                   "wait_for_commit", "url", "timeout", "key_prefix", "stale_after", "on_failure"});
  s.backend = node.str("backend", s.backend);
  if (s.backend != "sqlite" && s.backend != "redis")
    node.child("backend").fail("expected sqlite or redis, got \"" + s.backend + "\"");
  if (node.has("path")) s.path = node.required_str("path");
  s.flush_interval = node.duration("flush_interval", s.flush_interval);
  if (s.flush_interval < Millis(10) || s.flush_interval > Millis(10'000)) {
    node.child("flush_interval").fail("must be between 10ms and 10s");
  }
  const std::int64_t rows = node.integer("batch_rows", static_cast<std::int64_t>(s.batch_rows));
  if (rows < 1 || rows > 100'000) node.child("batch_rows").fail("must be between 1 and 100000");
  s.batch_rows = static_cast<std::size_t>(rows);
  const std::string sync = node.str("synchronous", "normal");
  if (sync != "normal" && sync != "full") {
    node.child("synchronous").fail("expected normal or full, got \"" + sync + "\"");
  }
  s.synchronous_full = sync == "full";
  s.wait_for_commit = node.boolean("wait_for_commit", s.wait_for_commit);
  if (s.backend == "redis") {
    parse_redis_settings(node, s);
  } else {
    for (const char* key : {"url", "timeout", "key_prefix", "stale_after", "on_failure"}) {
      if (node.has(key)) node.child(key).fail("only with backend: redis");
    }
  }
  return s;
}

}  // namespace aigw::state
