// The SQLite write side: WriteStore over one SOCI session whose per-entry
// statements run as native prepared statements (native_statement.h says why),
// plus the factory OpenSqliteWriteStore. Its SQL is in sql.h.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "soci_util.h"
#include "sqlite/checkpointer.h"
#include "sqlite/connection.h"
#include "sqlite/file_identity.h"
#include "sqlite/native_statement.h"
#include "sqlite/rescue_copy.h"
#include "sqlite/row_mapping.h"
#include "sqlite/sql.h"
#include "sqlite/writer_lock.h"
#include "syncd/db/sqlite_store.h"

namespace syncd::db {
namespace {

using domain::EntityType;

// The write side: one SOCI session (schema, recovery, maintenance) whose
// per-entry statements run as native prepared statements on the same
// connection (native_statement.h says why). Pipeline thread only.
class SqliteWriteStore final : public WriteStore {
 public:
  SqliteWriteStore() = default;
  SqliteWriteStore(const SqliteWriteStore&) = delete;
  SqliteWriteStore& operator=(const SqliteWriteStore&) = delete;

  Status Open(const SqliteOptions& options) {
    Status s = CreateParentFolder(options.path);
    if (!s.ok()) return s;
    s = lock_.Acquire(options.path);
    if (!s.ok()) return s;
    s = OpenSession(options, /*create_schema=*/true, &sql_);
    if (!s.ok()) return s;
    // The files this store writes, for CheckFiles() after each commit. The
    // WAL exists from the first read in OpenSession until the last
    // connection closes.
    bool exists = false;
    s = db_file_.Remember(options.path, &exists);
    if (s.ok() && !exists) s = Status::Permanent("database " + options.path + " not found");
    if (s.ok()) s = wal_file_.Remember(options.path + "-wal", &exists);
    if (!s.ok()) return s;
    // Checkpoints run on their own thread: the hook replaces SQLite's
    // automatic checkpoint in the committing (pipeline) thread.
    s = checkpointer_.Start(options.path, options.synchronous);
    if (!s.ok()) return s;
    sqlite_api::sqlite3_wal_hook(
        NativeHandle(sql_),
        [](void* arg, sqlite_api::sqlite3*, const char*, int pages) {
          static_cast<Checkpointer*>(arg)->Notify(pages);
          return SQLITE_OK;
        },
        &checkpointer_);
    return Prepare();
  }

  Status Begin(TxnKind) override {
    if (!lost_.ok()) return lost_;
    // Positions are read afresh in each transaction: what another
    // transaction did to tenant_changes (a tenant purge deletes the tenant's
    // row) is seen, and the tenant's next write then draws a new epoch.
    positions_.clear();
    dirty_tenants_.clear();
    return begin_->Run("begin");
  }
  // A commit is only reported ok once the files it went to are still the
  // database's: what was written to a deleted or replaced file must never be
  // acknowledged.
  Status Commit() override {
    if (!lost_.ok()) return lost_;
    Status s = StoreChangePositions();
    if (s.ok()) s = commit_->Run("commit");
    if (!s.ok()) return s;
    return CheckFiles();
  }
  // Positions handed out in a rolled-back transaction were never committed
  // (nor tenant_changes): the next transaction reads the stored ones again.
  Status Rollback() override {
    dirty_tenants_.clear();
    return rollback_->Run("rollback");
  }
  Status Savepoint() override { return savepoint_->Run("savepoint"); }
  Status ReleaseSavepoint() override { return release_->Run("release savepoint"); }
  Status RollbackToSavepoint() override {
    Status s = rollback_to_->Run("rollback to savepoint");
    if (!s.ok()) return s;
    return release_->Run("release savepoint");
  }

  Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms, EntryState state,
                     int64_t lease_until_ms, int64_t* seq, bool* inserted) override {
    NativeStatement& st = *insert_entry_;
    st.Text(1, entry.tenant_id)
        .Text(2, entry.id)
        .Text(3, domain::EntityTypeName(entry.entity_type))
        .Text(4, entry.entity_id)
        .Text(5, domain::OperationName(entry.operation))
        .Text(6, entry.data)
        .Int(7, entry.version_ms)
        .Int(8, entry.client_timestamp_ms)
        .Text(9, EntryStateName(state))
        .Int(10, lease_until_ms)
        .Int(11, received_at_ms)
        .Int(12, state == EntryState::kInFlight ? 1 : 0);  // inserted already claimed
    Status s = st.Run("insert entry");
    if (!s.ok()) return s;
    *inserted = st.Changes() > 0;
    if (*inserted) *seq = st.LastInsertRowid();
    return Status::Ok();
  }

  Status InsertRefusedEntry(std::string_view tenant_id, const domain::EntryError& refused,
                            const domain::EntryResult& result, int64_t received_at_ms,
                            bool* inserted) override {
    // Bound without a copy (SQLITE_STATIC): views of `refused`, or of "".
    auto text = [](const std::optional<std::string>& v) {
      return v ? std::string_view(*v) : std::string_view("");
    };
    NativeStatement& st = *insert_refused_;
    st.Text(1, tenant_id)
        .Text(2, text(refused.id))
        .Text(3, text(refused.entity_type))
        .Text(4, text(refused.entity_id))
        .Text(5, text(refused.operation_type))
        .Int(6, received_at_ms)
        .Int(7, result.server_timestamp_ms)
        .Text(8, domain::NackReasonName(result.reason))
        .Text(9, result.detail)
        .Int(10, result.server_timestamp_ms);
    Status s = st.Run("insert refused entry");
    if (!s.ok()) return s;
    *inserted = st.Changes() > 0;
    return Status::Ok();
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    return finder_->Find(tenant_id, entry_id, row);
  }

  Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) override {
    return claim_->Int(1, attempts).Int(2, lease_until_ms).Int(3, seq).Run("claim entry");
  }

  Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                       std::string_view last_error) override {
    return retry_->Int(1, attempts)
        .Int(2, next_attempt_at_ms)
        .Text(3, last_error)
        .Int(4, seq)
        .Run("schedule retry");
  }

  Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                     int64_t finished_at_ms, std::string_view last_error) override {
    return finish_->Text(1, EntryStateName(state))
        .Int(2, result.acked ? 1 : 2)
        .Text(3, result.acked && result.outcome ? domain::OutcomeName(*result.outcome)
                                                : std::string_view())
        .Text(4, result.acked ? std::string_view() : domain::NackReasonName(result.reason))
        .Text(5, result.detail)
        .Int(6, result.retry_after_ms)
        .Text(7, result.checksum)
        .Int(8, result.server_timestamp_ms)
        .Int(9, state == EntryState::kDone ? finished_at_ms : 0)
        .Text(10, last_error)
        .Int(11, seq)
        .Run("finish entry");
  }

  Status RequeueEntry(int64_t seq) override { return requeue_->Int(1, seq).Run("requeue entry"); }

  Status LoadUnfinished(std::vector<QueueRow>* rows) override {
    try {
      QueueRowColumns columns;
      soci::details::prepare_temp_type p = (sql_.prepare << sqlite::kLoadUnfinished);
      columns.Bind(p);
      soci::statement st(p);
      st.execute();
      while (st.fetch()) rows->push_back(columns.Row());
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "load unfinished");
    }
    return Status::Ok();
  }

  Status GetEntity(std::string_view tenant_id, EntityType type, std::string_view entity_id,
                   std::optional<StoredEntity>* entity) override {
    NativeStatement& st = *get_entity_;
    st.Text(1, tenant_id).Text(2, domain::EntityTypeName(type)).Text(3, entity_id);
    bool found = false;
    Status s = st.Step("get entity", &found);
    if (!s.ok()) return s;
    entity->reset();
    if (found) {
      StoredEntity& out = entity->emplace();
      out.tenant_id.assign(tenant_id);
      out.type = type;
      out.entity_id.assign(entity_id);
      out.version_ms = st.ColumnInt(0);
      out.deleted = st.ColumnInt(1) != 0;
      out.data.assign(st.ColumnText(2));
      out.checksum.assign(st.ColumnText(3));
      out.modified_at_ms = st.ColumnInt(4);
      out.source_entry_id.assign(st.ColumnText(5));
    }
    st.Reset();
    return Status::Ok();
  }

  // Each write takes the tenant's next change_seq (sql.h kSetChange).
  Status PutEntity(const StoredEntity& entity) override {
    ChangePosition* position = nullptr;
    Status s = TenantPosition(entity.tenant_id, &position);
    if (!s.ok()) return s;
    ++position->seq;
    dirty_tenants_.insert(entity.tenant_id);
    return put_entity_->Text(1, entity.tenant_id)
        .Text(2, domain::EntityTypeName(entity.type))
        .Text(3, entity.entity_id)
        .Int(4, entity.version_ms)
        .Int(5, entity.deleted ? 1 : 0)
        .Text(6, entity.data)
        .Text(7, entity.checksum)
        .Int(8, entity.modified_at_ms)
        .Text(9, entity.source_entry_id)
        .Int(10, position->seq)
        .Run("put entity");
  }

  Status InsertConflict(const ConflictRecord& c) override {
    return insert_conflict_->Text(1, c.tenant_id)
        .Text(2, domain::EntityTypeName(c.type))
        .Text(3, c.entity_id)
        .Text(4, c.entry_id)
        .Int(5, c.incoming_version_ms)
        .Int(6, c.stored_version_ms)
        .Text(7, c.incoming_checksum)
        .Text(8, c.stored_checksum)
        .Text(9, c.resolution)
        .Int(10, c.detected_at_ms)
        .Run("insert conflict");
  }

  Status InsertSyncLog(const SyncLogRecord& r) override {
    return insert_log_->Int(1, r.seq)
        .Text(2, r.tenant_id)
        .Text(3, r.entry_id)
        .Text(4, domain::EntityTypeName(r.type))
        .Text(5, r.entity_id)
        .Text(6, domain::OperationName(r.operation))
        .Text(7, r.result)
        .Int(8, r.finished_at_ms)
        .Run("insert sync log");
  }

  Status PutCheckpoint(const Checkpoint& c) override {
    return put_checkpoint_->Text(1, c.tenant_id)
        .Int(2, c.last_seq)
        .Text(3, c.last_entry_id)
        .Int(4, c.last_applied_at_ms)
        .Run("put checkpoint");
  }

  Status AddCounters(const CounterMap& deltas) override {
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      Status s =
          add_counter_->Text(1, key.first).Text(2, key.second).Int(3, delta).Run("add counter");
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status LoadCounters(CounterMap* counters) override { return LoadCountersFrom(sql_, counters); }

  Status DeleteFinishedBefore(int64_t cutoff_ms, int limit, int* deleted) override {
    try {
      long long cutoff = cutoff_ms;
      soci::statement del =
          (sql_.prepare << sqlite::kDeleteFinishedEntries, soci::use(cutoff), soci::use(limit));
      del.execute(true);
      *deleted = static_cast<int>(del.get_affected_rows());
      sql_ << sqlite::kDeleteSyncLogBefore, soci::use(cutoff), soci::use(limit);
      sql_ << sqlite::kDeleteConflictsBefore, soci::use(cutoff), soci::use(limit);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "delete finished");
    }
    return Status::Ok();
  }

  Status PurgeTenant(std::string_view tenant_id, bool remove_tenant, TenantPurge* purged) override {
    try {
      std::string tenant(tenant_id);
      {
        std::string name;
        long long value = 0;
        soci::statement st = (sql_.prepare << sqlite::kTenantCounters, soci::use(tenant, "t"),
                              soci::into(name), soci::into(value));
        st.execute();
        while (st.fetch()) {
          purged->counter_deltas[{tenant, name}] -= value;
          if (name.rfind("depth.", 0) == 0) purged->counter_deltas[{"", name}] -= value;
        }
      }
      auto remove = [&](const char* sql) -> int64_t {
        soci::statement st = (sql_.prepare << sql, soci::use(tenant, "t"));
        st.execute(true);
        return st.get_affected_rows();
      };
      purged->entities = remove(sqlite::kDeleteTenantEntities);
      purged->queue_entries = remove(sqlite::kDeleteTenantQueue);
      purged->conflicts = remove(sqlite::kDeleteTenantConflicts);
      purged->sync_log = remove(sqlite::kDeleteTenantSyncLog);
      remove(sqlite::kDeleteTenantCheckpoint);
      remove(sqlite::kDeleteTenantChanges);
      // Its position goes with its row: a later write (in this transaction
      // too) draws a new epoch, and nothing stale is written back at commit.
      positions_.erase(tenant);
      dirty_tenants_.erase(tenant);
      remove(sqlite::kSubtractTenantDepth);
      remove(sqlite::kDeleteTenantCounters);
      if (remove_tenant) {
        int tables = 0;
        sql_ << sqlite::kTenantsTableExists, soci::into(tables);
        if (tables > 0) remove(sqlite::kDeleteTenant);
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "purge tenant");
    }
    return Status::Ok();
  }

  Status InsertMetricSnapshot(int64_t taken_at_ms, std::string_view body,
                              int64_t delete_before_ms) override {
    try {
      long long taken = taken_at_ms, before = delete_before_ms;
      std::string text(body);
      sql_ << sqlite::kInsertMetricSnapshot, soci::use(taken), soci::use(text);
      sql_ << sqlite::kDeleteMetricSnapshotsBefore, soci::use(before);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "metric snapshot");
    }
    return Status::Ok();
  }

 private:
  using Stmt = std::unique_ptr<NativeStatement>;

  // After a commit: do the paths still name the files this connection
  // writes? If not, the store is lost for this process: every later Begin
  // and Commit returns the same Unavailable status (reopening an empty
  // database at the path would acknowledge entries into a database that lost
  // its history). Before giving up, a copy of the open database (everything
  // committed, which includes everything acknowledged) is written back to
  // the path if nothing is there, for the restart.
  Status CheckFiles() {
    Status s = db_file_.Check();
    if (s.ok()) s = wal_file_.Check();
    if (s.ok()) return s;
    std::string copy = WriteRescueCopy(sql_, db_file_.path());
    std::string message = s.message() + "; nothing more is written or acknowledged until syncd ";
    if (copy == db_file_.path()) {
      message += "restarts (the open database was copied back to " + copy + ")";
    } else if (!copy.empty()) {
      message += "restarts (the open database was copied to " + copy + "; move it to " +
                 db_file_.path() + " before the restart)";
    } else {
      message += "restarts (no copy of the open database could be written)";
    }
    std::fprintf(stderr, "syncd: database lost: %s\n", message.c_str());
    lost_ = Status::Unavailable(message);
    return lost_;
  }

  Status Prepare() {
    struct {
      Stmt* target;
      const char* sql;
    } const statements[] = {
        {&begin_, sqlite::kBegin},
        {&commit_, sqlite::kCommit},
        {&rollback_, sqlite::kRollback},
        {&savepoint_, sqlite::kSavepoint},
        {&release_, sqlite::kReleaseSavepoint},
        {&rollback_to_, sqlite::kRollbackToSavepoint},
        {&insert_entry_, sqlite::kInsertEntry},
        {&insert_refused_, sqlite::kInsertRefusedEntry},
        {&claim_, sqlite::kClaimEntry},
        {&retry_, sqlite::kScheduleRetry},
        {&requeue_, sqlite::kRequeueEntry},
        {&finish_, sqlite::kFinishEntry},
        {&get_entity_, sqlite::kGetEntity},
        {&get_change_, sqlite::kGetChangePosition},
        {&set_change_, sqlite::kSetChange},
        {&put_entity_, sqlite::kPutEntity},
        {&insert_conflict_, sqlite::kInsertConflict},
        {&insert_log_, sqlite::kInsertSyncLog},
        {&put_checkpoint_, sqlite::kPutCheckpoint},
        {&add_counter_, sqlite::kAddCounter},
    };
    for (const auto& [target, sql] : statements) {
      *target = std::make_unique<NativeStatement>(sql_, sql);
      if (!(*target)->ok()) return (*target)->status();
    }
    try {
      finder_ = std::make_unique<EntryFinder>(sql_);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "prepare statements");
    }
    return Status::Ok();
  }

  // The tenant's position as this transaction has handed it out: read from
  // tenant_changes at the tenant's first write in the transaction (one
  // indexed row per tenant and transaction, under the transaction's write
  // lock), then counted here. A tenant without a row gets a random epoch
  // (53 bits: exact in a JavaScript number).
  Status TenantPosition(const std::string& tenant, ChangePosition** out) {
    auto it = positions_.find(tenant);
    if (it == positions_.end()) {
      NativeStatement& st = *get_change_;
      st.Text(1, tenant);
      bool found = false;
      Status s = st.Step("change position", &found);
      if (!s.ok()) return s;
      ChangePosition position;
      if (found) {
        position.seq = st.ColumnInt(0);
        position.epoch = st.ColumnInt(1);
      } else {
        position.epoch = static_cast<int64_t>(random_() & ((uint64_t{1} << 53) - 1)) + 1;
      }
      st.Reset();
      it = positions_.emplace(tenant, position).first;
    }
    *out = &it->second;
    return Status::Ok();
  }

  // The last position of each tenant written in this transaction, stored
  // before COMMIT (sql.h kSetChange).
  Status StoreChangePositions() {
    for (const std::string& tenant : dirty_tenants_) {
      const ChangePosition& position = positions_.at(tenant);
      Status s = set_change_->Text(1, tenant)
                     .Int(2, position.seq)
                     .Int(3, position.epoch)
                     .Run("store change position");
      if (!s.ok()) return s;
    }
    dirty_tenants_.clear();
    return Status::Ok();
  }

  WriterLock lock_;
  FileIdentity db_file_, wal_file_;
  Status lost_;                // Unavailable once the database files were found deleted or replaced
  Checkpointer checkpointer_;  // destroyed after the session (members in reverse)
  soci::session sql_;
  std::unique_ptr<EntryFinder> finder_;
  std::unordered_map<std::string, ChangePosition> positions_;
  std::set<std::string> dirty_tenants_;  // written in the open transaction
  std::mt19937_64 random_{std::random_device{}()};
  Stmt begin_, commit_, rollback_, savepoint_, release_, rollback_to_, insert_entry_,
      insert_refused_, claim_, retry_, requeue_, finish_, get_entity_, get_change_, set_change_,
      put_entity_, insert_conflict_, insert_log_, put_checkpoint_, add_counter_;
};

}  // namespace

std::unique_ptr<WriteStore> OpenSqliteWriteStore(const SqliteOptions& options, Status* status) {
  ConfigureSqliteOnce();
  auto store = std::make_unique<SqliteWriteStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
