// The usage ledger in SQLite: WAL mode, one writer thread committing batched rows off the
// request path, a separate connection for reads (WAL lets them run beside the writer).
//
// Writes come two ways. The usage journals (usage_journal.h; what the gateway uses): each I/O
// thread appends records to its own segment files under `<path>.journal/`; every
// `flush_interval` the writer reads each segment from where it last stopped and commits what
// it finds in transactions of at most `batch_rows` rows, each transaction also recording in
// `journal_progress` how far each segment is now in the ledger. A segment whose writer has
// moved on is deleted once consumed to its end (then its progress row). So a crash at any
// point — before a commit, between the commit and the deletion — never counts a journal
// record twice nor loses one: open() replays every segment left over, from its recorded
// offset, before it returns (before the gateway serves). And append(): a record on an
// in-memory queue, committed every `flush_interval` or as soon as `batch_rows` are waiting.
// Each batch is summed per ledger row first (one upsert per distinct row, not per request):
//   settled_requests  for records that carry a request id, INSERT OR IGNORE of it — when it
//                     was already there the record is a replay and nothing else is written;
//   usage_daily       upsert adding tokens, cost and requests to (team, client, provider,
//                     model, day);
//   budget_usage      upsert adding tokens, cost and requests to (team, period_key).
// A failed commit (disk full, locked by another process) keeps the batch queued and retries
// on the next tick; `max_queue_rows` bounds memory if the disk stays unusable (the oldest
// rows beyond it are dropped and counted in stats().dropped).
//
// Durability: a journaled record is in the page cache when append() returns, so a kill -9
// never loses it; queued records not yet committed are lost by a kill -9. With
// synchronous=NORMAL (the default, WAL) a power loss or OS crash may lose the last journal
// writes and roll back the last commits; `synchronous_full` adds an fdatasync per journal
// append (on the I/O thread) and a full sync per commit, so nothing answered is lost then
// either. Request ids are kept `request_id_retention` (7 days) for de-duplication, then pruned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "state/state_settings.h"
#include "state/usage_journal.h"
#include "state/usage_store.h"

struct sqlite3;

namespace aigw::state {

struct SqliteStoreOptions {
  std::string path = "./data/aigw.db";  // parent directories are created
  std::chrono::milliseconds flush_interval{100};
  std::size_t batch_rows = 1000;
  std::size_t max_queue_rows = 1'000'000;
  bool synchronous_full = false;
  std::chrono::hours request_id_retention{24 * 7};
  // The journals' directory is `<path>.journal`; a writer starts a new segment beyond this.
  std::size_t journal_segment_bytes = 4 << 20;
  // Notices (a damaged journal frame skipped, a journal that cannot be deleted); default:
  // stderr.
  std::function<void(const std::string&)> log;
};

// The options `state:` sets (state_settings.h); the rest keep their defaults.
SqliteStoreOptions sqlite_options(const StateSettings& state);

class SqliteUsageStore final : public UsageStore {
 public:
  struct Stats {
    std::uint64_t appended = 0;
    std::uint64_t committed = 0;   // rows written (new request ids)
    std::uint64_t duplicates = 0;  // rows ignored: their request id was already settled
    std::uint64_t dropped = 0;     // rows lost to max_queue_rows
    std::uint64_t failed_commits = 0;
    std::uint64_t journaled = 0;              // records read from the journals and committed
    std::uint64_t journal_skipped_bytes = 0;  // damaged or torn bytes skipped in the journals
    std::string last_error;
  };

  // Opens (creating the file and schema when needed), replays the journals left over, and
  // starts the writer thread.
  static Result<std::unique_ptr<SqliteUsageStore>> open(const SqliteStoreOptions& options);
  // Flushes what is queued, then stops the writer.
  ~SqliteUsageStore() override;
  SqliteUsageStore(const SqliteUsageStore&) = delete;
  SqliteUsageStore& operator=(const SqliteUsageStore&) = delete;

  void append(UsageRecord record) override;
  std::unique_ptr<UsageJournal> open_journal() override;
  StoreStatus flush() override;
  std::optional<std::string> unavailable() const override;
  Result<std::vector<PeriodTotal>> period_totals() override;
  Result<std::vector<budget::ReportRow>> report(const budget::ReportQuery& query) override;
  StoreStatus put_admin_record(std::string_view kind, std::string_view name, std::string_view value,
                               TimePoint now) override;
  Result<bool> put_admin_record_if_absent(std::string_view kind, std::string_view name,
                                          std::string_view value, TimePoint now) override;
  StoreStatus delete_admin_record(std::string_view kind, std::string_view name) override;
  Result<std::vector<AdminRecord>> admin_records(std::string_view kind) override;

  Stats stats() const;

 private:
  SqliteUsageStore(SqliteStoreOptions options, sqlite3* writer, sqlite3* reader);
  void writer_loop();
  // Writes one batch in one transaction, with how far each journal segment is consumed then
  // (segment → bytes); false (and the error) when it was rolled back.
  struct WriterStatements;
  using Progress = std::vector<std::pair<std::string, std::uint64_t>>;
  bool commit_batch(WriterStatements& statements, const std::deque<UsageRecord>& batch,
                    const Progress& progress, std::string& error, std::uint64_t& written,
                    std::uint64_t& duplicates);
  // Commits what the journals hold beyond what is consumed, then deletes the segments that are
  // sealed and consumed to their end. Writer thread (or open(), before it starts) only.
  bool consume_journals(std::string& error);
  WriterStatements& statements();  // under write_mutex_
  void log(const std::string& line) const;
  // Runs an admin record write (?1 kind, ?2 name, ?3 value, ?4 time); true when a row changed.
  Result<bool> write_admin_record(const char* sql, std::string_view kind, std::string_view name,
                                  std::string_view value, TimePoint now);
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
  // flush() asks for the journals to be consumed to their end; the writer says how far done.
  std::uint64_t journal_requested_ = 0;
  std::uint64_t journal_done_ = 0;
  Stats stats_;
  bool failing_ = false;  // the writer's last round failed (commit or journals)
  TimePoint last_prune_{};
  std::unique_ptr<WriterStatements> statements_;  // prepared on first use, under write_mutex_
  std::shared_ptr<JournalDirectory> journals_;
  std::map<std::string, std::uint64_t> consumed_;  // segment → bytes in the ledger (writer only)
  std::thread writer_thread_;
};

}  // namespace aigw::state
