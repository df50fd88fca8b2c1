// The operator console's store (console.md): the reads the console pages
// need across tenants (dead letters, conflicts with both states, tenants,
// entity history, metric snapshots) and the two operator writes that touch
// neither the queue, the entities nor the counters: marking a conflict
// resolved and the sync-log row that names the operator of an action.
//
// Queue and entity changes never go through here: an operator retry/ack/nack
// is Pipeline::Operate, "take incoming" is a new entry through
// Pipeline::Submit. Its own connection; thread-safe (calls serialised inside).
// The writes are short transactions that wait (busy timeout) for the
// pipeline's write lock like any other SQLite writer.
#ifndef SYNCD_DB_CONSOLE_STORE_H_
#define SYNCD_DB_CONSOLE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "syncd/common/status.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/db/store.h"

namespace syncd::db {

using common::Status;

struct DeadLetterFilter {
  std::string tenant_id;    // "" = every tenant
  std::string entity_type;  // canonical name; "" = every type
  std::string error;        // substring of last_error; "" = any
  int limit = 50;
  int offset = 0;
};

// A conflict with the states on both sides, as captured when it was detected
// (schema.cc: the conflicts_capture trigger), and its resolution.
struct ConsoleConflict {
  int64_t id = 0;
  ConflictRecord record;
  std::string incoming_operation;  // "" when detected before the capture existed
  std::string incoming_data;       // canonical JSON of the superseded change
  std::string stored_data;         // the stored entity when it was detected
  int64_t resolved_at_ms = 0;      // 0 while open
  std::string resolved_by;
  // The operator's action: take_incoming, keep_stored or restore_replaced
  // ("" while open). record.resolution keeps the conflict's kind.
  std::string resolved_action;
  std::string resolution_entry_id;  // take_incoming / restore_replaced: the new entry's id
};

struct ConflictFilter {
  std::string tenant_id;  // "" = every tenant
  std::string status;     // "open" | "resolved" | "" (all)
  int limit = 50;
  int offset = 0;
};

struct TenantSummaryRow {
  std::string tenant_id;
  std::vector<std::pair<std::string, int64_t>> entities_by_type;  // live entities
  int64_t dead = 0;
  int64_t open_conflicts = 0;
  int64_t last_applied_at_ms = 0;
};

// A sync-log row with the operator who caused it ("" for client entries).
struct HistoryRow {
  SyncLogRecord record;
  std::string actor;
};

// One failed attempt of an entry (schema.cc: entry_attempts).
struct AttemptRow {
  int attempt = 0;
  std::string state;  // "retry_wait" (will be retried) | "dead"
  std::string error;
  int64_t at_ms = 0;
  int64_t next_attempt_at_ms = 0;
};

struct MetricSnapshotRow {
  int64_t taken_at_ms = 0;
  std::string body;  // JSON, as the pipeline wrote it
};

class ConsoleStore {
 public:
  virtual ~ConsoleStore() = default;

  // Dead entries, newest first; *total counts every match.
  virtual Status ListDead(const DeadLetterFilter& filter, std::vector<QueueRow>* out,
                          int64_t* total) = 0;
  // Newest first; *total counts every match.
  virtual Status ListConflicts(const ConflictFilter& filter, std::vector<ConsoleConflict>* out,
                               int64_t* total) = 0;
  virtual Status GetConflict(int64_t id, std::optional<ConsoleConflict>* out) = 0;
  // Marks an open conflict resolved by `action` (resolved_action; the
  // conflict's kind in `resolution` stays). *changed is false when it was
  // already resolved (or does not exist): nothing is written then.
  virtual Status ResolveConflict(int64_t id, const std::string& action,
                                 const std::string& resolved_by, int64_t at_ms,
                                 const std::string& entry_id, bool* changed) = 0;
  // Undoes ResolveConflict when the change it promised could not be queued:
  // open again, with its kind (`resolution`) unchanged.
  virtual Status ReopenConflict(int64_t id) = 0;
  // Every tenant that has entities, queue rows or counters, by id.
  virtual Status ListTenants(std::vector<TenantSummaryRow>* out) = 0;
  // A tenant's entities (tombstones too), by type then id; `query` matches
  // the entity id or the data's "name" (substring, case-insensitive).
  virtual Status SearchEntities(const std::string& tenant_id, const std::string& entity_type,
                                const std::string& query, int limit, int offset,
                                std::vector<StoredEntity>* out, int64_t* total) = 0;
  virtual Status GetEntity(const std::string& tenant_id, const std::string& entity_type,
                           const std::string& entity_id, std::optional<StoredEntity>* out) = 0;
  // Sync-log rows of one entity, or of one entry (entity_type empty and
  // entity_id = the entry id), newest first.
  virtual Status EntityHistory(const std::string& tenant_id, const std::string& entity_type,
                               const std::string& entity_id, int limit,
                               std::vector<HistoryRow>* out) = 0;
  virtual Status EntryHistory(const std::string& tenant_id, const std::string& entry_id,
                              std::vector<HistoryRow>* out) = 0;
  // An entry's failed attempts, oldest first.
  virtual Status EntryAttempts(const std::string& tenant_id, const std::string& entry_id,
                               std::vector<AttemptRow>* out) = 0;
  // Writes the audit row of an operator action (result e.g. "operator_retry").
  virtual Status AppendOperatorLog(const SyncLogRecord& record, const std::string& actor) = 0;
  virtual Status MetricSnapshotsSince(int64_t since_ms, std::vector<MetricSnapshotRow>* out) = 0;
};

// Opens its own connection on the database and applies the additive schema
// migrations (schema.h, kSqliteMigrations) that the console's reads need.
std::unique_ptr<ConsoleStore> OpenSqliteConsoleStore(const SqliteOptions& options, Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_CONSOLE_STORE_H_
