#include "sqlite/native_statement.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

namespace syncd::db {

namespace {
sqlite_api::sqlite3* Db(void* p) { return static_cast<sqlite_api::sqlite3*>(p); }
sqlite_api::sqlite3_stmt* Stmt(void* p) { return static_cast<sqlite_api::sqlite3_stmt*>(p); }
}  // namespace

NativeStatement::NativeStatement(soci::session& session, const char* sql) {
  // static_cast: Debian's libsoci_sqlite3 does not export the backend's typeinfo.
  auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
  db_ = backend->conn_;
  sqlite_api::sqlite3_stmt* stmt = nullptr;
  int rc =
      sqlite_api::sqlite3_prepare_v3(Db(db_), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    status_ = Error(rc, "prepare");
    sqlite_api::sqlite3_finalize(stmt);
    return;
  }
  stmt_ = stmt;
}

NativeStatement::~NativeStatement() {
  if (stmt_ != nullptr) sqlite_api::sqlite3_finalize(Stmt(stmt_));
}

NativeStatement& NativeStatement::Text(int index, std::string_view value) {
  // An empty view may have a null data(): SQLite would store NULL, not ''.
  const char* text = value.data() != nullptr ? value.data() : "";
  sqlite_api::sqlite3_bind_text(Stmt(stmt_), index, text, static_cast<int>(value.size()),
                                SQLITE_STATIC);
  return *this;
}

NativeStatement& NativeStatement::Int(int index, int64_t value) {
  sqlite_api::sqlite3_bind_int64(Stmt(stmt_), index, value);
  return *this;
}

Status NativeStatement::Run(const char* what) {
  int rc = sqlite_api::sqlite3_step(Stmt(stmt_));
  Status s = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? Status::Ok() : Error(rc, what);
  Reset();
  return s;
}

Status NativeStatement::Step(const char* what, bool* row) {
  int rc = sqlite_api::sqlite3_step(Stmt(stmt_));
  *row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return Status::Ok();
  Status s = Error(rc, what);
  Reset();
  return s;
}

void NativeStatement::Reset() {
  sqlite_api::sqlite3_reset(Stmt(stmt_));
  sqlite_api::sqlite3_clear_bindings(Stmt(stmt_));
}

int64_t NativeStatement::ColumnInt(int index) const {
  return sqlite_api::sqlite3_column_int64(Stmt(stmt_), index);
}

std::string_view NativeStatement::ColumnText(int index) const {
  const unsigned char* text = sqlite_api::sqlite3_column_text(Stmt(stmt_), index);
  int size = sqlite_api::sqlite3_column_bytes(Stmt(stmt_), index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

int64_t NativeStatement::Changes() const { return sqlite_api::sqlite3_changes(Db(db_)); }

int64_t NativeStatement::LastInsertRowid() const {
  return sqlite_api::sqlite3_last_insert_rowid(Db(db_));
}

Status NativeStatement::Error(int rc, const char* what) {
  std::string message = std::string(what) + ": " + sqlite_api::sqlite3_errstr(rc);
  if (db_ != nullptr) message += " (" + std::string(sqlite_api::sqlite3_errmsg(Db(db_))) + ")";
  return StatusFromSqliteCode(rc, message);
}

}  // namespace syncd::db
