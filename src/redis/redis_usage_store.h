// The `state` interface on Redis, for N replicas that share one ledger, one set of budget
// totals and one set of admin records (`state: { backend: redis, url: … }`).
//
// Nothing on the request path waits for Redis. Each replica settles into its own usage journals
// (state/usage_journal.h, under `<path>.journal`, exactly as with SQLite: one write(2) before
// the answer's last bytes), and the store's own thread ships them: every flush_interval it reads
// each segment from where Redis says this replica got to, sums the records per ledger row and
// budget period (redis/ledger_rows.h), and runs one script per batch that applies the sums and
// moves the segment's progress — only when the progress is where the batch starts. A batch is
// thus applied exactly once, whatever fails: a reply lost to a timeout, Redis restarted, this
// replica killed -9 (its journals are shipped by the next start, from the data directory). The
// progress lives in Redis, keyed by this replica's id (a random id kept in `<path>.replica`);
// segment numbers start above the start time in ms, so they are never reused.
//
// After shipping, the store reads each current period's totals and hands the sink (the
// BudgetTracker) what the others counted: the total minus what this run has shipped itself.
// When Redis cannot be reached for stale_after, the sink is told so (budgets fail as configured)
// and unavailable() says why (/readyz); journals pile up on disk and are shipped once it is back.
//
// Keys: every key is "{<key_prefix>}:…", one hash slot, so the scripts' keys are always on one
// node (a Redis Cluster works, on one shard; Sentinel is not supported). Layout: ledger_rows.h,
// plus {P}:journal:<replica> (hash segment → bytes shipped) and {P}:admin:<kind>
// (hash name → "<unix seconds>\n<value>").
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "state/state_settings.h"
#include "state/usage_store.h"

namespace aigw::redis {

struct RedisStoreOptions {
  state::StateSettings settings;
  // Notices: Redis lost and back, damaged journal bytes; default: stderr.
  std::function<void(const std::string&)> log;
  const Clock* clock = nullptr;  // budget periods' keys; null: the system clock
};

// Opens the journals and starts the store's thread; never waits for Redis (it may be down).
// Fails only on a bad URL or a data directory that cannot be used.
Result<std::unique_ptr<state::UsageStore>> open_redis_usage_store(RedisStoreOptions options);

}  // namespace aigw::redis
