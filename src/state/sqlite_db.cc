#include "state/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>

namespace aigw::state::sqlite {
namespace {

// Version 1: the tables as first shipped (CREATE IF NOT EXISTS: a no-op on a database that
// has them). Later versions are migrations applied in order (kMigrations), in one transaction
// with the version bump, so an old ledger is upgraded in place and a crash mid-way leaves it
// as it was.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS settled_requests (
  request_id TEXT PRIMARY KEY,
  settled_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS settled_requests_at ON settled_requests(settled_at);
CREATE TABLE IF NOT EXISTS usage_daily (
  team TEXT NOT NULL, client TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
  day TEXT NOT NULL,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0, unpriced_requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (team, client, provider, model, day)
);
CREATE INDEX IF NOT EXISTS usage_daily_day ON usage_daily(day);
CREATE TABLE IF NOT EXISTS budget_usage (
  team TEXT NOT NULL, period_key TEXT NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (team, period_key)
);
CREATE TABLE IF NOT EXISTS admin_records (
  kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, name)
);
)sql";

// migrations[i] takes a ledger from version i + 1 to i + 2.
constexpr const char* kMigrations[] = {
    // 2: charges the gateway estimated (a stream that broke off or whose caller left before the
    // provider's usage came): how many requests, and how many of their tokens are estimates.
    R"sql(
ALTER TABLE usage_daily ADD COLUMN estimated_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN estimated_tokens INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: how far each usage journal segment is in the ledger (usage_journal.h), written in the
    // same transaction as the rows read from it.
    R"sql(
CREATE TABLE IF NOT EXISTS journal_progress (
  segment TEXT PRIMARY KEY,
  consumed INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 4: costs in whole micro-dollars, so sums are exact (a REAL column summed thousands of
    // answers into 0.09984975000000944); the dollars so far rounded to the micro-dollar.
    R"sql(
ALTER TABLE usage_daily ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0;
UPDATE usage_daily SET cost_micros = CAST(ROUND(cost_usd * 1000000) AS INTEGER);
ALTER TABLE usage_daily DROP COLUMN cost_usd;
ALTER TABLE budget_usage ADD COLUMN cost_micros INTEGER NOT NULL DEFAULT 0;
UPDATE budget_usage SET cost_micros = CAST(ROUND(cost_usd * 1000000) AS INTEGER);
ALTER TABLE budget_usage DROP COLUMN cost_usd;
)sql",
};
constexpr int kSchemaVersion = 1 + static_cast<int>(std::size(kMigrations));

}  // namespace

std::string db_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

bool exec(sqlite3* db, const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return false;
}

sqlite3* open_connection(const std::string& path, std::string& error) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    error = db_error(db, "cannot open " + path);
    sqlite3_close(db);
    return nullptr;
  }
  // Another process (an admin tool, a second aigw by mistake) may hold the lock briefly.
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// The schema at kSchemaVersion, creating or upgrading it; one writer at a time (IMMEDIATE).
bool migrate(sqlite3* db, std::string& error) {
  if (!exec(db, "BEGIN IMMEDIATE", error)) return false;
  int version = 0;
  {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      version = sqlite3_column_int(q, 0);
    }
    sqlite3_finalize(q);
  }
  bool ok = true;
  if (version < 1) {
    ok = exec(db, kSchemaV1, error);
    version = 1;
  }
  for (; ok && version < kSchemaVersion; ++version) {
    ok = exec(db, kMigrations[version - 1], error);
    if (!ok)
      error = "migrating the ledger to version " + std::to_string(version + 1) + ": " + error;
  }
  // A newer gateway's ledger is left as it is (an older one cannot always write it: version 4
  // replaced the cost columns).
  if (ok && version <= kSchemaVersion) {
    ok = exec(db, ("PRAGMA user_version = " + std::to_string(version)).c_str(), error);
  }
  if (ok && exec(db, "COMMIT", error)) return true;
  std::string ignored;
  exec(db, "ROLLBACK", ignored);
  return false;
}

// The ledger holds who used what: readable by the gateway's user only, whatever the umask.
// SQLite gives the -wal and -shm files the database file's mode, so the file is created (or
// tightened) with 0600 before SQLite opens it; files an older version left are tightened too.
std::string make_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + path + ": " + std::strerror(errno);
  const bool ok = ::fchmod(fd, 0600) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) return "cannot make " + path + " private: " + std::strerror(saved);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string side = path + suffix;
    if (::chmod(side.c_str(), 0600) != 0 && errno != ENOENT) {
      return "cannot make " + side + " private: " + std::strerror(errno);
    }
  }
  return "";
}

}  // namespace aigw::state::sqlite
