#include "schema.h"

namespace syncd::db {

const char* const kSqliteSchema[] = {
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
    " source_entry_id TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (tenant_id, entity_type, entity_id)) WITHOUT ROWID",
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

const AddedColumn kSqliteAddedColumns[] = {
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
    // The operator behind a sync-log row ('' for a client's entry).
    {"sync_log", "actor", "TEXT NOT NULL DEFAULT ''"},
    {nullptr, nullptr, nullptr},
};

const char* const kSqliteConsoleSchema[] = {
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

}  // namespace syncd::db
