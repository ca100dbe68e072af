// The `state` interface (DESIGN.md) as far as issue 4 needs it: the usage ledger (settled
// requests, aggregated per team/client/provider/model/day), per-team period totals to restore
// budget counters at start, admin records set at run time, and usage reports.
// The SQLite implementation is sqlite_usage_store.h; a Redis one can follow behind the same
// interface.
//
// Contract: append() never waits for disk or network (the request path calls it); rows are
// written later in batches that commit whole or not at all. A row that carries a request id is
// counted at most once however often it is appended (for callers that may replay); the
// gateway's own rows carry none: it never appends a settled record twice.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budget/period.h"
#include "budget/usage_report.h"
#include "core/result.h"
#include "core/usage.h"

namespace aigw::budget {

// One settled request: what the provider reported, what it cost, whom it is charged to.
struct UsageRecord {
  std::string request_id;  // unique per request; empty = cannot be deduplicated
  std::string team;
  std::string client;
  std::string provider;
  std::string model;
  Usage usage;
  double cost_usd = 0;
  bool priced = true;  // false: no price entry matched (cost_usd is 0)
  TimePoint at{};      // when it was settled; its ledger day is the UTC day of this
  // The budget period it was counted in (e.g. "2026-11"); BudgetTracker::settle fills it in.
  std::string period_key;
  // When set: called once, on the store's thread, after the batch holding this row was
  // committed (true) or failed to commit (false; the row stays queued and is retried). Such a
  // row is committed at once rather than at the next flush tick: the gateway holds the end of
  // an answer until its usage is in the ledger, so a crash never loses an answered request.
  std::function<void(bool committed)> on_written;
};

// What a team used in one budget period, as committed.
struct PeriodTotal {
  std::string team;
  std::string period_key;
  std::int64_t tokens = 0;  // input + output
  double cost_usd = 0;
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

class UsageStore {
 public:
  virtual ~UsageStore() = default;

  // Queues a record; returns at once.
  virtual void append(UsageRecord record) = 0;
  // Commits everything appended before the call (shutdown, tests, before a report).
  virtual StoreStatus flush() = 0;

  virtual Result<std::vector<PeriodTotal>> period_totals() = 0;
  virtual Result<std::vector<ReportRow>> report(const ReportQuery& query) = 0;

  virtual StoreStatus put_admin_record(std::string_view kind, std::string_view name,
                                       std::string_view value, TimePoint now) = 0;
  virtual StoreStatus delete_admin_record(std::string_view kind, std::string_view name) = 0;
  virtual Result<std::vector<AdminRecord>> admin_records(std::string_view kind) = 0;
};

// The tokens a record counts against a budget: input (including cached) plus output.
inline std::int64_t budget_tokens_of(const Usage& u) { return u.input_tokens + u.output_tokens; }

}  // namespace aigw::budget
