// The `state` interface (DESIGN.md): the usage ledger (settled requests, aggregated per
// team/client/provider/model/day), per-team period totals to restore budget counters at start,
// admin records set at run time, and usage reports. The SQLite implementation is
// sqlite_usage_store.h; a Redis one can plug in behind the same interface.
//
// Contract: nothing the request path calls waits for the store's own writes. A settled record
// reaches the store one of two ways:
//   - UsageJournal::stage + commit (the gateway's way): durable when commit returns — one
//     write(2) of everything staged to the calling thread's journal, plus an fdatasync with
//     `synchronous: full` — and consumed into the ledger in the background, each journal byte
//     exactly once (usage_journal.h);
//   - UsageStore::append: queued in memory, committed on the next flush tick (a kill -9 loses
//     what is still queued).
// Rows are written in batches that commit whole or not at all. A row that carries a request id
// is counted at most once however often it is appended (for callers that may replay); the
// gateway's own rows carry none: it never appends a settled record twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "budget/usage_report.h"
#include "core/money.h"
#include "core/result.h"
#include "core/usage.h"

namespace aigw::state {

using TimePoint = std::chrono::sys_seconds;  // the same type as budget::TimePoint

// One settled request: what the provider reported, what it cost, whom it is charged to.
struct UsageRecord {
  std::string request_id;  // unique per request; empty = cannot be deduplicated
  std::string team;
  std::string client;
  std::string provider;
  std::string model;
  Usage usage;
  Micros cost_micros = 0;
  bool priced = true;  // false: no price entry matched (cost_micros is 0)
  TimePoint at{};      // when it was settled; its ledger day is the UTC day of this
  // The budget period it was counted in (e.g. "2026-11"); BudgetTracker::settle fills it in.
  std::string period_key;

  // What the record adds to the ledger's request counts.
  struct Counts {
    std::int64_t requests = 0;
    std::int64_t unpriced = 0;   // requests no price entry matched
    std::int64_t estimated = 0;  // requests whose tokens are partly the gateway's estimate
  };
  // Unset: the record is one whole request (request_counts derives its counts). Set: the
  // record is a part of a request journaled in parts (a stream: its charge when it starts,
  // corrections while it runs and at its end, so that a kill -9 mid-stream still charges it;
  // usage_part makes them), and these are what the part changes in the counts.
  std::optional<Counts> part_counts;
};

// What `r` adds to the request counts: its part_counts, or those of one whole request.
inline UsageRecord::Counts request_counts(const UsageRecord& r) {
  if (r.part_counts) return *r.part_counts;
  return {1, r.priced ? 0 : 1, r.usage.estimated_tokens > 0 ? 1 : 0};
}

// The part of a request to journal now: what the whole record `now` adds to `before`, the
// whole record of what is journaled already (null: nothing yet). Usage, cost and counts are
// differences, so the parts add up to `now` however many there were; a part may be negative
// (an estimate replaced by a smaller count). Every part keeps the first one's time and
// period: a request lands in one ledger day and budget period.
inline UsageRecord usage_part(const UsageRecord& now, const UsageRecord* before) {
  UsageRecord part = now;
  UsageRecord::Counts counts = request_counts(now);
  if (before != nullptr) {
    part.at = before->at;
    part.period_key = before->period_key;
    part.usage.input_tokens -= before->usage.input_tokens;
    part.usage.output_tokens -= before->usage.output_tokens;
    part.usage.cached_tokens -= before->usage.cached_tokens;
    part.usage.estimated_tokens -= before->usage.estimated_tokens;
    part.cost_micros -= before->cost_micros;
    const UsageRecord::Counts was = request_counts(*before);
    counts.requests -= was.requests;
    counts.unpriced -= was.unpriced;
    counts.estimated -= was.estimated;
  }
  part.part_counts = counts;
  return part;
}

// What a team used in one budget period, as committed.
struct PeriodTotal {
  std::string team;
  std::string period_key;
  std::int64_t tokens = 0;  // input + output
  Micros cost_micros = 0;
  std::int64_t requests = 0;
};

// A team, budget or limit set through the admin API; the value is JSON owned by the caller.
struct AdminRecord {
  std::string kind;  // "team", "budget", "limits", …
  std::string name;
  std::string value;
  TimePoint updated_at{};
};

// No value to return: nullopt on success, else what went wrong.
using StoreStatus = std::optional<ApiError>;

// Where one thread writes the usage of its answers so that it is durable before the answer
// ends, without waiting for the store. Not thread-safe: one per I/O thread.
//
// Group commit: stage() keeps a record for the next commit() (no I/O); commit() writes all
// that is staged at once, so the answers settled in one turn of a thread's event loop cost one
// write(2) between them.
class UsageJournal {
 public:
  virtual ~UsageJournal() = default;
  virtual void stage(const UsageRecord& record) = 0;
  virtual bool has_staged() const = 0;
  // Everything staged, durable when it returns (a kill -9 loses nothing; a power loss: as
  // `synchronous` says). On error none of it was written: `unwritten` gets the records back
  // (for the store's queue: the caller must not lose them).
  virtual StoreStatus commit(std::vector<UsageRecord>& unwritten) = 0;
  // One record (and whatever was staged before it), durable when it returns.
  StoreStatus append(const UsageRecord& record, std::vector<UsageRecord>& unwritten) {
    stage(record);
    return commit(unwritten);
  }
};

// For a store shared by replicas (redis): where the usage the other replicas (and earlier
// runs) counted goes, so that budgets are checked against everyone's use. BudgetTracker is one.
class SharedTotalsSink {
 public:
  virtual ~SharedTotalsSink() = default;
  // The budget periods whose totals are wanted ("2026-12", "2026-W49", …).
  virtual std::vector<std::string> period_keys_in_use(TimePoint now) = 0;
  // What others counted in each period listed by `period_keys`, per team (a team missing from
  // `others` counted nothing there). Replaces what an earlier call gave.
  virtual void set_shared_totals(const std::vector<std::string>& period_keys,
                                 const std::vector<PeriodTotal>& others) = 0;
  // Whether the others' totals are current: false once no sync succeeded for stale_after.
  virtual void set_shared_totals_current(bool current, std::string why) = 0;
};

// A counter over fixed time windows whose counts replicas add up (the rate limits: limits/
// implements it). Windows start at multiples of window_ms() in wall-clock ms on every replica.
class SharedWindowCounter {
 public:
  struct Counts {
    std::string key;
    std::int64_t window_start_ms = 0;
    std::int64_t current = 0;   // in the window starting at window_start_ms
    std::int64_t previous = 0;  // in the one before it
  };
  virtual ~SharedWindowCounter() = default;
  virtual std::int64_t window_ms() const = 0;
  // The keys counted since the last call, each with what this replica counted in its two
  // windows and has not handed out yet (handed out now). Starts keeping track on first call.
  virtual std::vector<Counts> take_unshared(std::int64_t now_ms) = 0;
  // What every replica (this one included) counted in a key's windows.
  virtual void set_shared(const Counts& totals) = 0;
  // Whether the others' counts are current: false once no sync succeeded for stale_after.
  virtual void set_shared_current(bool current) = 0;
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;

  // Queues a record; returns at once.
  virtual void append(UsageRecord record) = 0;
  // A journal for the calling thread (each I/O thread holds its own); the store must outlive
  // it. What it holds is in the ledger after the next flush tick, or after a restart.
  virtual std::unique_ptr<UsageJournal> open_journal() = 0;
  // Commits everything appended or journaled before the call (shutdown, tests, reports).
  virtual StoreStatus flush() = 0;
  // Why usage cannot be stored right now (the last write failed), or nullopt: /readyz.
  virtual std::optional<std::string> unavailable() const = 0;

  // Per team and period, as committed (a shared store: nothing; it reports through the sink).
  virtual Result<std::vector<PeriodTotal>> period_totals() = 0;
  // A store shared by replicas keeps `sink` up to date (first before this returns, when it can);
  // null stops it: once the call returns, the old sink is never called again. Others ignore it.
  virtual void share_totals_with(SharedTotalsSink* /*sink*/) {}
  // A store shared by replicas calls `changed` (on its own thread: it must not call the store
  // itself) when any replica changed an admin record; empty stops it, like share_totals_with.
  virtual void on_admin_change(std::function<void()> /*changed*/) {}
  // A store shared by replicas adds these counters up across replicas every flush interval
  // (by name); an empty list stops it, like share_totals_with. The counters must outlive that.
  using NamedWindowCounter = std::pair<std::string, SharedWindowCounter*>;
  virtual void share_windows_with(std::vector<NamedWindowCounter> /*counters*/) {}
  virtual Result<std::vector<budget::ReportRow>> report(const budget::ReportQuery& query) = 0;

  virtual StoreStatus put_admin_record(std::string_view kind, std::string_view name,
                                       std::string_view value, TimePoint now) = 0;
  // Writes the record only when there is none of that kind and name: true when it did (two
  // replicas starting at once agree on one value: the first one written).
  virtual Result<bool> put_admin_record_if_absent(std::string_view kind, std::string_view name,
                                                  std::string_view value, TimePoint now) = 0;
  virtual StoreStatus delete_admin_record(std::string_view kind, std::string_view name) = 0;
  virtual Result<std::vector<AdminRecord>> admin_records(std::string_view kind) = 0;
};

// The tokens a record counts against a budget: input (including cached) plus output.
inline std::int64_t budget_tokens_of(const Usage& u) { return u.input_tokens + u.output_tokens; }

}  // namespace aigw::state
