// PostgreSQL ConsoleStore: its own connection over SOCI's postgresql
// backend, reopened after a dropped connection; the schema (console columns
// and triggers included) is ensured before it opens (soci_session.h). The
// store is the one over SOCI (soci_console_store.h); its SQL is in
// postgres/sql.h.
#include <soci/soci.h>

#include "postgres/soci_session.h"
#include "postgres/sql.h"
#include "soci_console_store.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {

namespace {

ConsoleEngine PostgresConsoleEngine() {
  ConsoleEngine engine;
  ConsoleSql& sql = engine.sql;
  sql.dead_from = postgres::kDeadFrom;
  sql.and_tenant_is = postgres::kAndTenantIs;
  sql.and_entity_type_is = postgres::kAndEntityTypeIs;
  sql.and_last_error_like = postgres::kAndLastErrorLike;
  sql.select_count = postgres::kSelectCount;
  sql.select_dead_columns = postgres::kSelectDeadColumns;
  sql.dead_page = postgres::kDeadPage;
  sql.conflicts_from = postgres::kConflictsFrom;
  sql.and_conflict_open = postgres::kAndConflictOpen;
  sql.and_conflict_resolved = postgres::kAndConflictResolved;
  sql.conflict_page = postgres::kConflictPage;
  sql.conflict_by_id = postgres::kConflictById;
  sql.resolve_conflict = postgres::kResolveConflict;
  sql.reopen_conflict = postgres::kReopenConflict;
  sql.count_live_entities_by_tenant_and_type = postgres::kCountLiveEntitiesByTenantAndType;
  sql.tenants_with_counters = postgres::kTenantsWithCounters;
  sql.count_dead_by_tenant = postgres::kCountDeadByTenant;
  sql.count_open_conflicts_by_tenant = postgres::kCountOpenConflictsByTenant;
  sql.last_applied_by_tenant = postgres::kLastAppliedByTenant;
  sql.entities_of_tenant_from = postgres::kEntitiesOfTenantFrom;
  sql.and_entity_matches = postgres::kAndEntityMatches;
  sql.select_entity_columns = postgres::kSelectEntityColumns;
  sql.entity_page = postgres::kEntityPage;
  sql.console_get_entity = postgres::kConsoleGetEntity;
  sql.entity_history_where = postgres::kEntityHistoryWhere;
  sql.entry_received_at = postgres::kEntryReceivedAt;
  sql.entry_history_where = postgres::kEntryHistoryWhere;
  sql.entry_attempts = postgres::kEntryAttempts;
  sql.insert_operator_log = postgres::kInsertOperatorLog;
  sql.metric_snapshots_since = postgres::kMetricSnapshotsSince;
  sql.select_console_conflict_columns = postgres::kSelectConsoleConflictColumns;
  sql.select_history_from = postgres::kSelectHistoryFrom;
  // No kMaxSyncLogId: the (tenant_id, id) primary key serves an entity's
  // history, newest first.
  engine.reconnect_when_lost = true;
  return engine;
}

}  // namespace

std::unique_ptr<ConsoleStore> OpenPostgresConsoleStore(const PostgresOptions& options,
                                                       Status* status) {
  return OpenSociConsoleStore(
      PostgresConsoleEngine(),
      [&](soci::session& sql) { return OpenPostgresSociSession(options, "console store", &sql); },
      status);
}

}  // namespace syncd::db
