// The `state:` section: where usage and admin records are kept, and how durably.
//
//   state: { backend: sqlite, path: ./data/aigw.db, flush_interval: 100ms, batch_rows: 1000,
//            synchronous: normal, wait_for_commit: true }
//
// Owned by state/ (config/ assembles it without knowing the store behind it).
#pragma once

#include <cstddef>
#include <string>

#include "core/duration.h"

namespace aigw::config {
class ConfigNode;
}

namespace aigw::state {

struct StateSettings {
  std::string backend = "sqlite";
  std::string path = "./data/aigw.db";
  Millis flush_interval{100};
  std::size_t batch_rows = 1000;
  bool synchronous_full = false;
  // true: an answer ends only once its usage is in its thread's journal (one write(2); with
  // synchronous_full also an fdatasync): a kill -9 loses no answered request. false: the
  // usage is queued in memory for the next flush tick (a kill -9 may lose up to
  // flush_interval of settled usage). Either way the ledger is written in the background.
  bool wait_for_commit = true;
};

// Reads `state:` (an undefined node gives the defaults); errors through ConfigNode::fail.
StateSettings parse_state_settings(const config::ConfigNode& node);

}  // namespace aigw::state
