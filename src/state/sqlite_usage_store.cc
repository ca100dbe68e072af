// SQLite ledger: the batching writer thread, journal consumption, idempotent upserts, the
// report queries and admin records (the schema and connections: state/sqlite_db).
#include "state/sqlite_usage_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <tuple>
#include <utility>

#include "budget/period.h"
#include "state/sqlite_db.h"

namespace aigw::state {
namespace {

using budget::ReportField;
using budget::ReportQuery;
using budget::ReportRow;
using sqlite::db_error;
using sqlite::exec;
using sqlite::make_private;
using sqlite::migrate;
using sqlite::open_connection;
using sqlite::Statement;

constexpr const char* kInsertRequestId =
    "INSERT OR IGNORE INTO settled_requests (request_id, settled_at) VALUES (?1, ?2)";
constexpr const char* kUpsertDaily = R"sql(
INSERT INTO usage_daily (team, client, provider, model, day, input_tokens, output_tokens,
                         cached_tokens, cost_micros, requests, unpriced_requests,
                         estimated_requests, estimated_tokens)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?10, ?12, ?13)
ON CONFLICT (team, client, provider, model, day) DO UPDATE SET
  input_tokens = input_tokens + excluded.input_tokens,
  output_tokens = output_tokens + excluded.output_tokens,
  cached_tokens = cached_tokens + excluded.cached_tokens,
  cost_micros = cost_micros + excluded.cost_micros,
  requests = requests + excluded.requests,
  unpriced_requests = unpriced_requests + excluded.unpriced_requests,
  estimated_requests = estimated_requests + excluded.estimated_requests,
  estimated_tokens = estimated_tokens + excluded.estimated_tokens
)sql";
constexpr const char* kUpsertBudget = R"sql(
INSERT INTO budget_usage (team, period_key, tokens, cost_micros, requests)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (team, period_key) DO UPDATE SET
  tokens = tokens + excluded.tokens, cost_micros = cost_micros + excluded.cost_micros,
  requests = requests + excluded.requests
)sql";

constexpr const char* kUpsertProgress = R"sql(
INSERT INTO journal_progress (segment, consumed) VALUES (?1, ?2)
ON CONFLICT (segment) DO UPDATE SET consumed = excluded.consumed
)sql";

ApiError store_error(std::string message) {
  return ApiError{500, "state_error", "usage store: " + std::move(message), {}, {}, {}};
}

}  // namespace

// The writer's statements, prepared once: a batch of one row (a quiet gateway waiting for
// each answer's row) would otherwise spend most of its time parsing SQL.
struct SqliteUsageStore::WriterStatements {
  explicit WriterStatements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE", SQLITE_PREPARE_PERSISTENT),
        commit(db, "COMMIT", SQLITE_PREPARE_PERSISTENT),
        insert_id(db, kInsertRequestId, SQLITE_PREPARE_PERSISTENT),
        daily(db, kUpsertDaily, SQLITE_PREPARE_PERSISTENT),
        budget(db, kUpsertBudget, SQLITE_PREPARE_PERSISTENT),
        progress(db, kUpsertProgress, SQLITE_PREPARE_PERSISTENT),
        forget(db, "DELETE FROM journal_progress WHERE segment = ?1", SQLITE_PREPARE_PERSISTENT) {}
  bool ok() const {
    return begin.ok() && commit.ok() && insert_id.ok() && daily.ok() && budget.ok() &&
           progress.ok() && forget.ok();
  }
  Statement begin, commit, insert_id, daily, budget, progress, forget;
};

namespace {

std::string_view column_of(ReportField f) { return budget::report_field_name(f); }

std::string utc_day(TimePoint t) {
  return budget::BudgetPeriod(budget::PeriodKind::kDaily).period_key(t);
}

}  // namespace

SqliteStoreOptions sqlite_options(const StateSettings& state) {
  SqliteStoreOptions o;
  o.path = state.path;
  o.flush_interval = state.flush_interval;
  o.batch_rows = state.batch_rows;
  o.synchronous_full = state.synchronous_full;
  return o;
}

Result<std::unique_ptr<SqliteUsageStore>> SqliteUsageStore::open(
    const SqliteStoreOptions& options) {
  std::error_code ec;
  const auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return store_error("cannot create " + parent.string() + ": " + ec.message());

  std::string error = make_private(options.path);
  if (!error.empty()) return store_error(error);
  sqlite3* writer = open_connection(options.path, error);
  if (!writer) return store_error(error);
  // No automatic checkpoints: SQLite would run them (and their fsyncs) inside a COMMIT that
  // answers are waiting for. The writer checkpoints after it has released them.
  const std::string pragmas =
      std::string("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=") +
      (options.synchronous_full ? "FULL;" : "NORMAL;");
  if (!exec(writer, pragmas.c_str(), error) || !migrate(writer, error)) {
    sqlite3_close(writer);
    return store_error(options.path + ": " + error);
  }
  sqlite3* reader = open_connection(options.path, error);
  if (!reader || !exec(reader, "PRAGMA query_only=1;", error)) {
    sqlite3_close(reader);
    sqlite3_close(writer);
    return store_error(error);
  }
  std::unique_ptr<SqliteUsageStore> store(new SqliteUsageStore(options, writer, reader));
  // How far each journal segment is in the ledger; new segments are numbered above these.
  std::uint64_t highest = 0;
  {
    Statement q(writer, "SELECT segment, consumed FROM journal_progress");
    if (!q.ok()) return store_error(db_error(writer, "reading journal_progress"));
    while (q.next_row()) {
      const std::string segment = q.column_text(0);
      store->consumed_[segment] = static_cast<std::uint64_t>(q.column_int(1));
      highest = std::max(highest, JournalDirectory::segment_number(segment).value_or(0));
    }
  }
  JournalDirectory::Options journal;
  journal.path = options.path + ".journal";
  journal.segment_bytes = options.journal_segment_bytes;
  journal.sync = options.synchronous_full;
  // A copy, not the store: a writer may outlive the store.
  journal.log = [log = options.log](const std::string& line) {
    if (log) return log(line);
    std::fprintf(stderr, "aigw: %s\n", line.c_str());
  };
  auto journals = JournalDirectory::open(journal, highest);
  if (!journals) return journals.error();
  store->journals_ = std::move(*journals);
  // Replays what an earlier run left in its journals, before anything is served.
  if (!store->consume_journals(error)) return store_error("replaying the usage journals: " + error);
  // Progress rows of segments deleted just before a crash: their files are gone.
  {
    std::lock_guard write(store->write_mutex_);
    std::map<std::string, bool> present;
    for (const auto& s : store->journals_->segments()) present[s.name] = true;
    for (auto it = store->consumed_.begin(); it != store->consumed_.end();) {
      if (present.count(it->first) != 0) {
        ++it;
        continue;
      }
      Statement& forget = store->statements().forget;
      forget.text(1, it->first);
      forget.run();
      it = store->consumed_.erase(it);
    }
  }
  store->writer_thread_ = std::thread([s = store.get()] { s->writer_loop(); });
  return store;
}

SqliteUsageStore::SqliteUsageStore(SqliteStoreOptions options, sqlite3* writer, sqlite3* reader)
    : options_(std::move(options)), writer_(writer), reader_(reader) {
  sqlite3_wal_hook(
      writer_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<SqliteUsageStore*>(self)->wal_pages_.store(pages);
        return SQLITE_OK;
      },
      this);
}

void SqliteUsageStore::checkpoint_if_due() {
  constexpr int kCheckpointPages = 1000;  // SQLite's own default for automatic checkpoints
  if (wal_pages_.load() < kCheckpointPages) return;
  std::lock_guard write(write_mutex_);
  sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  wal_pages_.store(0);
}

SqliteUsageStore::~SqliteUsageStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  statements_.reset();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

void SqliteUsageStore::append(UsageRecord record) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(record));
    ++enqueued_seq_;
    ++stats_.appended;
    if (queue_.size() > options_.max_queue_rows) {
      queue_.pop_front();
      ++done_seq_;
      ++stats_.dropped;
    }
    if (queue_.size() < options_.batch_rows) return;
  }
  wake_writer_.notify_one();
}

std::unique_ptr<UsageJournal> SqliteUsageStore::open_journal() { return journals_->writer(); }

SqliteUsageStore::WriterStatements& SqliteUsageStore::statements() {
  if (!statements_ || !statements_->ok()) statements_ = std::make_unique<WriterStatements>(writer_);
  return *statements_;
}

void SqliteUsageStore::log(const std::string& line) const {
  if (options_.log) return options_.log(line);
  std::fprintf(stderr, "aigw: %s\n", line.c_str());
}

void SqliteUsageStore::writer_loop() {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    wake_writer_.wait_for(lock, options_.flush_interval, [&] {
      return stopping_ || queue_.size() >= options_.batch_rows ||
             flush_requested_seq_ > done_seq_ || journal_requested_ > journal_done_;
    });
    const bool stopping = stopping_;
    const std::uint64_t journal_target = journal_requested_;
    std::deque<UsageRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    std::string error;
    std::uint64_t written = 0;
    std::uint64_t duplicates = 0;
    bool ok = true;
    if (!batch.empty()) {
      std::lock_guard write(write_mutex_);
      ok = commit_batch(statements(), batch, {}, error, written, duplicates);
      if (ok) prune_request_ids(batch.back().at);
    }
    std::string journal_error;
    const bool journal_ok = consume_journals(journal_error);
    checkpoint_if_due();
    lock.lock();
    if (ok) {
      done_seq_ += batch.size();
      stats_.committed += written;
      stats_.duplicates += duplicates;
    } else {
      ++stats_.failed_commits;
      stats_.last_error = error;
      // Keep the rows, oldest first, ahead of what arrived meanwhile; retry on the next tick.
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
      while (queue_.size() > options_.max_queue_rows) {
        queue_.pop_front();
        ++done_seq_;
        ++stats_.dropped;
      }
    }
    if (journal_ok) {
      journal_done_ = journal_target;
    } else {
      ++stats_.failed_commits;
      stats_.last_error = journal_error;
    }
    failing_ = !ok || !journal_ok;
    batch_done_.notify_all();
    // Shutting down: once everything is written, or on a broken disk (what is queued cannot
    // be saved; what is journaled is replayed at the next start).
    if (stopping && (queue_.empty() || !ok)) return;
    if (!ok || !journal_ok)
      wake_writer_.wait_for(lock, options_.flush_interval, [&] { return stopping_; });
  }
}

bool SqliteUsageStore::consume_journals(std::string& error) {
  std::deque<UsageRecord> batch;
  Progress progress;
  std::vector<std::string> finished;  // sealed and consumed to the end: deleted after the commit
  const auto commit = [&]() -> bool {
    if (batch.empty() && progress.empty()) return true;
    std::uint64_t written = 0;
    std::uint64_t duplicates = 0;
    {
      std::lock_guard write(write_mutex_);
      if (!commit_batch(statements(), batch, progress, error, written, duplicates)) return false;
    }
    for (const auto& [segment, offset] : progress) consumed_[segment] = offset;
    {
      std::lock_guard lock(queue_mutex_);
      stats_.committed += written;
      stats_.duplicates += duplicates;
      stats_.journaled += batch.size();
    }
    batch.clear();
    progress.clear();
    return true;
  };
  for (const auto& segment : journals_->segments()) {
    const std::uint64_t offset = consumed_[segment.name];
    auto read = read_journal_from(journals_->file(segment.name), offset);
    if (!read) {
      if (segment.sealed) finished.push_back(segment.name);  // never created
      continue;
    }
    const std::string& bytes = *read;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      JournalScan scan =
          scan_journal(std::string_view(bytes).substr(pos), segment.sealed,
                       options_.batch_rows - std::min(batch.size(), options_.batch_rows - 1));
      if (scan.skipped_bytes > 0) {
        log("usage journal " + segment.name + ": skipped " + std::to_string(scan.skipped_bytes) +
            " damaged or torn bytes at offset " + std::to_string(offset + pos) + " (" +
            std::to_string(scan.damaged_frames) + " records with a wrong checksum)");
        std::lock_guard lock(queue_mutex_);
        stats_.journal_skipped_bytes += scan.skipped_bytes;
      }
      if (scan.consumed == 0) break;
      pos += scan.consumed;
      for (auto& r : scan.records) batch.push_back(std::move(r));
      if (!progress.empty() && progress.back().first == segment.name) {
        progress.back().second = offset + pos;
      } else {
        progress.emplace_back(segment.name, offset + pos);
      }
      if (batch.size() >= options_.batch_rows && !commit()) return false;
    }
    if (segment.sealed && pos == bytes.size()) finished.push_back(segment.name);
  }
  if (!commit()) return false;
  if (finished.empty()) return true;
  // The files first, made durable, then their progress rows: a crash in between leaves rows
  // without files (dropped at the next open), never a file without its row.
  for (const auto& name : finished) {
    if (::unlink(journals_->file(name).c_str()) != 0 && errno != ENOENT) {
      log("usage journal " + name + ": cannot delete it: " + std::strerror(errno));
    }
  }
  if (const int dir = ::open(journals_->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  std::lock_guard write(write_mutex_);
  for (const auto& name : finished) {
    Statement& forget = statements().forget;
    forget.text(1, name);
    forget.run();
    consumed_.erase(name);
    journals_->forget(name);
  }
  return true;
}

namespace {

// A batch summed per ledger row before it is written: a busy gateway settles many requests of
// the same team, client and model a second, and each distinct row costs one upsert.
struct DailySum {
  std::int64_t input = 0, output = 0, cached = 0, requests = 0, unpriced = 0;
  std::int64_t estimated_requests = 0, estimated_tokens = 0;
  Micros cost = 0;
};
struct PeriodSum {
  std::int64_t tokens = 0, requests = 0;
  Micros cost = 0;
};
using DailyKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
using PeriodKey = std::pair<std::string, std::string>;

void add(std::map<DailyKey, DailySum>& daily, std::map<PeriodKey, PeriodSum>& periods,
         const UsageRecord& r) {
  DailySum& d = daily[{r.team, r.client, r.provider, r.model, utc_day(r.at)}];
  d.input += r.usage.input_tokens;
  d.output += r.usage.output_tokens;
  d.cached += r.usage.cached_tokens;
  d.cost += r.cost_micros;
  const UsageRecord::Counts counts = request_counts(r);
  d.requests += counts.requests;
  d.unpriced += counts.unpriced;
  d.estimated_requests += counts.estimated;
  d.estimated_tokens += r.usage.estimated_tokens;
  if (r.period_key.empty()) return;
  PeriodSum& p = periods[{r.team, r.period_key}];
  p.tokens += budget_tokens_of(r.usage);
  p.cost += r.cost_micros;
  p.requests += counts.requests;
}

}  // namespace

bool SqliteUsageStore::commit_batch(WriterStatements& st, const std::deque<UsageRecord>& batch,
                                    const Progress& progress, std::string& error,
                                    std::uint64_t& written, std::uint64_t& duplicates) {
  if (!st.ok()) {
    error = db_error(writer_, "preparing the ledger's statements");
    return false;
  }
  if (st.begin.run() != SQLITE_DONE) {
    error = db_error(writer_, "BEGIN");
    return false;
  }
  Statement& insert_id = st.insert_id;
  Statement& daily = st.daily;
  Statement& budget = st.budget;
  bool ok = true;
  std::map<DailyKey, DailySum> daily_sums;
  std::map<PeriodKey, PeriodSum> period_sums;
  for (auto it = batch.begin(); ok && it != batch.end(); ++it) {
    const UsageRecord& r = *it;
    if (!r.request_id.empty()) {
      insert_id.text(1, r.request_id);
      insert_id.integer(2, r.at.time_since_epoch().count());
      if (insert_id.run() != SQLITE_DONE) {
        ok = false;
        break;
      }
      if (sqlite3_changes(writer_) == 0) {  // this request was settled before: a replay
        ++duplicates;
        continue;
      }
    }
    add(daily_sums, period_sums, r);
    ++written;
  }
  for (auto it = daily_sums.begin(); ok && it != daily_sums.end(); ++it) {
    const auto& [team, client, provider, model, day] = it->first;
    const DailySum& d = it->second;
    daily.text(1, team);
    daily.text(2, client);
    daily.text(3, provider);
    daily.text(4, model);
    daily.text(5, day);
    daily.integer(6, d.input);
    daily.integer(7, d.output);
    daily.integer(8, d.cached);
    daily.integer(9, d.cost);
    daily.integer(10, d.unpriced);
    daily.integer(11, d.requests);
    daily.integer(12, d.estimated_requests);
    daily.integer(13, d.estimated_tokens);
    ok = daily.run() == SQLITE_DONE;
  }
  for (auto it = period_sums.begin(); ok && it != period_sums.end(); ++it) {
    budget.text(1, it->first.first);
    budget.text(2, it->first.second);
    budget.integer(3, it->second.tokens);
    budget.integer(4, it->second.cost);
    budget.integer(5, it->second.requests);
    ok = budget.run() == SQLITE_DONE;
  }
  for (auto it = progress.begin(); ok && it != progress.end(); ++it) {
    st.progress.text(1, it->first);
    st.progress.integer(2, static_cast<std::int64_t>(it->second));
    ok = st.progress.run() == SQLITE_DONE;
  }
  if (ok && st.commit.run() == SQLITE_DONE) return true;
  if (error.empty()) error = sqlite3_errmsg(writer_);
  std::string ignored;
  exec(writer_, "ROLLBACK", ignored);
  written = 0;
  duplicates = 0;
  return false;
}

void SqliteUsageStore::prune_request_ids(TimePoint now) {
  // Hourly at most: ids older than the retention cannot be replayed any more.
  if (now - last_prune_ < std::chrono::hours(1)) return;
  last_prune_ = now;
  Statement prune(writer_, "DELETE FROM settled_requests WHERE settled_at < ?1");
  if (!prune.ok()) return;
  prune.integer(1, (now - options_.request_id_retention).time_since_epoch().count());
  prune.run();
}

StoreStatus SqliteUsageStore::flush() {
  std::unique_lock lock(queue_mutex_);
  const std::uint64_t target = enqueued_seq_;
  const std::uint64_t journal_target = ++journal_requested_;
  flush_requested_seq_ = std::max(flush_requested_seq_, target);
  const std::uint64_t failures_before = stats_.failed_commits;
  wake_writer_.notify_one();
  const auto done = [&] { return done_seq_ >= target && journal_done_ >= journal_target; };
  batch_done_.wait(lock, [&] { return done() || stats_.failed_commits != failures_before; });
  if (done()) return std::nullopt;
  return store_error("writing the usage ledger failed (kept queued, retrying): " +
                     stats_.last_error);
}

std::optional<std::string> SqliteUsageStore::unavailable() const {
  std::lock_guard lock(queue_mutex_);
  if (!failing_) return std::nullopt;
  return "the usage ledger cannot be written (" + stats_.last_error + ")";
}

SqliteUsageStore::Stats SqliteUsageStore::stats() const {
  std::lock_guard lock(queue_mutex_);
  return stats_;
}

Result<std::vector<PeriodTotal>> SqliteUsageStore::period_totals() {
  std::lock_guard lock(read_mutex_);
  Statement q(reader_, "SELECT team, period_key, tokens, cost_micros, requests FROM budget_usage");
  if (!q.ok()) return store_error(db_error(reader_, "reading budget_usage"));
  std::vector<PeriodTotal> out;
  while (q.next_row()) {
    out.push_back(
        {q.column_text(0), q.column_text(1), q.column_int(2), q.column_int(3), q.column_int(4)});
  }
  return out;
}

Result<std::vector<ReportRow>> SqliteUsageStore::report(const ReportQuery& query) {
  std::string groups;
  for (ReportField f : query.group_by) {
    groups += (groups.empty() ? "" : ", ") + std::string(column_of(f));
  }
  std::string sql = "SELECT ";
  for (ReportField f : query.group_by) sql += std::string(column_of(f)) + ", ";
  sql +=
      "SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(requests), "
      "SUM(unpriced_requests), SUM(cost_micros), COUNT(*), SUM(estimated_requests), "
      "SUM(estimated_tokens) FROM usage_daily "
      "WHERE (?1 = '' OR day >= ?1) AND (?2 = '' OR day <= ?2) "
      "AND (?3 = '' OR team = ?3) AND (?4 = '' OR client = ?4)";
  if (!groups.empty()) sql += " GROUP BY " + groups + " ORDER BY " + groups;

  std::lock_guard lock(read_mutex_);
  Statement q(reader_, sql.c_str());
  if (!q.ok()) return store_error(db_error(reader_, "report query"));
  q.text(1, query.from_day);
  q.text(2, query.to_day);
  q.text(3, query.team);
  q.text(4, query.client);
  std::vector<ReportRow> rows;
  const int n = static_cast<int>(query.group_by.size());
  while (q.next_row()) {
    if (q.column_int(n + 6) == 0) continue;  // no groups and no rows: SUM over nothing
    ReportRow r;
    for (int i = 0; i < n; ++i) {
      std::string v = q.column_text(i);
      switch (query.group_by[static_cast<std::size_t>(i)]) {
        case ReportField::kTeam:
          r.team = std::move(v);
          break;
        case ReportField::kClient:
          r.client = std::move(v);
          break;
        case ReportField::kProvider:
          r.provider = std::move(v);
          break;
        case ReportField::kModel:
          r.model = std::move(v);
          break;
        case ReportField::kDay:
          r.day = std::move(v);
          break;
      }
    }
    r.input_tokens = q.column_int(n);
    r.output_tokens = q.column_int(n + 1);
    r.cached_tokens = q.column_int(n + 2);
    r.requests = q.column_int(n + 3);
    r.unpriced_requests = q.column_int(n + 4);
    r.cost_micros = q.column_int(n + 5);
    r.estimated_requests = q.column_int(n + 7);
    r.estimated_tokens = q.column_int(n + 8);
    rows.push_back(std::move(r));
  }
  return rows;
}

Result<bool> SqliteUsageStore::write_admin_record(const char* sql, std::string_view kind,
                                                  std::string_view name, std::string_view value,
                                                  TimePoint now) {
  std::lock_guard lock(write_mutex_);
  Statement q(writer_, sql);
  if (!q.ok()) return store_error(db_error(writer_, "saving an admin record"));
  q.text(1, kind);
  q.text(2, name);
  q.text(3, value);
  q.integer(4, now.time_since_epoch().count());
  if (q.run() != SQLITE_DONE) return store_error(db_error(writer_, "saving an admin record"));
  return sqlite3_changes(writer_) > 0;
}

StoreStatus SqliteUsageStore::put_admin_record(std::string_view kind, std::string_view name,
                                               std::string_view value, TimePoint now) {
  auto written = write_admin_record(
      "INSERT INTO admin_records (kind, name, value, updated_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (kind, name) DO UPDATE SET value = excluded.value, "
      "updated_at = excluded.updated_at",
      kind, name, value, now);
  if (!written) return written.error();
  return std::nullopt;
}

Result<bool> SqliteUsageStore::put_admin_record_if_absent(std::string_view kind,
                                                          std::string_view name,
                                                          std::string_view value, TimePoint now) {
  return write_admin_record(
      "INSERT OR IGNORE INTO admin_records (kind, name, value, updated_at) "
      "VALUES (?1, ?2, ?3, ?4)",
      kind, name, value, now);
}

StoreStatus SqliteUsageStore::delete_admin_record(std::string_view kind, std::string_view name) {
  std::lock_guard lock(write_mutex_);
  Statement q(writer_, "DELETE FROM admin_records WHERE kind = ?1 AND name = ?2");
  if (!q.ok()) return store_error(db_error(writer_, "deleting an admin record"));
  q.text(1, kind);
  q.text(2, name);
  if (q.run() != SQLITE_DONE) return store_error(db_error(writer_, "deleting an admin record"));
  return std::nullopt;
}

Result<std::vector<AdminRecord>> SqliteUsageStore::admin_records(std::string_view kind) {
  std::lock_guard lock(read_mutex_);
  Statement q(reader_,
              "SELECT kind, name, value, updated_at FROM admin_records WHERE kind = ?1 "
              "ORDER BY name");
  if (!q.ok()) return store_error(db_error(reader_, "reading admin records"));
  q.text(1, kind);
  std::vector<AdminRecord> out;
  while (q.next_row()) {
    out.push_back({q.column_text(0), q.column_text(1), q.column_text(2),
                   TimePoint(std::chrono::seconds(q.column_int(3)))});
  }
  return out;
}

}  // namespace aigw::state
