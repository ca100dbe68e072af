// The SQLite ledger: batched writes, de-duplication, restart, kill -9, reports, admin records.
#include "state/sqlite_usage_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "budget/budget_tracker.h"

namespace aigw::state {
namespace {

using budget::BudgetDecision;
using budget::BudgetPeriod;
using budget::BudgetTracker;
using budget::PeriodKind;
using budget::ReportField;
using budget::ReportQuery;
using budget::ReportRow;
using budget::TeamBudget;

using namespace std::chrono;
namespace fs = std::filesystem;

TimePoint at(int y, unsigned mo, unsigned d, int h = 0) {
  return TimePoint(sys_days{year{y} / month{mo} / day{d}}) + hours(h);
}

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "aigw-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

UsageRecord record(std::string id, std::string team, std::string client, std::string model,
                   std::int64_t input, std::int64_t output, TimePoint when, double usd = 0.01) {
  UsageRecord r;
  r.request_id = std::move(id);
  r.team = std::move(team);
  r.client = std::move(client);
  r.provider = model.starts_with("claude") ? "anthropic" : "openai";
  r.model = std::move(model);
  r.usage = Usage{input, output, input / 10, true};
  r.cost_micros = micros_from_usd(usd);
  r.at = when;
  r.period_key = BudgetPeriod(PeriodKind::kMonthly).period_key(when);
  return r;
}

std::unique_ptr<SqliteUsageStore> open_store(const std::string& path,
                                             milliseconds flush_interval = milliseconds(50),
                                             std::size_t batch_rows = 1000) {
  SqliteStoreOptions o;
  o.path = path;
  o.flush_interval = flush_interval;
  o.batch_rows = batch_rows;
  auto store = SqliteUsageStore::open(o);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store.value()) : nullptr;
}

ReportRow total(UsageStore& store, ReportQuery q = {}) {
  q.group_by = {};
  auto rows = store.report(q);
  EXPECT_TRUE(rows.ok());
  return rows.ok() && !rows->empty() ? rows->front() : ReportRow{};
}

// Polls until the writer has committed `rows` (it does so on its own, without flush()).
bool wait_for_committed(SqliteUsageStore& store, std::uint64_t rows, milliseconds within) {
  const auto deadline = steady_clock::now() + within;
  while (steady_clock::now() < deadline) {
    if (store.stats().committed >= rows) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

TEST(SqliteStoreTest, TheWriterCommitsBatchesOnItsOwnWithinTheFlushInterval) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"), milliseconds(50));
  for (int i = 0; i < 10; ++i) {
    store->append(
        record("r" + std::to_string(i), "platform", "ci-bot", "gpt-4o", 100, 10, at(2026, 11, 24)));
  }
  ASSERT_TRUE(wait_for_committed(*store, 10, seconds(5)));
  EXPECT_EQ(total(*store).requests, 10);
  EXPECT_EQ(total(*store).input_tokens, 1'000);
  EXPECT_TRUE(fs::exists(dir.file("aigw.db-wal")));  // WAL mode
}

TEST(SqliteStoreTest, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"), milliseconds(10'000), 5);
  for (int i = 0; i < 5; ++i) {
    store->append(
        record("r" + std::to_string(i), "platform", "ci-bot", "gpt-4o", 1, 1, at(2026, 11, 24)));
  }
  EXPECT_TRUE(wait_for_committed(*store, 5, seconds(5)));
}

TEST(SqliteStoreTest, FlushCommitsEverythingAppendedBeforeIt) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"), milliseconds(10'000));
  for (int i = 0; i < 100; ++i) {
    store->append(
        record("r" + std::to_string(i), "platform", "ci-bot", "gpt-4o", 1, 2, at(2026, 11, 24)));
  }
  EXPECT_FALSE(store->flush().has_value());
  EXPECT_EQ(store->stats().committed, 100u);
  EXPECT_EQ(total(*store).output_tokens, 200);
  EXPECT_FALSE(store->flush().has_value());  // nothing queued: returns at once
}

// /readyz asks the store whether it takes writes: not while another process holds the
// database's write lock past the busy timeout, and again once the lock is gone.
TEST(SqliteStoreTest, UnavailableWhileWritesFailAndAvailableOnceTheyPass) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"));
  EXPECT_FALSE(store->unavailable());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("aigw.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  store->append(record("r1", "platform", "ci-bot", "gpt-4o", 1, 1, at(2026, 11, 24)));
  const auto deadline = steady_clock::now() + seconds(20);  // the store waits 5 s for a lock
  while (!store->unavailable() && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
  const auto problem = store->unavailable();
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("usage ledger"), std::string::npos) << *problem;
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(wait_for_committed(*store, 1, seconds(20)));  // the row was kept and retried
  EXPECT_FALSE(store->unavailable());
}

TEST(SqliteStoreTest, ADuplicateRequestIdIsCountedOnce) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"));
  const UsageRecord r = record("req-1", "platform", "ci-bot", "gpt-4o", 100, 10, at(2026, 11, 24));
  store->append(r);
  store->append(r);  // same batch
  ASSERT_FALSE(store->flush().has_value());
  store->append(r);  // a later batch
  ASSERT_FALSE(store->flush().has_value());
  EXPECT_EQ(total(*store).requests, 1);
  EXPECT_EQ(total(*store).input_tokens, 100);
  EXPECT_EQ(store->stats().duplicates, 2u);
  auto totals = store->period_totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ(totals->front().tokens, 110);
  EXPECT_EQ(totals->front().requests, 1);
}

TEST(SqliteStoreTest, ARestartRestoresBudgetCountersAndIgnoresReplays) {
  TempDir dir;
  const TimePoint now = at(2026, 11, 24, 12);
  const TeamBudget budget{1'000, std::nullopt, BudgetPeriod(PeriodKind::kMonthly)};
  {
    auto store = open_store(dir.file("aigw.db"));
    BudgetTracker tracker(store.get());
    tracker.set_budget("platform", budget);
    tracker.settle(record("a", "platform", "ci-bot", "gpt-4o", 500, 100, at(2026, 10, 31)));
    tracker.settle(record("b", "platform", "ci-bot", "gpt-4o", 300, 100, now));
    tracker.settle(record("c", "platform", "laptop", "claude-sonnet-4", 500, 100, now));
    EXPECT_FALSE(tracker.check("platform", now).allowed);
  }  // the destructor flushes
  auto store = open_store(dir.file("aigw.db"));
  BudgetTracker tracker(store.get());
  tracker.set_budget("platform", budget);
  auto totals = store->period_totals();
  ASSERT_TRUE(totals.ok());
  tracker.restore(*totals, now);
  const BudgetDecision d = tracker.check("platform", now);
  EXPECT_EQ(d.used_tokens, 1'000);  // October's 600 are another period
  EXPECT_EQ(d.requests, 2);
  EXPECT_FALSE(d.allowed);
  // A replay of an already settled request after the restart counts nothing twice.
  store->append(record("c", "platform", "laptop", "claude-sonnet-4", 500, 100, now));
  ASSERT_FALSE(store->flush().has_value());
  EXPECT_EQ(total(*store).requests, 3);
}

TEST(SqliteStoreTest, AKillNineLosesAtMostTheUnflushedBatch) {
  TempDir dir;
  const std::string path = dir.file("aigw.db");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SqliteStoreOptions o;
    o.path = path;
    o.flush_interval = milliseconds(60'000);  // nothing is written unless flushed
    auto store = SqliteUsageStore::open(o);
    if (!store.ok()) _exit(2);
    for (int i = 0; i < 200; ++i) {
      (*store)->append(
          record("r" + std::to_string(i), "platform", "ci-bot", "gpt-4o", 10, 1, at(2026, 11, 24)));
    }
    if ((*store)->flush()) _exit(3);
    for (int i = 200; i < 250; ++i) {
      (*store)->append(
          record("r" + std::to_string(i), "platform", "ci-bot", "gpt-4o", 10, 1, at(2026, 11, 24)));
    }
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  auto store = open_store(path);
  const ReportRow t = total(*store);
  EXPECT_EQ(t.requests, 200);  // every flushed row survived; the queued 50 were lost
  EXPECT_EQ(t.input_tokens, 2'000);
  auto totals = store->period_totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ(totals->front().tokens, t.input_tokens + t.output_tokens);  // one transaction
}

TEST(SqliteStoreTest, ConcurrentAppendsFromManyThreadsAllLand) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"), milliseconds(20), 64);
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 500; ++i) {
        store->append(record(std::to_string(th) + "-" + std::to_string(i),
                             "team" + std::to_string(th % 3), "c" + std::to_string(i % 4), "gpt-4o",
                             3, 2, at(2026, 11, 24)));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(store->flush().has_value());
  const ReportRow t = total(*store);
  EXPECT_EQ(t.requests, 4'000);
  EXPECT_EQ(t.input_tokens, 12'000);
  EXPECT_EQ(t.output_tokens, 8'000);
}

TEST(SqliteStoreTest, ReportsAreGroupedAndFiltered) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"));
  store->append(record("1", "platform", "ci-bot", "gpt-4o", 100, 10, at(2026, 11, 23, 10), 1.0));
  store->append(record("2", "platform", "ci-bot", "gpt-4o", 200, 20, at(2026, 11, 24, 10), 2.0));
  store->append(
      record("3", "platform", "laptop", "claude-sonnet-4", 300, 30, at(2026, 11, 24, 11), 3.0));
  store->append(record("4", "research", "nb", "gpt-4o", 400, 40, at(2026, 11, 24, 12), 4.0));
  UsageRecord unpriced = record("5", "research", "nb", "llama3", 50, 5, at(2026, 11, 25), 0);
  unpriced.priced = false;
  store->append(unpriced);
  ASSERT_FALSE(store->flush().has_value());

  ReportQuery by_team;
  by_team.group_by = {ReportField::kTeam};
  auto rows = store->report(by_team);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].team, "platform");
  EXPECT_EQ((*rows)[0].input_tokens, 600);
  EXPECT_EQ((*rows)[0].requests, 3);
  EXPECT_EQ((*rows)[0].cost_micros, 6'000'000);
  EXPECT_EQ((*rows)[0].client, "");  // not grouped by
  EXPECT_EQ((*rows)[1].team, "research");
  EXPECT_EQ((*rows)[1].unpriced_requests, 1);

  ReportQuery by_model_day;
  by_model_day.group_by = {ReportField::kProvider, ReportField::kModel, ReportField::kDay};
  rows = store->report(by_model_day);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].provider, "anthropic");
  EXPECT_EQ((*rows)[0].day, "2026-11-24");
  EXPECT_EQ((*rows)[1].model, "gpt-4o");
  EXPECT_EQ((*rows)[1].day, "2026-11-23");
  EXPECT_EQ((*rows)[2].day, "2026-11-24");
  EXPECT_EQ((*rows)[2].requests, 2);  // platform's and research's gpt-4o on the 24th

  ReportQuery filtered;
  filtered.group_by = {ReportField::kClient};
  filtered.team = "platform";
  filtered.from_day = "2026-11-24";
  filtered.to_day = "2026-11-24";
  rows = store->report(filtered);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].client, "ci-bot");
  EXPECT_EQ((*rows)[0].input_tokens, 200);
  EXPECT_EQ((*rows)[1].client, "laptop");

  ReportQuery empty;
  empty.team = "nobody";
  EXPECT_TRUE(store->report(empty)->empty());
}

TEST(SqliteStoreTest, AdminRecordsPersistAcrossARestart) {
  TempDir dir;
  {
    auto store = open_store(dir.file("aigw.db"));
    EXPECT_FALSE(store->put_admin_record("team", "platform", R"({"tokens":1})", at(2026, 11, 24)));
    EXPECT_FALSE(store->put_admin_record("team", "platform", R"({"tokens":2})", at(2026, 11, 25)));
    EXPECT_FALSE(store->put_admin_record("team", "research", R"({})", at(2026, 11, 25)));
    EXPECT_FALSE(store->put_admin_record("limits", "platform", R"({})", at(2026, 11, 25)));
    EXPECT_FALSE(store->delete_admin_record("team", "research"));
  }
  auto store = open_store(dir.file("aigw.db"));
  const auto teams = store->admin_records("team");
  ASSERT_TRUE(teams.ok());
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ(teams->front().name, "platform");
  EXPECT_EQ(teams->front().value, R"({"tokens":2})");
  EXPECT_EQ(teams->front().updated_at, at(2026, 11, 25));
}

TEST(SqliteStoreTest, AnAdminRecordPutIfAbsentKeepsTheFirstValue) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"));
  auto first = store->put_admin_record_if_absent("issuer", "files", "one", at(2026, 12, 1));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = store->put_admin_record_if_absent("issuer", "files", "two", at(2026, 12, 2));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  const auto records = store->admin_records("issuer");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().value, "one");
  EXPECT_EQ(records->front().updated_at, at(2026, 12, 1));
}

TEST(SqliteStoreTest, EstimatedChargesAreCountedApartInTheReport) {
  TempDir dir;
  auto store = open_store(dir.file("aigw.db"));
  ASSERT_TRUE(store);
  store->append(record("", "platform", "ci", "gpt-4o", 100, 10, at(2026, 11, 24)));
  UsageRecord estimated = record("", "platform", "ci", "gpt-4o", 107, 5, at(2026, 11, 24));
  estimated.usage.estimated_tokens = 112;
  store->append(estimated);
  ASSERT_FALSE(store->flush());
  const ReportRow t = total(*store);
  EXPECT_EQ(t.requests, 2);
  EXPECT_EQ(t.input_tokens, 207);
  EXPECT_EQ(t.estimated_requests, 1);
  EXPECT_EQ(t.estimated_tokens, 112);
}

// A ledger written by the first version (user_version 1, no estimate columns) is upgraded in
// place at open, keeping its rows.
TEST(SqliteStoreTest, AVersionOneLedgerIsMigratedKeepingItsRows) {
  TempDir dir;
  const std::string path = dir.file("aigw.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
CREATE TABLE settled_requests (request_id TEXT PRIMARY KEY, settled_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX settled_requests_at ON settled_requests(settled_at);
CREATE TABLE usage_daily (
  team TEXT NOT NULL, client TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
  day TEXT NOT NULL,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0, unpriced_requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (team, client, provider, model, day));
CREATE INDEX usage_daily_day ON usage_daily(day);
CREATE TABLE budget_usage (team TEXT NOT NULL, period_key TEXT NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (team, period_key));
CREATE TABLE admin_records (kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (kind, name));
INSERT INTO usage_daily VALUES ('platform', 'ci', 'openai', 'gpt-4o', '2026-11-24', 50, 5, 0, 0.5, 3, 0);
INSERT INTO budget_usage VALUES ('platform', '2026-11', 55, 0.5, 3);
PRAGMA user_version = 1;
)sql";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = open_store(path);
  ASSERT_TRUE(store);
  UsageRecord estimated = record("", "platform", "ci", "gpt-4o", 10, 2, at(2026, 11, 24));
  estimated.usage.estimated_tokens = 12;
  store->append(estimated);
  ASSERT_FALSE(store->flush());
  const ReportRow t = total(*store);
  EXPECT_EQ(t.requests, 4);
  EXPECT_EQ(t.input_tokens, 60);
  EXPECT_EQ(t.estimated_requests, 1);
  EXPECT_EQ(t.estimated_tokens, 12);
  // The REAL dollars are now whole micro-dollars, the new record's added exactly.
  EXPECT_EQ(t.cost_micros, 500'000 + estimated.cost_micros);
  const auto totals = store->period_totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ(totals->front().tokens, 55 + 12);
  EXPECT_EQ(totals->front().cost_micros, 500'000 + estimated.cost_micros);
  store.reset();
  // Opening again finds the current version: nothing to migrate, nothing lost.
  store = open_store(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(total(*store).estimated_tokens, 12);
}

// The ledger says who used what: 0600 whatever the umask, its -wal and -shm files included.
TEST(SqliteStoreTest, TheLedgerFilesArePrivateUnderUmask022) {
  TempDir dir;
  const std::string path = dir.file("aigw.db");
  const mode_t old = ::umask(022);
  auto store = open_store(path);
  ::umask(old);
  ASSERT_TRUE(store);
  store->append(record("", "platform", "ci", "gpt-4o", 1, 1, at(2026, 11, 24)));
  ASSERT_FALSE(store->flush());
  for (const std::string& f : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  store.reset();
  // A ledger an older version left readable is tightened at open.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const mode_t again = ::umask(022);
  store = open_store(path);
  ::umask(again);
  ASSERT_TRUE(store);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SqliteStoreTest, AnUnusablePathIsAnErrorValue) {
  TempDir dir;
  const std::string blocker = dir.file("file");
  { std::ofstream(blocker) << "x"; }
  SqliteStoreOptions o;
  o.path = blocker + "/aigw.db";  // a directory that is a file
  const auto store = SqliteUsageStore::open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().status, 500);
  EXPECT_NE(store.error().message.find("usage store"), std::string::npos);
}

}  // namespace
}  // namespace aigw::state
