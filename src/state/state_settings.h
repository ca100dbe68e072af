// The `state:` section: where usage and admin records are kept, and how durably.
//
//   state: { backend: sqlite, path: ./data/aigw.db, flush_interval: 100ms, batch_rows: 1000,
//            synchronous: normal, wait_for_commit: true }
//   state: { backend: redis, url: "redis://:${REDIS_PASSWORD}@redis:6379/0", path: ./data/aigw.db,
//            timeout: 1s, key_prefix: aigw, stale_after: 5s,
//            on_failure: { budgets: closed, limits: open } }
//
// With redis, `path` is where this replica keeps its own usage journals and replica id (the
// ledger itself is in Redis). Owned by state/ (config/ assembles it without knowing the store).
#pragma once

#include <cstddef>
#include <string>

#include "core/duration.h"

namespace aigw::config {
class ConfigNode;
}

namespace aigw::state {

// What a concern does while the shared state cannot be reached (redis backend).
enum class FailMode { kOpen, kClosed };

struct StateSettings {
  std::string backend = "sqlite";  // "sqlite" or "redis"
  std::string path = "./data/aigw.db";
  Millis flush_interval{100};
  std::size_t batch_rows = 1000;
  bool synchronous_full = false;
  // true: an answer ends only once its usage is in its thread's journal (one write(2); with
  // synchronous_full also an fdatasync): a kill -9 loses no answered request. false: the
  // usage is queued in memory for the next flush tick (a kill -9 may lose up to
  // flush_interval of settled usage). Either way the ledger is written in the background.
  bool wait_for_commit = true;

  // redis only.
  std::string url;       // redis://… or rediss://… (may hold a password: never logged whole)
  Millis timeout{1000};  // one Redis call, connecting included
  std::string key_prefix = "aigw";  // keys are "{<prefix>}:…": one hash slot
  // The other replicas' usage older than this (no successful sync since) is stale: budgets
  // then follow on_failure.budgets.
  Millis stale_after{5000};
  FailMode budgets_on_failure = FailMode::kClosed;
  // Rate limits (IP window, team and client limits) while the others' counts are stale:
  // open counts on with what this replica knows; closed refuses limited requests (503).
  FailMode limits_on_failure = FailMode::kOpen;
};

// Reads `state:` (an undefined node gives the defaults); errors through ConfigNode::fail.
StateSettings parse_state_settings(const config::ConfigNode& node);

}  // namespace aigw::state
