// Parsing of `state:`; errors through ConfigNode::fail.
#include "state/state_settings.h"

#include <cstdint>

#include "core/config_node.h"

namespace aigw::state {

StateSettings parse_state_settings(const config::ConfigNode& node) {
  StateSettings s;
  if (!node.defined()) return s;
  node.allow_keys(
      {"backend", "path", "flush_interval", "batch_rows", "synchronous", "wait_for_commit"});
  s.backend = node.str("backend", s.backend);
  if (s.backend == "redis") {
    node.child("backend").fail("the redis backend is not available yet; use sqlite");
  }
  if (s.backend != "sqlite")
    node.child("backend").fail("expected sqlite, got \"" + s.backend + "\"");
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
  return s;
}

}  // namespace aigw::state
