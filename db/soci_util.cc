#include "soci_util.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

#include <string>

#include "sqlite/native_statement.h"

namespace syncd::db {

namespace {

bool IsTransientSqliteCode(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status StatusFromSqliteCode(int rc, std::string_view message) {
  if (IsTransientSqliteCode(rc)) return Status::Transient(std::string(message));
  return Status::Permanent(std::string(message));
}

bool IsTransientSqlState(std::string_view state) {
  if (state.empty()) return true;  // no answer at all: the connection is gone
  std::string_view cls = state.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "58") return true;
  return state == "40001" || state == "40P01" || state == "57P01" || state == "57P02" ||
         state == "57P03" || state == "57014" || state == "55P03" || state == "25006";
}

Status StatusFromSqlState(std::string_view sqlstate, std::string message) {
  if (IsTransientSqlState(sqlstate)) return Status::Transient(std::move(message));
  return Status::Permanent(std::move(message));
}

Status StatusFromSociError(const soci::soci_error& error, std::string_view what) {
  std::string message = std::string(what) + ": " + error.get_error_message();
  if (const auto* sqlite_error = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
    return StatusFromSqliteCode(sqlite_error->result(), message);
  }
  if (const auto* pg_error = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    std::string state = pg_error->sqlstate().c_str();  // up to a NUL
    while (!state.empty() && state.back() == ' ') state.pop_back();
    // SOCI reports a lost connection without a SQLSTATE (or as category).
    if (state.empty() && error.get_error_category() != soci::soci_error::connection_error) {
      state = "XX000";
    }
    return StatusFromSqlState(state, std::move(message));
  }
  switch (error.get_error_category()) {
    case soci::soci_error::connection_error:
    case soci::soci_error::unknown_transaction_state:
    case soci::soci_error::system_error:
      return Status::Transient(message);
    default:
      return Status::Permanent(message);
  }
}

void ResetStatement(soci::statement& statement) {
  // Debian's libsoci_sqlite3.so exports neither the backend's typeinfo nor
  // reset() (a dynamic_cast or a call does not link), so reset the SQLite
  // statement directly; every statement here comes from a sqlite3 session.
  auto* backend = static_cast<soci::sqlite3_statement_backend*>(statement.get_backend());
  if (backend != nullptr && backend->stmt_ != nullptr) sqlite_api::sqlite3_reset(backend->stmt_);
}

}  // namespace syncd::db
