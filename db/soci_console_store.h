// Private to db/: the one ConsoleStore implementation over a soci::session,
// shared by the engines. Each engine supplies its statements (a ConsoleSql
// filled from its sql.h) and its opener; the C++ around the SQL is here.
#ifndef SYNCD_DB_SOCI_CONSOLE_STORE_H_
#define SYNCD_DB_SOCI_CONSOLE_STORE_H_

#include <soci/soci.h>

#include <functional>
#include <memory>

#include "syncd/db/console_store.h"

namespace syncd::db {

// One engine's console statements and fragments (see each sql.h for what
// they bind). The filters append fragments to a FROM ... WHERE head.
struct ConsoleSql {
  const char* dead_from = nullptr;
  const char* and_tenant_is = nullptr;
  const char* and_entity_type_is = nullptr;
  const char* and_last_error_like = nullptr;
  const char* select_count = nullptr;
  const char* select_dead_columns = nullptr;
  const char* dead_page = nullptr;
  const char* conflicts_from = nullptr;
  const char* and_conflict_open = nullptr;
  const char* and_conflict_resolved = nullptr;
  const char* conflict_page = nullptr;
  const char* conflict_by_id = nullptr;
  const char* resolve_conflict = nullptr;
  const char* reopen_conflict = nullptr;
  const char* count_live_entities_by_tenant_and_type = nullptr;
  const char* tenants_with_counters = nullptr;
  const char* count_dead_by_tenant = nullptr;
  const char* count_open_conflicts_by_tenant = nullptr;
  const char* last_applied_by_tenant = nullptr;
  const char* entities_of_tenant_from = nullptr;
  const char* and_entity_matches = nullptr;
  const char* select_entity_columns = nullptr;
  const char* entity_page = nullptr;
  const char* console_get_entity = nullptr;
  // SQLite: the newest sync_log id, to bound the scan of an entity's history
  // (its WHERE binds :floor); nullptr where an index serves it (PostgreSQL).
  const char* max_sync_log_id = nullptr;
  const char* entity_history_where = nullptr;
  const char* entry_received_at = nullptr;
  const char* entry_history_where = nullptr;
  const char* entry_attempts = nullptr;
  const char* insert_operator_log = nullptr;
  const char* metric_snapshots_since = nullptr;
  const char* select_console_conflict_columns = nullptr;
  const char* select_history_from = nullptr;
};

// What differs between the engines besides the SQL.
struct ConsoleEngine {
  ConsoleSql sql;
  // How far back an entity's history is searched (sync-log rows) when
  // sql.max_sync_log_id is set.
  long long history_scan_rows = 0;
  // A session that broke (the server restarted, the network) is opened again
  // at the next call; the call that found it broken failed transiently.
  bool reconnect_when_lost = false;
};

// Opens (and migrates) the engine's session; returns the store, or nullptr
// with *status set when open fails.
using ConsoleSessionOpener = std::function<Status(soci::session&)>;
std::unique_ptr<ConsoleStore> OpenSociConsoleStore(const ConsoleEngine& engine,
                                                   const ConsoleSessionOpener& open,
                                                   Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_SOCI_CONSOLE_STORE_H_
