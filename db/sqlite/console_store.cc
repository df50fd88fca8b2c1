// SQLite ConsoleStore: its own connection and the additive migrations; the
// store is the one over SOCI (soci_console_store.h), its SQL (whole
// statements, and the fragments its filters combine) is in sql.h.
#include "syncd/db/console_store.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <string>

#include "soci_console_store.h"
#include "soci_util.h"
#include "sqlite/connection.h"
#include "sqlite/sql.h"

namespace syncd::db {

namespace {

// Adds each missing column of sqlite::kAddedColumns, then the console schema,
// in one immediate transaction so two connections opening at once cannot
// both add a column.
void Migrate(soci::session& sql) {
  soci::transaction txn(sql);
  AddMissingColumns(sql, sqlite::kAddedColumns);
  for (const char* const* stmt = sqlite::kConsoleSchema; *stmt != nullptr; ++stmt) sql << *stmt;
  txn.commit();
}

Status OpenSession(soci::session& sql, const SqliteOptions& options) {
  try {
    std::filesystem::path path(options.path);
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
    }
    sql.open(soci::sqlite3, "db=" + options.path);
    sql << sqlite::kPragmaBusyTimeout + std::to_string(options.busy_timeout_ms);
    std::string mode;
    sql << sqlite::kPragmaJournalModeWal, soci::into(mode);
    sql << sqlite::kPragmaSynchronous + options.synchronous;
    for (const char* const* stmt = sqlite::kSchema; *stmt != nullptr; ++stmt) sql << *stmt;
    Migrate(sql);
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "open console store " + options.path);
  }
  return Status::Ok();
}

ConsoleEngine SqliteConsoleEngine() {
  ConsoleEngine engine;
  ConsoleSql& sql = engine.sql;
  sql.dead_from = sqlite::kDeadFrom;
  sql.and_tenant_is = sqlite::kAndTenantIs;
  sql.and_entity_type_is = sqlite::kAndEntityTypeIs;
  sql.and_last_error_like = sqlite::kAndLastErrorLike;
  sql.select_count = sqlite::kSelectCount;
  sql.select_dead_columns = sqlite::kSelectDeadColumns;
  sql.dead_page = sqlite::kDeadPage;
  sql.conflicts_from = sqlite::kConflictsFrom;
  sql.and_conflict_open = sqlite::kAndConflictOpen;
  sql.and_conflict_resolved = sqlite::kAndConflictResolved;
  sql.conflict_page = sqlite::kConflictPage;
  sql.conflict_by_id = sqlite::kConflictById;
  sql.resolve_conflict = sqlite::kResolveConflict;
  sql.reopen_conflict = sqlite::kReopenConflict;
  sql.count_live_entities_by_tenant_and_type = sqlite::kCountLiveEntitiesByTenantAndType;
  sql.tenants_with_counters = sqlite::kTenantsWithCounters;
  sql.count_dead_by_tenant = sqlite::kCountDeadByTenant;
  sql.count_open_conflicts_by_tenant = sqlite::kCountOpenConflictsByTenant;
  sql.last_applied_by_tenant = sqlite::kLastAppliedByTenant;
  sql.entities_of_tenant_from = sqlite::kEntitiesOfTenantFrom;
  sql.and_entity_matches = sqlite::kAndEntityMatches;
  sql.select_entity_columns = sqlite::kSelectEntityColumns;
  sql.entity_page = sqlite::kEntityPage;
  sql.console_get_entity = sqlite::kConsoleGetEntity;
  sql.max_sync_log_id = sqlite::kMaxSyncLogId;
  sql.entity_history_where = sqlite::kEntityHistoryWhere;
  sql.entry_received_at = sqlite::kEntryReceivedAt;
  sql.entry_history_where = sqlite::kEntryHistoryWhere;
  sql.entry_attempts = sqlite::kEntryAttempts;
  sql.insert_operator_log = sqlite::kInsertOperatorLog;
  sql.metric_snapshots_since = sqlite::kMetricSnapshotsSince;
  sql.select_console_conflict_columns = sqlite::kSelectConsoleConflictColumns;
  sql.select_history_from = sqlite::kSelectHistoryFrom;
  // How far back an entity's history is searched (sync-log rows).
  engine.history_scan_rows = 500000;
  return engine;
}

}  // namespace

std::unique_ptr<ConsoleStore> OpenSqliteConsoleStore(const SqliteOptions& options, Status* status) {
  return OpenSociConsoleStore(
      SqliteConsoleEngine(), [&](soci::session& sql) { return OpenSession(sql, options); }, status);
}

}  // namespace syncd::db
