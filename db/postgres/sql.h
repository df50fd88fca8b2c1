// Every SQL statement of the PostgreSQL engine, as a named constant: the
// twin of db/sqlite/sql.h. Private to db/; header only.
//
// Placeholders: libpq statements (the write and read stores, native) use $N;
// SOCI statements (the console store) use :name.
//
// The schema has the same shape as SQLite's (same tables, columns and
// meanings), with three differences: every primary key begins with
// tenant_id (scale.md: the schema can be distributed by tenant; the global
// counters and metric snapshots use tenant_id ''), queue rows carry the
// instance that owns them (`owner`), and two cluster-wide housekeeping tables
// (schema_version, instances) hold no tenant data.
#ifndef SYNCD_DB_POSTGRES_SQL_H_
#define SYNCD_DB_POSTGRES_SQL_H_

namespace syncd::db::postgres {

// ---- Schema: versioned migrations under an advisory lock --------------------

// pg_advisory_xact_lock(kSchemaLockClass, kSchemaLockObject) serialises
// schema creation and upgrades between instances that start together. The
// two-int form never collides with the entity locks (one bigint).
inline constexpr int kSchemaLockClass = 0x73796e63;  // "sync"
inline constexpr int kSchemaLockObject = 1;

inline constexpr char kLockSchema[] = "SELECT pg_advisory_xact_lock($1, $2)";
inline constexpr char kCreateSchemaVersion[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)";
inline constexpr char kSchemaVersion[] = "SELECT coalesce(max(version), 0) FROM schema_version";
inline constexpr char kRecordSchemaVersion[] =
    "INSERT INTO schema_version(version, applied_at_ms)"
    " VALUES($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)";

// Version 1: everything SQLite has (with the console's columns, triggers and
// attempts table built in), plus the instances table.
inline constexpr const char* kSchemaV1[] = {
    // The queue is the source of truth for every entry's state and result.
    // `owner` is the instance that holds an unfinished row (in its memory
    // schedule); lease_until_ms is when an in_flight claim lapses.
    "CREATE TABLE sync_queue ("
    " tenant_id TEXT NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY,"
    " entry_id TEXT NOT NULL,"
    " entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, operation TEXT NOT NULL,"
    " data TEXT NOT NULL, version_ms BIGINT NOT NULL, client_ts_ms BIGINT NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " owner TEXT NOT NULL DEFAULT '',"
    " lease_until_ms BIGINT NOT NULL DEFAULT 0, next_attempt_at_ms BIGINT NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " received_at_ms BIGINT NOT NULL, finished_at_ms BIGINT NOT NULL DEFAULT 0,"
    // result_kind: 0 none, 1 ack, 2 nack
    " result_kind INTEGER NOT NULL DEFAULT 0, result_outcome TEXT NOT NULL DEFAULT '',"
    " result_reason TEXT NOT NULL DEFAULT '', result_detail TEXT NOT NULL DEFAULT '',"
    " result_retry_after_ms BIGINT NOT NULL DEFAULT 0, result_checksum TEXT NOT NULL DEFAULT '',"
    " result_server_ts_ms BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY (tenant_id, seq))",
    // The idempotency key (scale.md 1): unique across instances.
    "CREATE UNIQUE INDEX sync_queue_entry ON sync_queue(tenant_id, entry_id)",
    // The pipeline names a row by its seq alone.
    "CREATE UNIQUE INDEX sync_queue_seq ON sync_queue(seq)",
    "CREATE INDEX sync_queue_open ON sync_queue(tenant_id, seq)"
    " WHERE finished_at_ms = 0 AND state <> 'dead'",
    "CREATE INDEX sync_queue_open_owner ON sync_queue(owner, seq)"
    " WHERE finished_at_ms = 0 AND state <> 'dead'",
    "CREATE INDEX sync_queue_finished ON sync_queue(finished_at_ms) WHERE finished_at_ms > 0",
    "CREATE INDEX sync_queue_dead ON sync_queue(seq) WHERE state = 'dead'",
    // A listener that was disconnected catches up on what the others
    // finished meanwhile (listener.cc) by result time.
    "CREATE INDEX sync_queue_result_ts ON sync_queue(result_server_ts_ms) WHERE result_kind <> 0",
    "CREATE TABLE entities ("
    " tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,"
    " version_ms BIGINT NOT NULL, deleted INTEGER NOT NULL, data TEXT NOT NULL,"
    " checksum TEXT NOT NULL, modified_at_ms BIGINT NOT NULL,"
    " source_entry_id TEXT NOT NULL DEFAULT '', change_seq BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY (tenant_id, entity_type, entity_id))",
    // An incremental load reads, type by type, the rows written after a
    // position: a range of this index.
    "CREATE INDEX entities_changes ON entities(tenant_id, entity_type, change_seq)",
    // Per tenant: the last change_seq handed out and the tenant's epoch
    // (store.h ChangePosition). A tenant gets its row at its first write.
    "CREATE TABLE tenant_changes ("
    " tenant_id TEXT PRIMARY KEY, change_seq BIGINT NOT NULL, epoch BIGINT NOT NULL)",
    "CREATE TABLE conflicts ("
    " tenant_id TEXT NOT NULL, id BIGINT GENERATED ALWAYS AS IDENTITY,"
    " entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " incoming_version_ms BIGINT NOT NULL, stored_version_ms BIGINT NOT NULL,"
    " incoming_checksum TEXT NOT NULL, stored_checksum TEXT NOT NULL,"
    " resolution TEXT NOT NULL, detected_at_ms BIGINT NOT NULL,"
    " resolved_at_ms BIGINT NOT NULL DEFAULT 0, resolved_by TEXT NOT NULL DEFAULT '',"
    " resolution_entry_id TEXT NOT NULL DEFAULT '',"
    " incoming_operation TEXT NOT NULL DEFAULT '', incoming_data TEXT NOT NULL DEFAULT '',"
    " stored_data TEXT NOT NULL DEFAULT '', resolved_action TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (tenant_id, id))",
    "CREATE UNIQUE INDEX conflicts_id ON conflicts(id)",
    // Both states of a conflict, captured in the transaction that detects it
    // (the queue row still has its payload), as SQLite's conflicts_capture.
    "CREATE FUNCTION syncd_conflicts_capture() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " NEW.incoming_operation := coalesce((SELECT operation FROM sync_queue"
    " WHERE tenant_id = NEW.tenant_id AND entry_id = NEW.entry_id), '');"
    " NEW.incoming_data := coalesce((SELECT data FROM sync_queue"
    " WHERE tenant_id = NEW.tenant_id AND entry_id = NEW.entry_id), '');"
    " NEW.stored_data := coalesce((SELECT data FROM entities WHERE tenant_id = NEW.tenant_id"
    " AND entity_type = NEW.entity_type AND entity_id = NEW.entity_id), '');"
    " RETURN NEW; END $$",
    "CREATE TRIGGER conflicts_capture BEFORE INSERT ON conflicts FOR EACH ROW"
    " WHEN (NEW.incoming_data = '') EXECUTE FUNCTION syncd_conflicts_capture()",
    "CREATE TABLE sync_log ("
    " tenant_id TEXT NOT NULL, id BIGINT GENERATED ALWAYS AS IDENTITY, seq BIGINT NOT NULL,"
    " entry_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,"
    " operation TEXT NOT NULL, result TEXT NOT NULL, finished_at_ms BIGINT NOT NULL,"
    " actor TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX sync_log_finished ON sync_log(finished_at_ms)",
    // A counter is the sum of its slots: each instance adds to the slot its
    // id hashes to (kCounterSlots), so instances rarely wait for each
    // other's transactions on one counter row (the global '' rows are in
    // every transaction).
    "CREATE TABLE counters ("
    " tenant_id TEXT NOT NULL, name TEXT NOT NULL, slot INTEGER NOT NULL DEFAULT 0,"
    " value BIGINT NOT NULL, PRIMARY KEY (tenant_id, name, slot))",
    "CREATE TABLE checkpoints ("
    " tenant_id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL, last_entry_id TEXT NOT NULL,"
    " last_applied_at_ms BIGINT NOT NULL)",
    "CREATE TABLE metric_snapshots ("
    " tenant_id TEXT NOT NULL DEFAULT '', id BIGINT GENERATED ALWAYS AS IDENTITY,"
    " taken_at_ms BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
    "CREATE INDEX metric_snapshots_taken ON metric_snapshots(taken_at_ms)",
    // Each failed attempt of an entry, as SQLite's entry_attempts_capture:
    // only updates of `attempts` into retry_wait or out of dead.
    "CREATE TABLE entry_attempts ("
    " tenant_id TEXT NOT NULL, entry_id TEXT NOT NULL, id BIGINT GENERATED ALWAYS AS IDENTITY,"
    " attempt INTEGER NOT NULL, state TEXT NOT NULL, error TEXT NOT NULL,"
    " at_ms BIGINT NOT NULL, next_attempt_at_ms BIGINT NOT NULL,"
    " PRIMARY KEY (tenant_id, entry_id, id))",
    "CREATE FUNCTION syncd_entry_attempts_capture() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " INSERT INTO entry_attempts(tenant_id, entry_id, attempt, state, error, at_ms,"
    " next_attempt_at_ms) VALUES (NEW.tenant_id, NEW.entry_id,"
    " CASE WHEN OLD.state = 'dead' THEN OLD.attempts ELSE NEW.attempts END,"
    " CASE WHEN OLD.state = 'dead' THEN 'dead' ELSE 'retry_wait' END,"
    " CASE WHEN OLD.state = 'dead' THEN OLD.last_error ELSE NEW.last_error END,"
    " CASE WHEN OLD.state = 'dead' AND OLD.result_server_ts_ms > 0 THEN OLD.result_server_ts_ms"
    " ELSE (extract(epoch FROM clock_timestamp()) * 1000)::bigint END,"
    " CASE WHEN OLD.state = 'dead' THEN 0 ELSE NEW.next_attempt_at_ms END);"
    " RETURN NULL; END $$",
    "CREATE TRIGGER entry_attempts_capture AFTER UPDATE OF attempts ON sync_queue FOR EACH ROW"
    " WHEN (NEW.state = 'retry_wait' OR OLD.state = 'dead')"
    " EXECUTE FUNCTION syncd_entry_attempts_capture()",
    "CREATE FUNCTION syncd_entry_attempts_retention() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN DELETE FROM entry_attempts WHERE tenant_id = OLD.tenant_id"
    " AND entry_id = OLD.entry_id; RETURN NULL; END $$",
    "CREATE TRIGGER entry_attempts_retention AFTER DELETE ON sync_queue FOR EACH ROW"
    " EXECUTE FUNCTION syncd_entry_attempts_retention()",
    // Cluster-wide: one row per instance, its heartbeat renewed every
    // --heartbeat-ms by a connection of its own.
    "CREATE TABLE instances ("
    " instance_id TEXT PRIMARY KEY, started_at_ms BIGINT NOT NULL,"
    " heartbeat_at_ms BIGINT NOT NULL, connections BIGINT NOT NULL DEFAULT 0)",
    // Accounts (accounts.md), as SQLite's kAccountsSchema. A tenant's row is
    // keyed by the tenant id itself.
    "CREATE TABLE users ("
    " uuid TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
    " email_lower TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL DEFAULT '',"
    " role TEXT NOT NULL DEFAULT 'user',"
    " created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL)",
    "CREATE TABLE tenants ("
    " uuid TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL,"
    " created_at_ms BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL)",
    "CREATE INDEX tenants_user ON tenants(user_id)",
    "CREATE TABLE refresh_tokens ("
    " token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, chain_id TEXT NOT NULL,"
    " state TEXT NOT NULL, expires_at_ms BIGINT NOT NULL, created_at_ms BIGINT NOT NULL)",
    "CREATE INDEX refresh_tokens_chain ON refresh_tokens(chain_id)",
    nullptr,
};

struct Migration {
  int version;
  const char* const* statements;  // ends with nullptr
};
// In order; the last one's version is the schema this binary writes.
inline constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
};
inline constexpr int kCurrentSchemaVersion = 1;

inline constexpr char kPing[] = "SELECT 1";

// ---- Instances (heartbeat.cc) ----------------------------------------------

// Heartbeats are stamped and compared with the database server's clock, so
// the instances' clocks need not agree.
#define SYNCD_PG_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
inline constexpr char kHeartbeat[] =
    "INSERT INTO instances(instance_id, started_at_ms, heartbeat_at_ms, connections)"
    " VALUES($1, " SYNCD_PG_NOW_MS ", " SYNCD_PG_NOW_MS
    ", $2)"
    " ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at_ms = EXCLUDED.heartbeat_at_ms,"
    " connections = EXCLUDED.connections";
// The statistics' instances (scale.md 5): live ones (heartbeat within $1 ms)
// and dead ones that still hold unfinished rows.
inline constexpr char kListInstances[] =
    "SELECT i.instance_id, i.connections, i.heartbeat_at_ms,"
    " (SELECT count(*) FROM sync_queue q WHERE q.owner = i.instance_id"
    " AND q.finished_at_ms = 0 AND q.state = 'in_flight')"
    " FROM instances i WHERE i.heartbeat_at_ms >= " SYNCD_PG_NOW_MS
    " - $1::bigint"
    " OR EXISTS (SELECT 1 FROM sync_queue q WHERE q.owner = i.instance_id"
    " AND q.finished_at_ms = 0 AND q.state <> 'dead')"
    " ORDER BY i.instance_id";

// ---- Fan-out between instances (write_store.cc, listener.cc) ---------------

// scale.md 4: a transaction that finished entries announces them at commit
// (NOTIFY is transactional: nothing is announced for a rollback). Payload
// "<instance>\n<tenant>\n<seq>,<seq>,…", at most kNotifyPayloadMax bytes
// (PostgreSQL's limit is 8000), several notifications when longer. Ids, never
// data: the listeners read the rows.
inline constexpr char kNotifyChannel[] = "syncd_finished";
inline constexpr int kNotifyPayloadMax = 7900;
inline constexpr char kNotify[] = "SELECT pg_notify('syncd_finished', $1)";
inline constexpr char kListen[] = "LISTEN syncd_finished";
#define SYNCD_PG_FINISHED_COLUMNS                                                    \
  "q.seq, q.tenant_id, q.entry_id, q.entity_type, q.entity_id, q.operation, q.data," \
  " q.version_ms, q.client_ts_ms, q.state, q.attempts, q.lease_until_ms,"            \
  " q.next_attempt_at_ms, q.last_error, q.received_at_ms, q.finished_at_ms,"         \
  " q.result_kind, q.result_outcome, q.result_reason, q.result_detail,"              \
  " q.result_retry_after_ms, q.result_checksum, q.result_server_ts_ms,"              \
  " e.entity_id IS NOT NULL, coalesce(e.version_ms, 0), coalesce(e.deleted, 0),"     \
  " coalesce(e.data, ''), coalesce(e.checksum, ''), coalesce(e.modified_at_ms, 0),"  \
  " coalesce(e.source_entry_id, '')"                                                 \
  " FROM sync_queue q LEFT JOIN entities e ON e.tenant_id = q.tenant_id"             \
  " AND e.entity_type = q.entity_type AND e.entity_id = q.entity_id"
// The announced rows ($1 tenant, $2 '{seq,…}'), with their entities.
inline constexpr char kReadFinished[] =
    "SELECT " SYNCD_PG_FINISHED_COLUMNS
    " WHERE q.tenant_id = $1 AND q.seq = ANY($2::bigint[]) AND q.state IN ('done', 'dead')"
    " ORDER BY q.seq";
// Catch-up after the listener was disconnected: rows other instances
// finished since $2 (their result time, ms; the caller leaves a margin for
// clock differences).
inline constexpr char kCatchUpFinished[] =
    "SELECT " SYNCD_PG_FINISHED_COLUMNS
    " WHERE q.result_kind <> 0 AND q.result_server_ts_ms >= $2 AND q.owner <> $1"
    " AND q.state IN ('done', 'dead') ORDER BY q.seq";
#undef SYNCD_PG_FINISHED_COLUMNS

// ---- Transactions (write store) -------------------------------------------

inline constexpr char kBegin[] = "BEGIN";
inline constexpr char kCommit[] = "COMMIT";
inline constexpr char kRollback[] = "ROLLBACK";
inline constexpr char kSavepoint[] = "SAVEPOINT entry";
inline constexpr char kReleaseSavepoint[] = "RELEASE SAVEPOINT entry";
inline constexpr char kRollbackToSavepoint[] = "ROLLBACK TO SAVEPOINT entry";

// ---- Queue ------------------------------------------------------------------

// The columns of a queue row, in the order QueueRowColumns (sqlite/row_mapping.h,
// the same SOCI binding for both engines) and the write store read them.
#define SYNCD_PG_QUEUE_ROW_COLUMNS                                                  \
  "seq, tenant_id, entry_id, entity_type, entity_id, operation, data, version_ms,"  \
  " client_ts_ms, state, attempts, lease_until_ms, next_attempt_at_ms, last_error," \
  " received_at_ms, finished_at_ms, result_kind, result_outcome, result_reason,"    \
  " result_detail, result_retry_after_ms, result_checksum, result_server_ts_ms"

inline constexpr char kFindEntry[] =
    "SELECT " SYNCD_PG_QUEUE_ROW_COLUMNS " FROM sync_queue WHERE tenant_id = $1 AND entry_id = $2";
// Recovery at start (scale.md 2): this instance takes, with FOR UPDATE SKIP
// LOCKED, every unfinished row that is its own (a restart with the same
// --instance-id), that nobody owns, or whose owner's heartbeat is older than
// the instance timeout ($2, ms). Rows another
// instance is changing right now are skipped, never waited for.
#define SYNCD_PG_CLAIM_OPEN_ROWS_WHERE(owners)                                          \
  "UPDATE sync_queue q SET owner = $1 FROM ("                                           \
  " SELECT seq AS claimed FROM sync_queue WHERE finished_at_ms = 0 AND state <> 'dead'" \
  " AND " owners                                                                        \
  " ORDER BY seq FOR UPDATE SKIP LOCKED) c"                                             \
  " WHERE q.seq = c.claimed RETURNING " SYNCD_PG_QUEUE_ROW_COLUMNS
// Owners that are gone: no heartbeat within the instance timeout ($2, ms).
#define SYNCD_PG_OWNER_GONE                                                 \
  "owner NOT IN (SELECT instance_id FROM instances WHERE instance_id <> $1" \
  " AND heartbeat_at_ms >= " SYNCD_PG_NOW_MS " - $2::bigint)"
inline constexpr char kClaimUnfinished[] =
    SYNCD_PG_CLAIM_OPEN_ROWS_WHERE("(owner = $1 OR owner = '' OR " SYNCD_PG_OWNER_GONE ")");
// While running (WriteStore::ClaimOrphaned): the same, without the rows this
// instance holds already.
inline constexpr char kClaimOrphaned[] =
    SYNCD_PG_CLAIM_OPEN_ROWS_WHERE("owner <> $1 AND (owner = '' OR " SYNCD_PG_OWNER_GONE ")");

#undef SYNCD_PG_CLAIM_OPEN_ROWS_WHERE
#undef SYNCD_PG_OWNER_GONE
#undef SYNCD_PG_QUEUE_ROW_COLUMNS
#undef SYNCD_PG_NOW_MS

inline constexpr char kInsertEntry[] =
    "INSERT INTO sync_queue(tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, client_ts_ms, state, lease_until_ms, received_at_ms, attempts, owner)"
    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (tenant_id, entry_id) DO NOTHING RETURNING seq";
// An entry refused as it was read (protocol.md: remembered NACKs), as on
// SQLite: a finished row never attempted (attempts 0: rows.cc tells it apart
// by that), with its NACK and the fields as they could be read.
inline constexpr char kInsertRefusedEntry[] =
    "INSERT INTO sync_queue(tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, state, attempts, received_at_ms, finished_at_ms, result_kind,"
    " result_reason, result_detail, result_server_ts_ms, owner)"
    " VALUES($1, $2, $3, $4, $5, '', 0, 'done', 0, $6, $7, 2, $8, $9, $10, $11)"
    " ON CONFLICT (tenant_id, entry_id) DO NOTHING RETURNING seq";
inline constexpr char kClaimEntry[] =
    "UPDATE sync_queue SET state = 'in_flight', attempts = $1, lease_until_ms = $2, owner = $3"
    " WHERE seq = $4";
inline constexpr char kScheduleRetry[] =
    "UPDATE sync_queue SET state = 'retry_wait', attempts = $1, next_attempt_at_ms = $2,"
    " last_error = $3, lease_until_ms = 0 WHERE seq = $4";
inline constexpr char kRequeueEntry[] =
    "UPDATE sync_queue SET state = 'pending', attempts = 0, lease_until_ms = 0,"
    " next_attempt_at_ms = 0, result_kind = 0, result_outcome = '', result_reason = '',"
    " result_detail = '', result_retry_after_ms = 0, result_checksum = '',"
    " result_server_ts_ms = 0, owner = $2 WHERE seq = $1";
inline constexpr char kFinishEntry[] =
    "UPDATE sync_queue SET state = $1::text, result_kind = $2, result_outcome = $3,"
    " result_reason = $4, result_detail = $5, result_retry_after_ms = $6,"
    " result_checksum = $7, result_server_ts_ms = $8, finished_at_ms = $9,"
    " last_error = $10, lease_until_ms = 0, next_attempt_at_ms = 0,"
    // A finished entry keeps its result, not its payload (as on SQLite).
    " data = CASE WHEN $1::text = 'done' THEN '' ELSE data END WHERE seq = $11"
    " RETURNING tenant_id";  // for the announcement at commit
inline constexpr char kOldestUnfinishedOfTenant[] =
    "SELECT received_at_ms FROM sync_queue"
    " WHERE tenant_id = $1 AND finished_at_ms = 0 AND state <> 'dead'"
    " ORDER BY seq LIMIT 1";
inline constexpr char kOldestUnfinished[] =
    "SELECT min(received_at_ms) FROM sync_queue"
    " WHERE finished_at_ms = 0 AND state <> 'dead'";

// ---- Entities, conflicts, audit, checkpoints ------------------------------

// scale.md 3: the apply transaction takes a transaction-level advisory lock
// per entity it touches ($1: the keys, sorted by the caller), so two
// instances never decide last-write-wins on the same entity at once. The
// function scan runs in array order: the locks are taken in a fixed order,
// so no two transactions wait on each other in a cycle. Locks on keys, not
// rows: an entity that does not exist yet is locked too.
inline constexpr char kLockEntities[] =
    "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k";
// The batch's entities in one round trip, right after their locks ($1, $2,
// $3: tenant, type and id arrays of the same length): the apply's reads then
// need no statement per entry.
inline constexpr char kGetEntities[] =
    "SELECT e.tenant_id, e.entity_type, e.entity_id, e.version_ms, e.deleted, e.data,"
    " e.checksum, e.modified_at_ms, e.source_entry_id"
    " FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, ty, id)"
    " JOIN entities e ON e.tenant_id = k.t AND e.entity_type = k.ty AND e.entity_id = k.id";
inline constexpr char kGetEntity[] =
    "SELECT version_ms, deleted, data, checksum, modified_at_ms, source_entry_id"
    " FROM entities WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3";
// Every entity write takes the tenant's next change_seq in the same
// statement: the tenant's tenant_changes row is incremented (created with a
// random 53-bit epoch at the first write) and stays locked until commit, so
// the positions of one tenant are handed out in commit order across
// instances, and a snapshot that sees position P sees every row <= P. The
// apply takes the tenant's advisory lock first (write_store.cc
// LockEntities), so transactions of several tenants never wait on these
// rows in a cycle.
inline constexpr char kPutEntity[] =
    "WITH c AS (INSERT INTO tenant_changes(tenant_id, change_seq, epoch)"
    " VALUES($1, 1, floor(random() * 9007199254740990)::bigint + 1)"
    " ON CONFLICT (tenant_id) DO UPDATE SET change_seq = tenant_changes.change_seq + 1"
    " RETURNING change_seq)"
    " INSERT INTO entities(tenant_id, entity_type, entity_id, version_ms, deleted, data,"
    " checksum, modified_at_ms, source_entry_id, change_seq)"
    " SELECT $1::text, $2::text, $3::text, $4::bigint, $5::integer, $6::text, $7::text,"
    " $8::bigint, $9::text, c.change_seq FROM c"
    " ON CONFLICT (tenant_id, entity_type, entity_id) DO UPDATE SET"
    " version_ms = EXCLUDED.version_ms, deleted = EXCLUDED.deleted, data = EXCLUDED.data,"
    " checksum = EXCLUDED.checksum, modified_at_ms = EXCLUDED.modified_at_ms,"
    " source_entry_id = EXCLUDED.source_entry_id, change_seq = EXCLUDED.change_seq";
inline constexpr char kGetChangePosition[] =
    "SELECT change_seq, epoch FROM tenant_changes WHERE tenant_id = $1";
// A load (read store, ReadLoad): one REPEATABLE READ snapshot, one type at a
// time, in pages of kLoadPage rows after the last key ($4), so that a load
// holds one page, never the tenant.
inline constexpr int kLoadPage = 500;
inline constexpr char kBeginLoad[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
inline constexpr char kLoadLiveOfType[] =
    "SELECT entity_id, data, deleted FROM entities"
    " WHERE tenant_id = $1 AND entity_type = $2 AND deleted = 0 AND entity_id > $3"
    " ORDER BY entity_id LIMIT $4";
inline constexpr char kLoadChangedOfType[] =
    "SELECT entity_id, data, deleted, change_seq FROM entities"
    " WHERE tenant_id = $1 AND entity_type = $2 AND change_seq > $3"
    " ORDER BY change_seq LIMIT $4";
inline constexpr char kListEntities[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities WHERE tenant_id = $1"
    " ORDER BY entity_type, entity_id";
inline constexpr char kListLiveEntities[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities WHERE tenant_id = $1 AND deleted = 0"
    " ORDER BY entity_type, entity_id";
inline constexpr char kInsertConflict[] =
    "INSERT INTO conflicts(tenant_id, entity_type, entity_id, entry_id, incoming_version_ms,"
    " stored_version_ms, incoming_checksum, stored_checksum, resolution, detected_at_ms)"
    " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
inline constexpr char kListConflicts[] =
    "SELECT entity_type, entity_id, entry_id, incoming_version_ms,"
    " stored_version_ms, incoming_checksum, stored_checksum, resolution,"
    " detected_at_ms FROM conflicts WHERE tenant_id = $1"
    " ORDER BY id DESC LIMIT $2";
inline constexpr char kInsertSyncLog[] =
    "INSERT INTO sync_log(seq, tenant_id, entry_id, entity_type, entity_id, operation,"
    " result, finished_at_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $8)";
inline constexpr char kPutCheckpoint[] =
    "INSERT INTO checkpoints(tenant_id, last_seq, last_entry_id, last_applied_at_ms)"
    " VALUES($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET"
    " last_seq = EXCLUDED.last_seq, last_entry_id = EXCLUDED.last_entry_id,"
    " last_applied_at_ms = EXCLUDED.last_applied_at_ms";
inline constexpr char kGetCheckpoint[] =
    "SELECT last_seq, last_entry_id, last_applied_at_ms FROM checkpoints"
    " WHERE tenant_id = $1";

// ---- Counters and metric snapshots ----------------------------------------

// Rows are updated in the caller's (sorted) order: no lock cycles. $4: the
// instance's slot.
inline constexpr int kCounterSlots = 16;
inline constexpr char kAddCounter[] =
    "INSERT INTO counters(tenant_id, name, value, slot) VALUES($1, $2, $3, $4)"
    " ON CONFLICT (tenant_id, name, slot) DO UPDATE SET value = counters.value + EXCLUDED.value";
inline constexpr char kLoadCounters[] =
    "SELECT tenant_id, name, sum(value)::bigint FROM counters GROUP BY tenant_id, name";
inline constexpr char kInsertMetricSnapshot[] =
    "INSERT INTO metric_snapshots(taken_at_ms, body) VALUES($1, $2)";
inline constexpr char kDeleteMetricSnapshotsBefore[] =
    "DELETE FROM metric_snapshots WHERE taken_at_ms < $1";

// ---- Retention: at most $2 rows per statement, oldest first ---------------

inline constexpr char kDeleteFinishedEntries[] =
    "DELETE FROM sync_queue WHERE seq IN (SELECT seq FROM sync_queue"
    " WHERE finished_at_ms > 0 AND finished_at_ms < $1"
    " ORDER BY finished_at_ms LIMIT $2)";
inline constexpr char kDeleteSyncLogBefore[] =
    "DELETE FROM sync_log WHERE id IN (SELECT id FROM sync_log"
    " WHERE finished_at_ms < $1 ORDER BY finished_at_ms LIMIT $2)";
inline constexpr char kDeleteConflictsBefore[] =
    "DELETE FROM conflicts WHERE id IN (SELECT id FROM conflicts"
    " WHERE detected_at_ms < $1 ORDER BY id LIMIT $2)";

// ---- Operator console (console_store.cc) ----------------------------------
// As on SQLite: a FROM/WHERE from the fragments (filters appended as the
// request asks), kSelectCount for the total, a column list and a page.

inline constexpr char kSelectCount[] = "SELECT count(*)";
inline constexpr char kAndTenantIs[] = " AND tenant_id = :t";
inline constexpr char kAndEntityTypeIs[] = " AND entity_type = :ty";

inline constexpr char kDeadFrom[] = " FROM sync_queue WHERE state = 'dead'";
inline constexpr char kAndLastErrorLike[] = " AND last_error LIKE :e ESCAPE '\\'";
inline constexpr char kSelectDeadColumns[] =
    "SELECT seq, tenant_id, entry_id, entity_type, entity_id, operation,"
    " data, version_ms, client_ts_ms, attempts, last_error,"
    " received_at_ms, result_reason, result_detail, result_server_ts_ms";
inline constexpr char kDeadPage[] = " ORDER BY seq DESC LIMIT :n OFFSET :o";

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
// The operator's action goes to resolved_action; `resolution` keeps the
// conflict's kind (server_wins, client_wins_tie) as the pipeline recorded it.
inline constexpr char kResolveConflict[] =
    "UPDATE conflicts SET resolved_action = :r, resolved_by = :b,"
    " resolved_at_ms = :a, resolution_entry_id = :e"
    " WHERE id = :id AND resolved_at_ms = 0";
inline constexpr char kReopenConflict[] =
    "UPDATE conflicts SET resolved_action = '', resolved_by = '',"
    " resolved_at_ms = 0, resolution_entry_id = '' WHERE id = :id";

inline constexpr char kCountLiveEntitiesByTenantAndType[] =
    "SELECT tenant_id, entity_type, count(*) FROM entities"
    " WHERE deleted = 0 GROUP BY tenant_id, entity_type";
inline constexpr char kTenantsWithCounters[] =
    "SELECT DISTINCT tenant_id FROM counters WHERE tenant_id <> ''";
inline constexpr char kCountDeadByTenant[] =
    "SELECT tenant_id, count(*) FROM sync_queue"
    " WHERE state = 'dead' GROUP BY tenant_id";
inline constexpr char kCountOpenConflictsByTenant[] =
    "SELECT tenant_id, count(*) FROM conflicts"
    " WHERE resolved_at_ms = 0 GROUP BY tenant_id";
inline constexpr char kLastAppliedByTenant[] =
    "SELECT tenant_id, last_applied_at_ms FROM checkpoints";

inline constexpr char kEntitiesOfTenantFrom[] = " FROM entities WHERE tenant_id = :t";
// Case-insensitive like SQLite's LIKE; data is always JSON (canonical or a tombstone).
inline constexpr char kAndEntityMatches[] =
    " AND (entity_id ILIKE :q ESCAPE '\\' OR"
    " (CAST(data AS jsonb) ->> 'name') ILIKE :q ESCAPE '\\')";
inline constexpr char kSelectEntityColumns[] =
    "SELECT entity_type, entity_id, version_ms, deleted, data, checksum,"
    " modified_at_ms, source_entry_id";
inline constexpr char kEntityPage[] = " ORDER BY entity_type, entity_id LIMIT :n OFFSET :o";
inline constexpr char kConsoleGetEntity[] =
    "SELECT version_ms, deleted, data, checksum, modified_at_ms,"
    " source_entry_id FROM entities"
    " WHERE tenant_id = :t AND entity_type = :ty AND entity_id = :id";

// History: the (tenant_id, id) primary key serves an entity's newest rows.
inline constexpr char kSelectHistoryFrom[] =
    "SELECT seq, entry_id, entity_type, entity_id, operation, result,"
    " finished_at_ms, actor FROM sync_log";
inline constexpr char kEntityHistoryWhere[] =
    " WHERE tenant_id = :t AND entity_type = :ty AND entity_id = :id"
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

// ---- Tenant purge (write store, WriteStore::PurgeTenant) -------------------
// Every row of one tenant's sync data, in the pipeline's transaction. The
// entry_attempts rows go with their queue rows (entry_attempts_retention).

inline constexpr char kTenantCounters[] =
    "SELECT name, sum(value)::bigint FROM counters WHERE tenant_id = $1 GROUP BY name"
    " ORDER BY name";
inline constexpr const char* kPurgeTenant[] = {
    "DELETE FROM entities WHERE tenant_id = $1",
    "DELETE FROM sync_queue WHERE tenant_id = $1",
    "DELETE FROM conflicts WHERE tenant_id = $1",
    "DELETE FROM sync_log WHERE tenant_id = $1",
    "DELETE FROM checkpoints WHERE tenant_id = $1",
    // Its next write draws a new epoch: no cursor of before is answered
    // incrementally.
    "DELETE FROM tenant_changes WHERE tenant_id = $1",
    "DELETE FROM counters WHERE tenant_id = $1",
    nullptr,
};
inline constexpr char kDeleteTenantRow[] = "DELETE FROM tenants WHERE uuid = $1";

// ---- Accounts (account_store.cc, SOCI), as SQLite's ----------------------

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

inline constexpr char kInsertRefreshToken[] =
    "INSERT INTO refresh_tokens(token_hash, user_id, chain_id, state, expires_at_ms,"
    " created_at_ms) VALUES(:h, :u, :c, 'active', :x, :n)";
// FOR UPDATE: two instances rotating the same token serialise on its row, so
// only one of them sees it active.
inline constexpr char kFindRefreshToken[] =
    "SELECT user_id, chain_id, state, expires_at_ms FROM refresh_tokens WHERE token_hash = :h"
    " FOR UPDATE";
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
// Whether a tenant id has sync data (POST /tenants in token mode: data
// written before it had an owner is not for the first claimant). The id is
// bound once (k), as SOCI names each placeholder once.
inline constexpr char kTenantHasSyncData[] =
    "WITH k AS (SELECT CAST(:t AS text) AS t)"
    " SELECT (EXISTS(SELECT 1 FROM entities e, k WHERE e.tenant_id = k.t)"
    " OR EXISTS(SELECT 1 FROM sync_queue q, k WHERE q.tenant_id = k.t)"
    " OR EXISTS(SELECT 1 FROM sync_log l, k WHERE l.tenant_id = k.t))::integer";

// Cross-instance: a change of users or tenants is announced so the other
// instances refresh their in-memory directory (app.cc).
inline constexpr char kAccountsChannel[] = "syncd_accounts";
inline constexpr char kNotifyAccounts[] = "NOTIFY syncd_accounts";

}  // namespace syncd::db::postgres

#endif  // SYNCD_DB_POSTGRES_SQL_H_
