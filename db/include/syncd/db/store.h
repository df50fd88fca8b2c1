// The stores: the only place that speaks SQL. Plain structs in and out; no
// pipeline, WebSocket or HTTP type. Implementations: SQLite over SOCI
// (sqlite_store.h), PostgreSQL for several instances on one database
// (postgres_store.h) and a fault-injecting wrapper for tests
// (fault_injecting_store.h).
#ifndef SYNCD_DB_STORE_H_
#define SYNCD_DB_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syncd/common/entry_state.h"
#include "syncd/common/status.h"
#include "syncd/domain/entity.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/result.h"

namespace syncd::db {

// The store interfaces answer with the base library's Status.
using common::Status;

// Where an entry is in its life (service.md, durability rules): the queue's
// state column. The enum and its name table live in common/entry_state.h.
using common::EntryState;
using common::EntryStateName;
using common::ParseEntryState;

// One row of the queue table.
struct QueueRow {
  int64_t seq = 0;  // arrival order, unique
  domain::SyncEntry entry;
  EntryState state = EntryState::kPending;
  int attempts = 0;
  int64_t lease_until_ms = 0;      // in_flight only
  int64_t next_attempt_at_ms = 0;  // retry_wait only
  std::string last_error;
  int64_t received_at_ms = 0;
  int64_t finished_at_ms = 0;                 // 0 while unfinished
  std::optional<domain::EntryResult> result;  // done and dead entries
  // Set for an entry refused as it was read (InsertRefusedEntry): what could
  // be read of it, as sent; `entry` then holds only the ids.
  std::optional<domain::EntryError> refused;
};

// The stored state of one entity (a tombstone when deleted).
struct StoredEntity {
  std::string tenant_id;
  domain::EntityType type = domain::EntityType::kAccount;
  std::string entity_id;
  int64_t version_ms = 0;
  bool deleted = false;
  std::string data;            // canonical JSON; {"id":…} for a tombstone
  std::string checksum;        // md5 of data; empty for a tombstone
  int64_t modified_at_ms = 0;  // server time of the last applied change
  std::string source_entry_id;
};

// A tenant's change position (protocol.md: the `cursor` of incremental
// loads). `seq` counts the tenant's entity writes: each write takes the next
// value and the entity row keeps it, so "changed after seq S" is a range of
// an index. `epoch` is drawn at random at the tenant's first write and never
// changes, so a position of another tenant, or of a database that was
// replaced by a new one, is never taken for this tenant's. Both 0 before the
// tenant's first write.
struct ChangePosition {
  int64_t epoch = 0;
  int64_t seq = 0;
};

// One entity as a load streams it (ReadStore::ReadLoad). The views are valid
// only during the visitor's call.
struct LoadRow {
  domain::EntityType type = domain::EntityType::kAccount;
  std::string_view entity_id;
  std::string_view data;  // canonical JSON; {"id":…} for a tombstone
  bool deleted = false;
};
using LoadVisitor = std::function<void(const LoadRow&)>;

// Conflict resolutions the pipeline records (protocol.md, Conflict rule).
inline constexpr char kServerWins[] = "server_wins";         // superseded: stored state kept
inline constexpr char kClientWinsTie[] = "client_wins_tie";  // a tie won by a differing change

// A superseded change, or a tie won by the incoming change (protocol.md:
// both are recorded as conflicts).
struct ConflictRecord {
  std::string tenant_id;
  domain::EntityType type = domain::EntityType::kAccount;
  std::string entity_id;
  std::string entry_id;
  int64_t incoming_version_ms = 0;
  int64_t stored_version_ms = 0;
  std::string incoming_checksum;
  std::string stored_checksum;
  std::string resolution = kServerWins;
  int64_t detected_at_ms = 0;
};

// The audit record of one finished entry.
struct SyncLogRecord {
  int64_t seq = 0;
  std::string tenant_id;
  std::string entry_id;
  domain::EntityType type = domain::EntityType::kAccount;
  std::string entity_id;
  domain::Operation operation = domain::Operation::kCreate;
  std::string result;  // "applied" | "superseded" | "manual" | reason name
  int64_t finished_at_ms = 0;
};

// Per tenant: the last applied change.
struct Checkpoint {
  std::string tenant_id;
  int64_t last_seq = 0;
  std::string last_entry_id;
  int64_t last_applied_at_ms = 0;
};

// An entry another writer finished (several instances: announced with
// NOTIFY, read back by the others): its queue row with the stored result,
// and its entity as stored when it was read, if there is one.
struct FinishedEntry {
  QueueRow row;
  std::optional<StoredEntity> entity;
};

// One instance on a database that several share (the instances table).
struct InstanceRow {
  std::string id;
  int64_t connections = 0;        // open WebSocket connections, as of its last heartbeat
  int64_t last_heartbeat_ms = 0;  // epoch ms (the database server's clock)
  int64_t in_flight = 0;          // queue rows it holds in_flight
};

// Counters, keyed by (scope, name); scope "" is global, otherwise a tenant id.
// Names are the ones in counters.h. Updated in the same transaction as the
// work they count, so they are exact.
using CounterKey = std::pair<std::string, std::string>;
using CounterMap = std::map<CounterKey, int64_t>;

// One entity an apply transaction is about to read and write (views into
// the caller's entries, valid for the call).
struct EntityRef {
  std::string_view tenant_id;
  domain::EntityType type = domain::EntityType::kAccount;
  std::string_view entity_id;
};

// What a tenant delete or reset removed (WriteStore::PurgeTenant).
struct TenantPurge {
  int64_t entities = 0;
  int64_t queue_entries = 0;
  int64_t conflicts = 0;
  int64_t sync_log = 0;
  // The counter changes the purge wrote (the tenant's counters gone, its
  // depth out of the global depth), for the pipeline's statistics.
  CounterMap counter_deltas;
};

// Kinds of write transaction, so that a wrapper can fail just one kind.
enum class TxnKind { kIngest, kApply, kMaintenance };

// Write side. Owned by the pipeline thread; one thread at a time. Every
// write happens between Begin() and Commit()/Rollback().
class WriteStore {
 public:
  virtual ~WriteStore() = default;

  virtual Status Begin(TxnKind kind) = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  // One savepoint per entry, so one bad entry never fails its neighbours.
  virtual Status Savepoint() = 0;
  virtual Status ReleaseSavepoint() = 0;
  virtual Status RollbackToSavepoint() = 0;

  // Called right after Begin(kApply) with every entity of the batch. An
  // engine with several writers (PostgreSQL, several instances) locks them
  // here, in a fixed order, until the transaction ends, so two writers never
  // decide last-write-wins on one entity at once and never deadlock on each
  // other. SQLite has one writer and needs nothing.
  virtual Status LockEntities(const std::vector<EntityRef>& entities) {
    (void)entities;
    return Status::Ok();
  }

  // After the last entry of an apply pass without savepoints: an engine that
  // sends writes ahead without waiting for their answers (PostgreSQL's
  // pipeline) reports here the first error among them, so that the pass is
  // rolled back and run again with a savepoint per entry, as when an entry's
  // own call fails. Inside a savepoint every call answers for itself.
  virtual Status EndEntries() { return Status::Ok(); }

  // Queue. InsertEntry ignores an existing (tenant, entry id): *inserted says
  // whether a row was written, *seq is the new row's seq.
  virtual Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms,
                             EntryState state, int64_t lease_until_ms, int64_t* seq,
                             bool* inserted) = 0;
  // Remembers an entry refused as it was read (`refused.id` set): a finished
  // row holding `result` (its permanent NACK), so that a resend of the id is
  // answered with it. Ignores an existing (tenant, entry id) like InsertEntry.
  virtual Status InsertRefusedEntry(std::string_view tenant_id, const domain::EntryError& refused,
                                    const domain::EntryResult& result, int64_t received_at_ms,
                                    bool* inserted) = 0;
  virtual Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                           std::optional<QueueRow>* row) = 0;
  virtual Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) = 0;
  virtual Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                               std::string_view last_error) = 0;
  // state is kDone (result stored, finished_at set) or kDead (result stored).
  virtual Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                             int64_t finished_at_ms, std::string_view last_error) = 0;
  // Moves a dead entry back to pending (operator retry), attempts reset.
  virtual Status RequeueEntry(int64_t seq) = 0;
  // All pending, in_flight and retry_wait rows in seq order (recovery).
  virtual Status LoadUnfinished(std::vector<QueueRow>* rows) = 0;
  // Several writers (PostgreSQL): the unfinished rows of other writers that
  // stopped (no heartbeat within the instance timeout), claimed for this
  // one, in seq order; called now and then while running. An engine with
  // one writer has none. Outside a transaction.
  virtual Status ClaimOrphaned(std::vector<QueueRow>* rows) {
    (void)rows;
    return Status::Ok();
  }
  // Several writers: true once this writer was cut off from the database
  // long enough for the others to presume it dead and take its rows over.
  // Its transactions are refused until the caller has dropped every row it
  // holds and claimed its own again with LoadUnfinished. Never on SQLite.
  virtual bool ClaimsLost() { return false; }

  // Entities, conflicts, audit, checkpoints.
  virtual Status GetEntity(std::string_view tenant_id, domain::EntityType type,
                           std::string_view entity_id, std::optional<StoredEntity>* entity) = 0;
  virtual Status PutEntity(const StoredEntity& entity) = 0;
  virtual Status InsertConflict(const ConflictRecord& conflict) = 0;
  virtual Status InsertSyncLog(const SyncLogRecord& record) = 0;
  virtual Status PutCheckpoint(const Checkpoint& checkpoint) = 0;

  // Counters: adds each delta (creating missing rows).
  virtual Status AddCounters(const CounterMap& deltas) = 0;
  virtual Status LoadCounters(CounterMap* counters) = 0;

  // Retention: deletes at most `limit` done entries (and sync log rows)
  // finished before cutoff; *deleted says how many queue rows went.
  virtual Status DeleteFinishedBefore(int64_t cutoff_ms, int limit, int* deleted) = 0;
  virtual Status InsertMetricSnapshot(int64_t taken_at_ms, std::string_view body,
                                      int64_t delete_before_ms) = 0;

  // Inside the caller's transaction: every row of the tenant's sync data
  // (entities, queue with its attempts, conflicts, sync log, checkpoint,
  // change position, counters; the tenant's depth leaves the global depth)
  // and, when
  // `remove_tenant`, the tenant's row in the accounts table (if that table
  // exists in this database). Unfinished rows go too: the pipeline calls
  // this after taking the tenant's entries out of memory.
  virtual Status PurgeTenant(std::string_view tenant_id, bool remove_tenant,
                             TenantPurge* purged) = 0;
};

// Read side, for WebSocket reads and REST. Each instance has its own
// connection; thread-safe (calls are serialised inside).
class ReadStore {
 public:
  virtual ~ReadStore() = default;
  // Live entities of the given types (all types when empty), or tombstones
  // too when include_deleted; ordered by type then entity id.
  virtual Status ListEntities(std::string_view tenant_id,
                              const std::vector<domain::EntityType>& types, bool include_deleted,
                              std::vector<StoredEntity>* out) = 0;
  virtual Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                           std::optional<QueueRow>* row) = 0;
  // Newest first.
  virtual Status ListConflicts(std::string_view tenant_id, int limit,
                               std::vector<ConflictRecord>* out) = 0;
  virtual Status GetCheckpoint(std::string_view tenant_id, std::optional<Checkpoint>* out) = 0;
  // The tenant's change position now (one indexed row; cheap).
  virtual Status GetChangePosition(std::string_view tenant_id, ChangePosition* out) = 0;
  // One consistent snapshot for an initial_data_load: *at is the tenant's
  // position in it; then `visit` sees, grouped by type in
  // domain::AllEntityTypes() order, every live entity when since_seq is
  // kFullLoad, or else every entity written after since_seq (0: every write
  // numbered since cursors exist), tombstones included. Rows are streamed,
  // never collected: a load holds one row at a time.
  static constexpr int64_t kFullLoad = -1;
  virtual Status ReadLoad(std::string_view tenant_id, int64_t since_seq, ChangePosition* at,
                          const LoadVisitor& visit) = 0;
  // Seq and received time of the oldest unfinished entry (pending, in_flight
  // or retry_wait) of a tenant, or of all tenants when tenant_id is empty.
  virtual Status OldestUnfinished(std::string_view tenant_id,
                                  std::optional<int64_t>* received_at_ms) = 0;
  virtual Status LoadCounters(CounterMap* counters) = 0;
  // Whether the database answers (for /health).
  virtual Status Ping() = 0;
  // Several instances: the live ones, and dead ones that still hold
  // unfinished rows, by id. None on an engine with one writer (SQLite).
  virtual Status ListInstances(std::vector<InstanceRow>* out) {
    (void)out;
    return Status::Ok();
  }
};

}  // namespace syncd::db

#endif  // SYNCD_DB_STORE_H_
