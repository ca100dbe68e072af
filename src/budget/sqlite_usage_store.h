// The usage ledger in SQLite: WAL mode, one writer thread committing batched rows off the
// request path, a separate connection for reads (WAL lets them run beside the writer).
//
// Writes: append() puts a record on an in-memory queue; the writer commits the queue every
// `flush_interval` (~100 ms) or as soon as `batch_rows` are waiting, in one transaction,
// the batch summed per ledger row first (one upsert per distinct row, not per request):
//   settled_requests  for records that carry a request id, INSERT OR IGNORE of it — when it
//                     was already there the record is a replay and nothing else is written;
//   usage_daily       upsert adding tokens, cost and requests to (team, client, provider,
//                     model, day);
//   budget_usage      upsert adding tokens, cost and requests to (team, period_key).
// A failed commit (disk full, locked by another process) keeps the batch queued and retries
// on the next tick; `max_queue_rows` bounds memory if the disk stays unusable (the oldest
// rows beyond it are dropped and counted in stats().dropped).
//
// Durability: a row appended with `on_written` (what the gateway does) is committed at once
// (batched with whatever else is queued) and the request's answer is finished only after the
// callback: a kill -9 never loses the usage of an answered request. Rows without a callback
// are committed on the next tick, so a kill -9 may lose those still queued. With
// synchronous=NORMAL (the default, WAL) a commit survives the process dying; a power loss or
// OS crash may still roll back the last commits; `synchronous_full` trades write latency for
// surviving that too. Request ids are kept `request_id_retention`
// (7 days) for de-duplication, then pruned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "budget/usage_store.h"

struct sqlite3;

namespace aigw::budget {

struct SqliteStoreOptions {
  std::string path = "./data/aigw.db";  // parent directories are created
  std::chrono::milliseconds flush_interval{100};
  std::size_t batch_rows = 1000;
  std::size_t max_queue_rows = 1'000'000;
  bool synchronous_full = false;
  std::chrono::hours request_id_retention{24 * 7};
};

class SqliteUsageStore final : public UsageStore {
 public:
  struct Stats {
    std::uint64_t appended = 0;
    std::uint64_t committed = 0;   // rows written (new request ids)
    std::uint64_t duplicates = 0;  // rows ignored: their request id was already settled
    std::uint64_t dropped = 0;     // rows lost to max_queue_rows
    std::uint64_t failed_commits = 0;
    std::string last_error;
  };

  // Opens (creating the file and schema when needed) and starts the writer thread.
  static Result<std::unique_ptr<SqliteUsageStore>> open(const SqliteStoreOptions& options);
  // Flushes what is queued, then stops the writer.
  ~SqliteUsageStore() override;
  SqliteUsageStore(const SqliteUsageStore&) = delete;
  SqliteUsageStore& operator=(const SqliteUsageStore&) = delete;

  void append(UsageRecord record) override;
  StoreStatus flush() override;
  Result<std::vector<PeriodTotal>> period_totals() override;
  Result<std::vector<ReportRow>> report(const ReportQuery& query) override;
  StoreStatus put_admin_record(std::string_view kind, std::string_view name, std::string_view value,
                               TimePoint now) override;
  StoreStatus delete_admin_record(std::string_view kind, std::string_view name) override;
  Result<std::vector<AdminRecord>> admin_records(std::string_view kind) override;

  Stats stats() const;

 private:
  SqliteUsageStore(SqliteStoreOptions options, sqlite3* writer, sqlite3* reader);
  void writer_loop();
  // Writes one batch in one transaction; false (and the error) when it was rolled back.
  struct WriterStatements;
  bool commit_batch(WriterStatements& statements, const std::deque<UsageRecord>& batch, std::string& error,
                    std::uint64_t& written, std::uint64_t& duplicates);
  void prune_request_ids(TimePoint now);
  // A passive WAL checkpoint once the WAL holds ~1000 pages (automatic ones are off).
  void checkpoint_if_due();

  const SqliteStoreOptions options_;
  sqlite3* writer_;  // used by the writer thread and admin writes, under write_mutex_
  sqlite3* reader_;  // reports and restores, under read_mutex_
  std::mutex write_mutex_;
  std::mutex read_mutex_;

  mutable std::mutex queue_mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable batch_done_;
  std::deque<UsageRecord> queue_;
  std::uint64_t enqueued_seq_ = 0;  // records ever appended (including dropped ones)
  std::uint64_t done_seq_ = 0;      // records ever committed or dropped, in order
  std::uint64_t flush_requested_seq_ = 0;
  bool stopping_ = false;
  std::atomic<int> wal_pages_{0};  // pages in the WAL after the last commit (wal hook)
  bool urgent_ = false;  // a queued row is waited for: commit without waiting for the tick
  Stats stats_;
  TimePoint last_prune_{};
  std::thread writer_thread_;
};

}  // namespace aigw::budget
