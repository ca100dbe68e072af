// The SQLite plumbing under the ledger (state/sqlite_usage_store.h): opening a connection,
// the schema and its migrations, private files, and a prepared statement that finalizes itself.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace aigw::state::sqlite {

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, unsigned flags = 0) {
    if (sqlite3_prepare_v3(db, sql, -1, flags, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  void text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void real(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  // One step of a write; resets for the next use. SQLITE_DONE on success.
  int run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return rc;
  }
  bool next_row() { return sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string column_text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }
  std::int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double column_real(int i) const { return sqlite3_column_double(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string db_error(sqlite3* db, std::string_view what);
// Runs `sql` (one or more statements); false with `error` set when it fails.
bool exec(sqlite3* db, const char* sql, std::string& error);
// Read-write, created when missing, a 5 s busy timeout; null with `error` set on failure.
sqlite3* open_connection(const std::string& path, std::string& error);
// The ledger's schema at its current version, creating or upgrading it in one transaction.
bool migrate(sqlite3* db, std::string& error);
// Creates `path` (and tightens it and its -wal/-shm/-journal files) with mode 0600; an error
// message, or "".
std::string make_private(const std::string& path);

}  // namespace aigw::state::sqlite
