#include "sqlite/connection.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <mutex>
#include <system_error>

#include "soci_util.h"
#include "sqlite/sql.h"

namespace syncd::db {

Status CreateParentFolder(const std::string& db_path) {
  std::filesystem::path path(db_path);
  if (!path.has_parent_path()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::Permanent("cannot create folder of " + db_path + ": " + ec.message());
  return Status::Ok();
}

Status OpenSession(const SqliteOptions& options, bool create_schema, soci::session* sql) {
  Status folder = CreateParentFolder(options.path);
  if (!folder.ok()) return folder;
  try {
    sql->open(soci::sqlite3, "db=" + options.path);
    *sql << sqlite::kPragmaBusyTimeout + std::to_string(options.busy_timeout_ms);
    std::string mode;
    *sql << sqlite::kPragmaJournalModeWal, soci::into(mode);
    *sql << sqlite::kPragmaSynchronous + options.synchronous;
    // A larger page cache and memory-mapped reads: the write path re-reads
    // index and entity pages of recent batches (pread + copy otherwise).
    *sql << sqlite::kPragmaCacheSize + std::to_string(options.cache_kib);
    *sql << sqlite::kPragmaMmapSize + std::to_string(options.mmap_bytes);
    *sql << sqlite::kPragmaTempStoreMemory;
    if (create_schema) {
      soci::transaction txn(*sql);
      for (const char* stmt : sqlite::kSchema) {
        if (stmt != nullptr) *sql << stmt;
      }
      // Files made by an older syncd get the columns added since.
      AddMissingColumns(*sql, sqlite::kSchemaAddedColumns);
      for (const char* stmt : sqlite::kSchemaAfterColumns) {
        if (stmt != nullptr) *sql << stmt;
      }
      txn.commit();
    }
    int tables = 0;
    *sql << sqlite::kCountTables, soci::into(tables);
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "open " + options.path);
  }
  return Status::Ok();
}

void AddMissingColumns(soci::session& sql, const sqlite::AddedColumn* columns) {
  for (const sqlite::AddedColumn* c = columns; c->table != nullptr; ++c) {
    int present = 0;
    sql << std::string(sqlite::kCountColumnOf) + c->table + sqlite::kCountColumnNamed + c->column +
               "'",
        soci::into(present);
    if (present == 0) {
      sql << std::string(sqlite::kAlterTable) + c->table + sqlite::kAddColumn + c->column + " " +
                 c->definition;
      if (c->then != nullptr) sql << c->then;
    }
  }
}

void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD); });
}

sqlite_api::sqlite3* NativeHandle(soci::session& sql) {
  return static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
}

}  // namespace syncd::db
