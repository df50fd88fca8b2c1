// Every SQL statement of the SQLite engine, as a named constant: the one file
// to read for what syncd asks SQLite (the PostgreSQL engine keeps its twin in
// db/postgres/). Private to db/; header only, so the constants are usable in
// constant expressions and need no definitions elsewhere.
//
// Placeholders: native statements (the write path, native_statement.h) use
// ?N; SOCI statements use :name.
#ifndef SYNCD_DB_SQLITE_SQL_H_
#define SYNCD_DB_SQLITE_SQL_H_

namespace syncd::db::sqlite {

// ---- Schema, created idempotently at open ---------------------------------

// Statements run in order on every open (all IF NOT EXISTS). Columns are NOT
// NULL with defaults (0 / '') so that reads need no indicators.
inline constexpr const char* kSchema[] = {
    // The queue is the source of truth for every entry's state and result.
    "CREATE TABLE IF NOT EXISTS sync_queue ("
    " seq INTEGER PRIMARY KEY,"
    " tenant_id TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, operation TEXT NOT NULL,"
    " data TEXT NOT NULL, version_ms INTEGER NOT NULL, client_ts_ms INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " lease_until_ms INTEGER NOT NULL DEFAULT 0, next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " received_at_ms INTEGER NOT NULL, finished_at_ms INTEGER NOT NULL DEFAULT 0,"
    // result_kind: 0 none, 1 ack, 2 nack
    " result_kind INTEGER NOT NULL DEFAULT 0, result_outcome TEXT NOT NULL DEFAULT '',"
    " result_reason TEXT NOT NULL DEFAULT '', result_detail TEXT NOT NULL DEFAULT '',"
    " result_retry_after_ms INTEGER NOT NULL DEFAULT 0, result_checksum TEXT NOT NULL DEFAULT '',"
    " result_server_ts_ms INTEGER NOT NULL DEFAULT 0)",
    "CREATE UNIQUE INDEX IF NOT EXISTS sync_queue_entry ON sync_queue(tenant_id, entry_id)",
    // Small partial indexes: only unfinished rows, only finished rows.
    // The predicate avoids IN (...): SQLite evaluates a partial index's WHERE
    // on every UPDATE of the row, and an IN list builds an ephemeral table each
    // time (two per UPDATE; it dominated the write path's CPU).
    "DROP INDEX IF EXISTS sync_queue_unfinished",
    "CREATE INDEX IF NOT EXISTS sync_queue_open ON sync_queue(tenant_id, seq)"
    " WHERE finished_at_ms = 0 AND state <> 'dead'",
    "CREATE INDEX IF NOT EXISTS sync_queue_finished ON sync_queue(finished_at_ms)"
    " WHERE finished_at_ms > 0",
    "CREATE TABLE IF NOT EXISTS entities ("
    " tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,"
    " version_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, data TEXT NOT NULL,"
    " checksum TEXT NOT NULL, modified_at_ms INTEGER NOT NULL,"
    " source_entry_id TEXT NOT NULL DEFAULT '', change_seq INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (tenant_id, entity_type, entity_id)) WITHOUT ROWID",
    // Per tenant: the last change_seq handed out and the tenant's epoch
    // (store.h ChangePosition). A tenant gets its row at its first write.
    "CREATE TABLE IF NOT EXISTS tenant_changes ("
    " tenant_id TEXT PRIMARY KEY, change_seq INTEGER NOT NULL, epoch INTEGER NOT NULL)"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS conflicts ("
    " id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL,"
    " entity_id TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " incoming_version_ms INTEGER NOT NULL, stored_version_ms INTEGER NOT NULL,"
    " incoming_checksum TEXT NOT NULL, stored_checksum TEXT NOT NULL,"
    " resolution TEXT NOT NULL, detected_at_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS conflicts_tenant ON conflicts(tenant_id, id)",
    "CREATE TABLE IF NOT EXISTS sync_log ("
    " id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, tenant_id TEXT NOT NULL,"
    " entry_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,"
    " operation TEXT NOT NULL, result TEXT NOT NULL, finished_at_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS sync_log_finished ON sync_log(finished_at_ms)",
    "CREATE TABLE IF NOT EXISTS counters ("
    " scope TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,"
    " PRIMARY KEY (scope, name)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    " tenant_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_entry_id TEXT NOT NULL,"
    " last_applied_at_ms INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS metric_snapshots ("
    " id INTEGER PRIMARY KEY, taken_at_ms INTEGER NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS metric_snapshots_taken ON metric_snapshots(taken_at_ms)",
    nullptr,
};

// Columns added to the core tables after files were already in use: on
// every open (OpenSession), each is added when PRAGMA table_info lacks it,
// then kSchemaAfterColumns runs. Rows of an older file get the default:
// change_seq 0, "written before any cursor", which is what they are, since
// no cursor was handed out before the column existed.
struct AddedColumn {
  const char* table;
  const char* column;
  const char* definition;      // "TEXT NOT NULL DEFAULT ''"
  const char* then = nullptr;  // run once, right after the column was added
};
// A file from before cursors: every tenant with entities gets its position
// now (seq 0, a random epoch), so that the first cursors handed out after
// the upgrade stay usable after the tenant's next write (a tenant without a
// row has epoch 0 until its first write, and cursors of epoch 0 then get a
// full load). random() is evaluated per tenant (outer query row).
inline constexpr char kBackfillTenantChanges[] =
    "INSERT OR IGNORE INTO tenant_changes(tenant_id, change_seq, epoch)"
    " SELECT t, 0, (random() & 9007199254740991) + 1"
    " FROM (SELECT DISTINCT tenant_id AS t FROM entities)";
inline constexpr AddedColumn kSchemaAddedColumns[] = {
    {"entities", "change_seq", "INTEGER NOT NULL DEFAULT 0", kBackfillTenantChanges},
    {nullptr, nullptr, nullptr},
};
inline constexpr const char* kSchemaAfterColumns[] = {
    // An incremental load reads, type by type, the rows written after a
    // position: a range of this index.
    "CREATE INDEX IF NOT EXISTS entities_changes ON entities(tenant_id, entity_type, change_seq)",
    nullptr,
};

// Additive migrations (the operator console, console.md), applied after
// kSchema by OpenSqliteConsoleStore on new and existing files alike: each
// column is added only when PRAGMA table_info lacks it (kCountColumnOf), then
// the statements of kConsoleSchema run (all IF NOT EXISTS).
inline constexpr AddedColumn kAddedColumns[] = {
    // Who resolved a conflict, when, and how ("take incoming" names the new
    // entry that carried the incoming state through the pipeline).
    {"conflicts", "resolved_at_ms", "INTEGER NOT NULL DEFAULT 0"},
    {"conflicts", "resolved_by", "TEXT NOT NULL DEFAULT ''"},
    {"conflicts", "resolution_entry_id", "TEXT NOT NULL DEFAULT ''"},
    // Both states of a conflict, captured when it is detected: a finished
    // entry's payload is cleared from the queue, and the stored entity moves on.
    {"conflicts", "incoming_operation", "TEXT NOT NULL DEFAULT ''"},
    {"conflicts", "incoming_data", "TEXT NOT NULL DEFAULT ''"},
    {"conflicts", "stored_data", "TEXT NOT NULL DEFAULT ''"},
    // What the operator did (take_incoming, keep_stored, restore_replaced);
    // `resolution` keeps the kind the pipeline recorded (server_wins,
    // client_wins_tie), so a re-opened conflict is what it was.
    {"conflicts", "resolved_action", "TEXT NOT NULL DEFAULT ''"},
    // The operator behind a sync-log row ('' for a client's entry).
    {"sync_log", "actor", "TEXT NOT NULL DEFAULT ''"},
    {nullptr, nullptr, nullptr},
};  // ends with {nullptr, ...}

inline constexpr const char* kConsoleSchema[] = {
    // Files written before resolved_action existed kept the operator's action
    // in `resolution`; move it (those conflicts were server_wins: the tie
    // rule that records client_wins_tie came later). A no-op afterwards.
    "UPDATE conflicts SET resolved_action = resolution, resolution = 'server_wins'"
    " WHERE resolution IN ('take_incoming', 'keep_stored')",
    // The pipeline inserts a conflict before it finishes the superseded entry
    // (the queue row still has its payload) and before any later change of the
    // entity: copy both states in the same transaction, without the pipeline
    // knowing these columns.
    "CREATE TRIGGER IF NOT EXISTS conflicts_capture AFTER INSERT ON conflicts"
    " WHEN NEW.incoming_data = '' BEGIN"
    " UPDATE conflicts SET"
    " incoming_operation = coalesce((SELECT operation FROM sync_queue"
    " WHERE tenant_id = NEW.tenant_id AND entry_id = NEW.entry_id), ''),"
    " incoming_data = coalesce((SELECT data FROM sync_queue"
    " WHERE tenant_id = NEW.tenant_id AND entry_id = NEW.entry_id), ''),"
    " stored_data = coalesce((SELECT data FROM entities WHERE tenant_id = NEW.tenant_id"
    " AND entity_type = NEW.entity_type AND entity_id = NEW.entity_id), '')"
    " WHERE id = NEW.id; END",
    // Each failed attempt of an entry (the queue row keeps only the last
    // error). Only statements that set `attempts` run this trigger: the retry
    // schedule, a claim of a retried or recovered entry, an operator's
    // re-queue (which records the dead attempt it ends) -- never the insert
    // or the finish of an entry that succeeds at once, so the normal write
    // path pays nothing. Removed with the queue row (retention).
    "CREATE TABLE IF NOT EXISTS entry_attempts ("
    " id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " attempt INTEGER NOT NULL, state TEXT NOT NULL, error TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, next_attempt_at_ms INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entry_attempts_entry ON entry_attempts(tenant_id, entry_id)",
    "CREATE TRIGGER IF NOT EXISTS entry_attempts_capture AFTER UPDATE OF attempts ON sync_queue"
    " WHEN NEW.state = 'retry_wait' OR OLD.state = 'dead' BEGIN"
    " INSERT INTO entry_attempts(tenant_id, entry_id, attempt, state, error, at_ms,"
    " next_attempt_at_ms) SELECT NEW.tenant_id, NEW.entry_id,"
    " CASE WHEN OLD.state = 'dead' THEN OLD.attempts ELSE NEW.attempts END,"
    " CASE WHEN OLD.state = 'dead' THEN 'dead' ELSE 'retry_wait' END,"
    " CASE WHEN OLD.state = 'dead' THEN OLD.last_error ELSE NEW.last_error END,"
    " CASE WHEN OLD.state = 'dead' AND OLD.result_server_ts_ms > 0 THEN OLD.result_server_ts_ms"
    " ELSE CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) END,"
    " CASE WHEN OLD.state = 'dead' THEN 0 ELSE NEW.next_attempt_at_ms END; END",
    "CREATE TRIGGER IF NOT EXISTS entry_attempts_retention AFTER DELETE ON sync_queue BEGIN"
    " DELETE FROM entry_attempts WHERE tenant_id = OLD.tenant_id AND entry_id = OLD.entry_id;"
    " END",
    // Dead letters across tenants, newest first, without scanning done rows.
    "CREATE INDEX IF NOT EXISTS sync_queue_dead ON sync_queue(seq) WHERE state = 'dead'",
    nullptr,
};

// ---- Connection setup (connection.cc, checkpointer.cc) --------------------

// Prefixes: the value (from SqliteOptions) is appended.
inline constexpr char kPragmaBusyTimeout[] = "PRAGMA busy_timeout=";
inline constexpr char kPragmaSynchronous[] = "PRAGMA synchronous=";
inline constexpr char kPragmaCacheSize[] = "PRAGMA cache_size=-";  // KiB, hence the minus
inline constexpr char kPragmaMmapSize[] = "PRAGMA mmap_size=";
inline constexpr char kPragmaJournalModeWal[] = "PRAGMA journal_mode=WAL";
inline constexpr char kPragmaTempStoreMemory[] = "PRAGMA temp_store=MEMORY";
// A read that fails tells us early that the file is not a database.
inline constexpr char kCountTables[] = "SELECT count(*) FROM sqlite_master";
inline constexpr char kPing[] = "SELECT 1";

// ---- Transactions (write store) -------------------------------------------

inline constexpr char kBegin[] = "BEGIN IMMEDIATE";
inline constexpr char kCommit[] = "COMMIT";
inline constexpr char kRollback[] = "ROLLBACK";
inline constexpr char kSavepoint[] = "SAVEPOINT entry";
inline constexpr char kReleaseSavepoint[] = "RELEASE entry";
inline constexpr char kRollbackToSavepoint[] = "ROLLBACK TO entry";

// ---- Queue ------------------------------------------------------------------

// The columns of a queue row, in the order QueueRowColumns (row_mapping.h)
// binds them.
#define SYNCD_SQLITE_QUEUE_ROW_COLUMNS                                              \
  "seq, tenant_id, entry_id, entity_type, entity_id, operation, data, version_ms,"  \
  " client_ts_ms, state, attempts, lease_until_ms, next_attempt_at_ms, last_error," \
  " received_at_ms, finished_at_ms, result_kind, result_outcome, result_reason,"    \
  " result_detail, result_retry_after_ms, result_checksum, result_server_ts_ms"

inline constexpr char kFindEntry[] = "SELECT " SYNCD_SQLITE_QUEUE_ROW_COLUMNS
                                     " FROM sync_queue WHERE tenant_id = :t AND entry_id = :e";
inline constexpr char kLoadUnfinished[] =
    "SELECT " SYNCD_SQLITE_QUEUE_ROW_COLUMNS
    " FROM sync_queue WHERE finished_at_ms = 0 AND state <> 'dead' ORDER BY seq";

#undef SYNCD_SQLITE_QUEUE_ROW_COLUMNS

inline constexpr char kInsertEntry[] =
    "INSERT OR IGNORE INTO sync_queue(tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, client_ts_ms, state, lease_until_ms, received_at_ms, attempts)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
// An entry refused as it was read (validation or permission, protocol.md:
// remembered NACKs): a finished row, never attempted (attempts 0, which is
// how row_mapping tells it apart), with its NACK and the fields as they could
// be read ('' when not). Retention removes it like any finished row.
inline constexpr char kInsertRefusedEntry[] =
    "INSERT OR IGNORE INTO sync_queue(tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, state, attempts, received_at_ms, finished_at_ms, result_kind,"
    " result_reason, result_detail, result_server_ts_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5, '', 0, 'done', 0, ?6, ?7, 2, ?8, ?9, ?10)";
inline constexpr char kClaimEntry[] =
    "UPDATE sync_queue SET state = 'in_flight', attempts = ?1, lease_until_ms = ?2"
    " WHERE seq = ?3";
inline constexpr char kScheduleRetry[] =
    "UPDATE sync_queue SET state = 'retry_wait', attempts = ?1, next_attempt_at_ms = ?2,"
    " last_error = ?3, lease_until_ms = 0 WHERE seq = ?4";
inline constexpr char kRequeueEntry[] =
    "UPDATE sync_queue SET state = 'pending', attempts = 0, lease_until_ms = 0,"
    " next_attempt_at_ms = 0, result_kind = 0, result_outcome = '', result_reason = '',"
    " result_detail = '', result_retry_after_ms = 0, result_checksum = '',"
    " result_server_ts_ms = 0 WHERE seq = ?1";
inline constexpr char kFinishEntry[] =
    "UPDATE sync_queue SET state = ?1, result_kind = ?2, result_outcome = ?3,"
    " result_reason = ?4, result_detail = ?5, result_retry_after_ms = ?6,"
    " result_checksum = ?7, result_server_ts_ms = ?8, finished_at_ms = ?9,"
    " last_error = ?10, lease_until_ms = 0, next_attempt_at_ms = 0,"
    // A finished entry keeps its result, not its payload (the entity has
    // it): the queue stays small over the retention period.
    " data = CASE WHEN ?1 = 'done' THEN '' ELSE data END WHERE seq = ?11";
// Arrival order is seq order: the first row of the tenant in the
// sync_queue_open index (tenant_id, seq), without scanning the rest.
inline constexpr char kOldestUnfinishedOfTenant[] =
    "SELECT received_at_ms FROM sync_queue"
    " WHERE tenant_id = :t AND finished_at_ms = 0 AND state <> 'dead'"
    " ORDER BY seq LIMIT 1";
inline constexpr char kOldestUnfinished[] =
    "SELECT min(received_at_ms) FROM sync_queue"
    " WHERE finished_at_ms = 0 AND state <> 'dead'";

// ---- Entities, conflicts, audit, checkpoints ------------------------------

inline constexpr char kGetEntity[] =
    "SELECT version_ms, deleted, data, checksum, modified_at_ms, source_entry_id"
    " FROM entities WHERE tenant_id = ?1 AND entity_type = ?2 AND entity_id = ?3";
// Every entity write carries the tenant's next change_seq (?10). The write
// store counts them in memory (it is the only writer) and stores each
// tenant's last one with kSetChange in the same transaction, just before
// COMMIT: one row write per tenant and transaction, not per entity.
inline constexpr char kSetChange[] =
    "INSERT INTO tenant_changes(tenant_id, change_seq, epoch) VALUES(?1, ?2, ?3)"
    " ON CONFLICT(tenant_id) DO UPDATE SET change_seq = excluded.change_seq";
inline constexpr char kPutEntity[] =
    "INSERT INTO entities(tenant_id, entity_type, entity_id, version_ms, deleted, data,"
    " checksum, modified_at_ms, source_entry_id, change_seq)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT(tenant_id, entity_type, entity_id) DO UPDATE SET"
    " version_ms = excluded.version_ms, deleted = excluded.deleted, data = excluded.data,"
    " checksum = excluded.checksum, modified_at_ms = excluded.modified_at_ms,"
    " source_entry_id = excluded.source_entry_id, change_seq = excluded.change_seq";
inline constexpr char kGetChangePosition[] =
    "SELECT change_seq, epoch FROM tenant_changes WHERE tenant_id = ?1";
// A load, one type at a time (native statements on the read session, so
// rows are streamed without a copy): every live entity, or every entity
// (tombstones too) written after a position.
inline constexpr char kLoadLiveOfType[] =
    "SELECT entity_id, data, deleted FROM entities"
    " WHERE tenant_id = ?1 AND entity_type = ?2 AND deleted = 0 ORDER BY entity_id";
inline constexpr char kLoadChangedOfType[] =
    "SELECT entity_id, data, deleted FROM entities"
    " WHERE tenant_id = ?1 AND entity_type = ?2 AND change_seq > ?3 ORDER BY change_seq";
inline constexpr char kBeginRead[] = "BEGIN";
inline constexpr char kListEntities[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities WHERE tenant_id = :t"
    " ORDER BY entity_type, entity_id";
inline constexpr char kListLiveEntities[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities WHERE tenant_id = :t AND deleted = 0"
    " ORDER BY entity_type, entity_id";
inline constexpr char kInsertConflict[] =
    "INSERT INTO conflicts(tenant_id, entity_type, entity_id, entry_id, incoming_version_ms,"
    " stored_version_ms, incoming_checksum, stored_checksum, resolution, detected_at_ms)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
inline constexpr char kListConflicts[] =
    "SELECT entity_type, entity_id, entry_id, incoming_version_ms,"
    " stored_version_ms, incoming_checksum, stored_checksum, resolution,"
    " detected_at_ms FROM conflicts WHERE tenant_id = :t"
    " ORDER BY id DESC LIMIT :n";
inline constexpr char kInsertSyncLog[] =
    "INSERT INTO sync_log(seq, tenant_id, entry_id, entity_type, entity_id, operation,"
    " result, finished_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
inline constexpr char kPutCheckpoint[] =
    "INSERT OR REPLACE INTO checkpoints(tenant_id, last_seq, last_entry_id,"
    " last_applied_at_ms) VALUES(?1, ?2, ?3, ?4)";
inline constexpr char kGetCheckpoint[] =
    "SELECT last_seq, last_entry_id, last_applied_at_ms FROM checkpoints"
    " WHERE tenant_id = :t";

// ---- Counters and metric snapshots ----------------------------------------

inline constexpr char kAddCounter[] =
    "INSERT INTO counters(scope, name, value) VALUES(?1, ?2, ?3)"
    " ON CONFLICT(scope, name) DO UPDATE SET value = value + excluded.value";
inline constexpr char kLoadCounters[] = "SELECT scope, name, value FROM counters";
inline constexpr char kInsertMetricSnapshot[] =
    "INSERT INTO metric_snapshots(taken_at_ms, body) VALUES(:t, :b)";
inline constexpr char kDeleteMetricSnapshotsBefore[] =
    "DELETE FROM metric_snapshots WHERE taken_at_ms < :b";

// ---- Retention: at most :n rows per statement, oldest first ---------------

inline constexpr char kDeleteFinishedEntries[] =
    "DELETE FROM sync_queue WHERE seq IN (SELECT seq FROM sync_queue"
    " WHERE finished_at_ms > 0 AND finished_at_ms < :c"
    " ORDER BY finished_at_ms LIMIT :n)";
inline constexpr char kDeleteSyncLogBefore[] =
    "DELETE FROM sync_log WHERE id IN (SELECT id FROM sync_log"
    " WHERE finished_at_ms < :c ORDER BY finished_at_ms LIMIT :n)";
inline constexpr char kDeleteConflictsBefore[] =
    "DELETE FROM conflicts WHERE id IN (SELECT id FROM conflicts"
    " WHERE detected_at_ms < :c ORDER BY id LIMIT :n)";

// ---- Operator console (console_store.cc) ----------------------------------
// The console's list queries combine a FROM/WHERE from the fragments below
// (filters appended as the request asks) with kSelectCount for the total and
// a column list and a page for the rows.

inline constexpr char kSelectCount[] = "SELECT count(*)";
inline constexpr char kAndTenantIs[] = " AND tenant_id = :t";
inline constexpr char kAndEntityTypeIs[] = " AND entity_type = :ty";

// Migrations: SELECT count(*) FROM pragma_table_info('<table>') WHERE name = '<column>',
// ALTER TABLE <table> ADD COLUMN <column> <definition> (names from kAddedColumns).
inline constexpr char kCountColumnOf[] = "SELECT count(*) FROM pragma_table_info('";
inline constexpr char kCountColumnNamed[] = "') WHERE name = '";
inline constexpr char kAlterTable[] = "ALTER TABLE ";
inline constexpr char kAddColumn[] = " ADD COLUMN ";

// Dead letters.
inline constexpr char kDeadFrom[] = " FROM sync_queue WHERE state = 'dead'";
inline constexpr char kAndLastErrorLike[] = " AND last_error LIKE :e ESCAPE '\\'";
inline constexpr char kSelectDeadColumns[] =
    "SELECT seq, tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, client_ts_ms, attempts, last_error,"
    " received_at_ms, result_reason, result_detail, result_server_ts_ms";
inline constexpr char kDeadPage[] = " ORDER BY seq DESC LIMIT :n OFFSET :o";

// Conflicts.
inline constexpr char kConflictsFrom[] = " FROM conflicts WHERE 1 = 1";
inline constexpr char kAndConflictOpen[] = " AND resolved_at_ms = 0";
inline constexpr char kAndConflictResolved[] = " AND resolved_at_ms <> 0";
inline constexpr char kConflictPage[] = " ORDER BY id DESC LIMIT :n OFFSET :o";
inline constexpr char kConflictById[] = " FROM conflicts WHERE id = :id";
inline constexpr char kSelectConsoleConflictColumns[] =
    "SELECT id, tenant_id, entity_type, entity_id, entry_id,"
    " incoming_version_ms, stored_version_ms, incoming_checksum,"
    " stored_checksum, resolution, detected_at_ms, resolved_at_ms,"
    " resolved_by, resolution_entry_id, incoming_operation, incoming_data,"
    " stored_data, resolved_action";
inline constexpr char kResolveConflict[] =
    "UPDATE conflicts SET resolved_action = :r, resolved_by = :b,"
    " resolved_at_ms = :a, resolution_entry_id = :e"
    " WHERE id = :id AND resolved_at_ms = 0";
// `resolution` (the conflict's kind) is left as the pipeline recorded it.
inline constexpr char kReopenConflict[] =
    "UPDATE conflicts SET resolved_action = '', resolved_by = '',"
    " resolved_at_ms = 0, resolution_entry_id = '' WHERE id = :id";

// Tenants.
inline constexpr char kCountLiveEntitiesByTenantAndType[] =
    "SELECT tenant_id, entity_type, count(*) FROM entities"
    " WHERE deleted = 0 GROUP BY tenant_id, entity_type";
inline constexpr char kTenantsWithCounters[] =
    "SELECT DISTINCT scope FROM counters"
    " WHERE scope <> ''";
inline constexpr char kCountDeadByTenant[] =
    "SELECT tenant_id, count(*) FROM sync_queue"
    " WHERE state = 'dead' GROUP BY tenant_id";
inline constexpr char kCountOpenConflictsByTenant[] =
    "SELECT tenant_id, count(*) FROM conflicts"
    " WHERE resolved_at_ms = 0 GROUP BY tenant_id";
inline constexpr char kLastAppliedByTenant[] =
    "SELECT tenant_id, last_applied_at_ms FROM checkpoints";

// Entities.
inline constexpr char kEntitiesOfTenantFrom[] = " FROM entities WHERE tenant_id = :t";
inline constexpr char kAndEntityMatches[] =
    " AND (entity_id LIKE :q ESCAPE '\\' OR"
    " (json_valid(data) AND json_extract(data, '$.name') LIKE :q ESCAPE '\\'))";
inline constexpr char kSelectEntityColumns[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum,"
    " modified_at_ms, source_entry_id";
inline constexpr char kEntityPage[] = " ORDER BY entity_type, entity_id LIMIT :n OFFSET :o";
inline constexpr char kConsoleGetEntity[] =
    "SELECT version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities"
    " WHERE tenant_id = :t AND entity_type = :ty AND entity_id = :id";

// History (sync_log) and attempts. The WHERE tails bind :t, :ty, :id, :e,
// :floor, :since as they name them; kEntityHistoryWhere ends with LIMIT and
// takes the number appended.
inline constexpr char kMaxSyncLogId[] = "SELECT max(id) FROM sync_log";
inline constexpr char kSelectHistoryFrom[] =
    "SELECT seq, entry_id, entity_type, entity_id, operation, result,"
    " finished_at_ms, actor FROM sync_log";
inline constexpr char kEntityHistoryWhere[] =
    " WHERE id > :floor AND tenant_id = :t AND entity_type = :ty AND entity_id = :id"
    " ORDER BY id DESC LIMIT ";
inline constexpr char kEntryReceivedAt[] =
    "SELECT received_at_ms FROM sync_queue WHERE tenant_id = :t AND entry_id = :e";
inline constexpr char kEntryHistoryWhere[] =
    " WHERE finished_at_ms >= :since AND tenant_id = :t AND entry_id = :e ORDER BY id";
inline constexpr char kEntryAttempts[] =
    "SELECT attempt, state, error, at_ms, next_attempt_at_ms"
    " FROM entry_attempts WHERE tenant_id = :t AND entry_id = :e ORDER BY id";
inline constexpr char kInsertOperatorLog[] =
    "INSERT INTO sync_log(seq, tenant_id, entry_id, entity_type, entity_id, operation,"
    " result, finished_at_ms, actor) VALUES(:s, :t, :e, :ty, :id, :op, :r, :at, :a)";
inline constexpr char kMetricSnapshotsSince[] =
    "SELECT taken_at_ms, body FROM metric_snapshots"
    " WHERE taken_at_ms >= :s ORDER BY taken_at_ms";

// ---- Accounts (accounts.md): users, tenants, refresh tokens ---------------

// Created idempotently by OpenSqliteAccountStore. Emails are matched
// case-insensitively through email_lower; refresh tokens are stored only as
// their SHA-256, one chain per login (rotation keeps the chain id).
inline constexpr const char* kAccountsSchema[] = {
    "CREATE TABLE IF NOT EXISTS users ("
    " uuid TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
    " email_lower TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL DEFAULT '',"
    " role TEXT NOT NULL DEFAULT 'user',"
    " created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS tenants ("
    " uuid TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL,"
    " created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS tenants_user ON tenants(user_id)",
    "CREATE TABLE IF NOT EXISTS refresh_tokens ("
    " token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, chain_id TEXT NOT NULL,"
    // state: 'active' (usable once), 'rotated' (used; a reuse revokes the
    // chain), 'revoked' (logout or reuse)
    " state TEXT NOT NULL, expires_at_ms INTEGER NOT NULL,"
    " created_at_ms INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS refresh_tokens_chain ON refresh_tokens(chain_id)",
    nullptr,
};

inline constexpr char kUserColumns[] =
    "SELECT uuid, name, email, password_hash, role, created_at_ms, updated_at_ms FROM users";
inline constexpr char kWhereUserId[] = " WHERE uuid = :id";
inline constexpr char kWhereEmailLower[] = " WHERE email_lower = :e";
inline constexpr char kWhereNameLower[] = " WHERE lower(name) = :e ORDER BY created_at_ms LIMIT 2";
inline constexpr char kOrderByCreated[] = " ORDER BY created_at_ms, uuid";
inline constexpr char kInsertUser[] =
    "INSERT INTO users(uuid, name, email, email_lower, password_hash, role, created_at_ms,"
    " updated_at_ms) VALUES(:id, :n, :e, :el, :p, :r, :c, :u)";
inline constexpr char kUpdateUser[] =
    "UPDATE users SET name = :n, email = :e, email_lower = :el, password_hash = :p, role = :r,"
    " updated_at_ms = :u WHERE uuid = :id";
inline constexpr char kCountEmailOfOthers[] =
    "SELECT count(*) FROM users WHERE email_lower = :el AND uuid <> :id";

inline constexpr char kTenantColumns[] =
    "SELECT uuid, name, user_id, created_at_ms, updated_at_ms FROM tenants";
inline constexpr char kWhereTenantId[] = " WHERE uuid = :id";
inline constexpr char kWhereTenantUser[] = " WHERE user_id = :u ORDER BY created_at_ms, uuid";
inline constexpr char kInsertTenant[] =
    "INSERT INTO tenants(uuid, name, user_id, created_at_ms, updated_at_ms)"
    " VALUES(:id, :n, :u, :c, :m)";
inline constexpr char kRenameTenant[] =
    "UPDATE tenants SET name = :n, updated_at_ms = :m WHERE uuid = :id";
inline constexpr char kDeleteTenant[] = "DELETE FROM tenants WHERE uuid = :t";

// Every row of one tenant's sync data (tenant delete and reset, run by the
// pipeline's write connection in one transaction). The entry_attempts rows go
// with their queue rows (entry_attempts_retention).
inline constexpr char kDeleteTenantEntities[] = "DELETE FROM entities WHERE tenant_id = :t";
inline constexpr char kDeleteTenantQueue[] = "DELETE FROM sync_queue WHERE tenant_id = :t";
inline constexpr char kDeleteTenantConflicts[] = "DELETE FROM conflicts WHERE tenant_id = :t";
inline constexpr char kDeleteTenantSyncLog[] = "DELETE FROM sync_log WHERE tenant_id = :t";
inline constexpr char kDeleteTenantCheckpoint[] = "DELETE FROM checkpoints WHERE tenant_id = :t";
// With its entities and tombstones gone, no cursor of the tenant may be
// answered incrementally any more: its next write draws a new epoch.
inline constexpr char kDeleteTenantChanges[] = "DELETE FROM tenant_changes WHERE tenant_id = :t";
inline constexpr char kDeleteTenantCounters[] = "DELETE FROM counters WHERE scope = :t";
// The write connection deletes the tenant's row only where the accounts
// tables exist (a database the accounts store never opened has none).
inline constexpr char kTenantsTableExists[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tenants'";
// Whether a tenant id has sync data (POST /tenants in token mode: data
// written before it had an owner is not for the first claimant).
inline constexpr char kTenantHasSyncData[] =
    "SELECT EXISTS(SELECT 1 FROM entities WHERE tenant_id = :t)"
    " OR EXISTS(SELECT 1 FROM sync_queue WHERE tenant_id = :t)"
    " OR EXISTS(SELECT 1 FROM sync_log WHERE tenant_id = :t)";
inline constexpr char kTenantCounters[] = "SELECT name, value FROM counters WHERE scope = :t";
// Before the tenant's counters go: its queue rows leave the global depth too,
// so the depth counters keep matching the queue table.
inline constexpr char kSubtractTenantDepth[] =
    "UPDATE counters SET value = value - coalesce((SELECT t.value FROM counters t"
    " WHERE t.scope = :t AND t.name = counters.name), 0)"
    " WHERE scope = '' AND name IN"
    " ('depth.pending', 'depth.in_flight', 'depth.retry_wait', 'depth.dead')";

inline constexpr char kInsertRefreshToken[] =
    "INSERT INTO refresh_tokens(token_hash, user_id, chain_id, state, expires_at_ms,"
    " created_at_ms) VALUES(:h, :u, :c, 'active', :x, :n)";
inline constexpr char kFindRefreshToken[] =
    "SELECT user_id, chain_id, state, expires_at_ms FROM refresh_tokens WHERE token_hash = :h";
inline constexpr char kMarkRefreshRotated[] =
    "UPDATE refresh_tokens SET state = 'rotated' WHERE token_hash = :h AND state = 'active'";
inline constexpr char kRevokeRefreshChain[] =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE chain_id = :c";
inline constexpr char kRevokeRefreshToken[] =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE token_hash = :h";
inline constexpr char kRevokeUserRefreshTokens[] =
    "UPDATE refresh_tokens SET state = 'revoked' WHERE user_id = :u";
inline constexpr char kDeleteExpiredRefreshTokens[] =
    "DELETE FROM refresh_tokens WHERE expires_at_ms < :n";

}  // namespace syncd::db::sqlite

#endif  // SYNCD_DB_SQLITE_SQL_H_
