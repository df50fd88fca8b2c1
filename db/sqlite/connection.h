// Private: opening a SQLite connection the way every syncd connection needs
// it (folder, pragmas, schema). Plain functions; any thread, one session per
// caller.
#ifndef SYNCD_DB_SQLITE_CONNECTION_H_
#define SYNCD_DB_SQLITE_CONNECTION_H_

#include <string>

#include "syncd/common/status.h"
#include "syncd/db/sqlite_store.h"

namespace soci {
class session;
}

namespace sqlite_api {
struct sqlite3;
}

namespace syncd::db {

namespace sqlite {
struct AddedColumn;
}

// service.md: the database file is created with its folder if missing.
Status CreateParentFolder(const std::string& db_path);

// Opens `sql` on options.path with the pragmas every connection needs (busy
// timeout, WAL, synchronous, cache, mmap, temp store), creates the schema
// when asked, and reads once to find out early that the file is not a
// database.
Status OpenSession(const SqliteOptions& options, bool create_schema, soci::session* sql);

// Adds each column of `columns` (ending with {nullptr, ...}) that PRAGMA
// table_info lacks, and runs its `then` statement after it. The caller holds
// a transaction, so two connections opening at once cannot both add one.
// Throws soci::soci_error.
void AddMissingColumns(soci::session& sql, const sqlite::AddedColumn* columns);

// Each connection is used by one thread at a time (the write store by the
// pipeline thread, each read store under its own mutex), so SQLite's
// per-call connection mutexes are not needed. Must precede any connection.
void ConfigureSqliteOnce();

// The raw handle under a SOCI sqlite3 session, for what SOCI does not offer
// (WAL hook, online backup).
sqlite_api::sqlite3* NativeHandle(soci::session& sql);

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_CONNECTION_H_
