// Private: a prepared SQLite statement on the raw handle of a SOCI session,
// for the write path's per-entry statements. SOCI 4.0's sqlite3 backend
// converts every bound value to text and copies every row; on the hot path
// that cost more than SQLite itself (see docs/benchmarks.md). The session,
// schema, reads and maintenance stay on SOCI.
#ifndef SYNCD_DB_SQLITE_NATIVE_STATEMENT_H_
#define SYNCD_DB_SQLITE_NATIVE_STATEMENT_H_

#include <cstdint>
#include <string_view>

#include "syncd/common/status.h"

namespace soci {
class session;
}

namespace syncd::db {

using common::Status;

class NativeStatement {
 public:
  // Prepares `sql` on the session's connection (persistent, reused).
  NativeStatement(soci::session& session, const char* sql);
  ~NativeStatement();
  NativeStatement(const NativeStatement&) = delete;
  NativeStatement& operator=(const NativeStatement&) = delete;

  // Whether preparation worked; if not, status() says why.
  bool ok() const { return stmt_ != nullptr; }
  const Status& status() const { return status_; }

  // Parameters are 1-based. Text is copied by SQLite only when needed
  // (SQLITE_STATIC): the view must stay valid until Reset().
  NativeStatement& Text(int index, std::string_view value);
  NativeStatement& Int(int index, int64_t value);

  // Runs to completion (writes). Resets afterwards.
  Status Run(const char* what);
  // Steps once: *row says whether a row is available (read it with the
  // column accessors), then call Reset().
  Status Step(const char* what, bool* row);
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string_view ColumnText(int index) const;
  int64_t Changes() const;
  int64_t LastInsertRowid() const;

 private:
  Status Error(int rc, const char* what);
  void* db_ = nullptr;    // sqlite3*
  void* stmt_ = nullptr;  // sqlite3_stmt*
  Status status_;
};

// Classifies a SQLite result code (transient: busy, locked, I/O, full, ...).
Status StatusFromSqliteCode(int rc, std::string_view message);

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_NATIVE_STATEMENT_H_
