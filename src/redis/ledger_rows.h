// How the usage ledger is laid out in Redis, without I/O (the store, redis_usage_store.h, does
// the calls): a batch of settled records summed per ledger row and per budget period, the
// encoding of row keys and counters as Redis hash fields and values, and reports grouped from
// the rows read back.
//
//   {P}:ledger:<day>    hash  row key → "input output cached requests unpriced cost_micros
//                                        estimated_requests estimated_tokens"
//   {P}:days            set   the days that have a ledger hash
//   {P}:totals:<period> hash  team → "tokens cost_micros requests"
//
// A row key is team, client, provider and model, each written as <length>:<bytes>, so no
// value a caller sends can forge a different row. Costs are integer micro-dollars: sums of
// them are exact (the script adds them as Lua numbers, exact below 2^53).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "budget/usage_report.h"
#include "state/usage_store.h"

namespace aigw::redis {

struct LedgerCounts {
  static constexpr std::size_t kFields = 8;
  std::array<std::int64_t, kFields> v{};  // in the order of the hash value above

  void add(const LedgerCounts& other);
};

struct PeriodCounts {
  static constexpr std::size_t kFields = 3;
  std::array<std::int64_t, kFields> v{};  // tokens, cost_micros, requests
};

// A batch of records summed per (day, row key) and per (period, team).
struct LedgerBatch {
  std::map<std::pair<std::string, std::string>, LedgerCounts> rows;
  std::map<std::pair<std::string, std::string>, PeriodCounts> periods;

  void add(const state::UsageRecord& record);
  // The other batch's period sums (what the store counts as its own), added or taken away.
  void add_periods(const LedgerBatch& other);
  void subtract_periods(const LedgerBatch& other);
  bool empty() const { return rows.empty() && periods.empty(); }
};

std::string ledger_row_key(std::string_view team, std::string_view client,
                           std::string_view provider, std::string_view model);
// team, client, provider, model; nullopt when `key` is not one ledger_row_key wrote.
std::optional<std::array<std::string, 4>> parse_ledger_row_key(std::string_view key);

// "12 0 7" and back; nullopt for anything but N space-separated integers.
std::string join_counts(const std::int64_t* values, std::size_t n);
bool split_counts(std::string_view text, std::int64_t* values, std::size_t n);

// One day's ledger hash, as read back: row key → counts.
using LedgerDay = std::vector<std::pair<std::string, std::string>>;

// The report `query` asks for from the days read (`days[i]` is the day of `hashes[i]`):
// filtered by team and client, grouped, and ordered by the grouped fields like SQLite's.
std::vector<budget::ReportRow> group_report(const budget::ReportQuery& query,
                                            const std::vector<std::string>& days,
                                            const std::vector<LedgerDay>& hashes);

}  // namespace aigw::redis
