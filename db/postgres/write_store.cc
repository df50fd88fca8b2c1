// The PostgreSQL write side: WriteStore over one libpq connection with every
// per-entry statement prepared once (pg_connection.h says why), the schema
// set up at open, the heartbeat, plus the factory OpenPostgresWriteStore.
// Its SQL is in postgres/sql.h.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "postgres/pg_connection.h"
#include "postgres/rows.h"
#include "postgres/schema.h"
#include "postgres/sql.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {
namespace {

using domain::EntityType;

// The advisory-lock key of one entity: FNV-1a over tenant, type and id.
// Two entities may share a key (then they wait on each other, harmless).
int64_t EntityLockKey(const EntityRef& e) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view part) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator: ("ab","c") and ("a","bc") differ
    h *= 1099511628211ULL;
  };
  mix(e.tenant_id);
  mix(domain::EntityTypeName(e.type));
  mix(e.entity_id);
  return static_cast<int64_t>(h);
}

// The advisory-lock key of one tenant's change position (sql.h, kPutEntity):
// FNV-1a like the entities', over a marker no entity key starts with.
int64_t TenantLockKey(std::string_view tenant) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : std::string_view("\x01tenant_changes\x01")) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  for (unsigned char c : tenant) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

// The write side: one connection, pipeline thread only. A transaction that
// finds the connection broken reconnects first (Begin); a statement that
// fails on a lost connection is transient, so the pipeline retries it.
class PostgresWriteStore final : public WriteStore {
 public:
  PostgresWriteStore() = default;
  PostgresWriteStore(const PostgresWriteStore&) = delete;
  PostgresWriteStore& operator=(const PostgresWriteStore&) = delete;
  ~PostgresWriteStore() override { heartbeat_.Stop(); }

  Status Open(const PostgresOptions& options, int64_t heartbeat_ms) {
    options_ = options;
    counter_slot_ = static_cast<int>(
        static_cast<uint64_t>(EntityLockKey({options.instance_id, EntityType::kAccount, ""})) %
        postgres::kCounterSlots);
    std::string what = RedactedUrl(options.url);
    Status s = conn_.Open(options.url, options.connect_timeout_s, what);
    if (s.ok()) s = EnsureSchema(&conn_);
    if (s.ok())
      s = heartbeat_.Start(options.url, what, options.instance_id, heartbeat_ms,
                           options.connections);
    if (s.ok()) s = Prepare();
    if (s.ok()) s = conn_.EnterPipelineMode();
    return s;
  }

  Status Begin(TxnKind) override {
    finished_.clear();
    cache_.clear();
    // Silent longer than the instance timeout: the others may have taken
    // this instance's rows; nothing is written until it reloaded its claims.
    if (ClaimsLost()) {
      return Status::Transient("claims lost while cut off from the database; reloading");
    }
    if (conn_.broken()) {
      Status s = conn_.Reconnect();
      if (!s.ok()) return s;
    }
    savepoint_ = false;
    return conn_.DeferExec(postgres::kBegin, "begin");
  }
  // PostgreSQL reports the commit only once it is durable as the server's
  // synchronous_commit says (scale.md 6). The entries the transaction
  // finished are announced in it (delivered to the listeners at commit).
  Status Commit() override {
    // The answers of what was sent ahead first: they say which entries
    // this transaction finished (and any error).
    Status s = conn_.Flush();
    if (s.ok()) s = Announce();
    if (s.ok()) s = conn_.DeferExec(postgres::kCommit, "commit");
    if (s.ok()) s = conn_.Flush();
    finished_.clear();
    cache_.clear();
    return s;
  }
  Status Rollback() override {
    finished_.clear();
    cache_.clear();
    if (conn_.broken()) return Status::Ok();  // the server rolled it back
    // What was sent ahead first: a ROLLBACK in the same pipeline segment as
    // a failed write would be skipped, leaving the transaction open.
    conn_.Flush();
    savepoint_ = false;
    return conn_.Exec(postgres::kRollback, "rollback");
  }
  // Inside a savepoint every write waits for its answer, so that an error
  // belongs to the entry that caused it.
  Status Savepoint() override {
    savepoint_ = true;
    return conn_.Exec(postgres::kSavepoint, "savepoint");
  }
  Status ReleaseSavepoint() override {
    savepoint_ = false;
    return conn_.Exec(postgres::kReleaseSavepoint, "release savepoint");
  }
  Status RollbackToSavepoint() override {
    savepoint_ = false;
    cache_.clear();  // it may hold what the savepoint undid
    Status s = conn_.Exec(postgres::kRollbackToSavepoint, "rollback to savepoint");
    if (!s.ok()) return s;
    return conn_.Exec(postgres::kReleaseSavepoint, "release savepoint");
  }

  // Locks the batch's entities (sql.h, kLockEntities) and reads them all in
  // one statement into the transaction's cache (GetEntity answers from it).
  Status EndEntries() override { return conn_.Flush(); }

  Status LockEntities(const std::vector<EntityRef>& entities) override {
    std::vector<int64_t> keys;
    keys.reserve(entities.size());
    for (const EntityRef& e : entities) {
      keys.push_back(EntityLockKey(e));
      // The tenant's change position too: its tenant_changes row is then
      // only locked by transactions that already hold this key, taken in
      // the same sorted order as the entities' (no lock cycles).
      keys.push_back(TenantLockKey(e.tenant_id));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::string array = "{";
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) array += ',';
      array += std::to_string(keys[i]);
    }
    array += '}';
    PgParams p;
    p.Text(array);
    Status s = conn_.Run("lock_entities", p, "lock entities");
    if (!s.ok()) return s;
    return Prefetch(entities);
  }

  Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms, EntryState state,
                     int64_t lease_until_ms, int64_t* seq, bool* inserted) override {
    PgParams p;
    p.Text(entry.tenant_id)
        .Text(entry.id)
        .Text(domain::EntityTypeName(entry.entity_type))
        .Text(entry.entity_id)
        .Text(domain::OperationName(entry.operation))
        .Text(entry.data)
        .Int(entry.version_ms)
        .Int(entry.client_timestamp_ms)
        .Text(EntryStateName(state))
        .Int(lease_until_ms)
        .Int(received_at_ms)
        .Int(state == EntryState::kInFlight ? 1 : 0)  // inserted already claimed
        .Text(options_.instance_id);
    PgResult r;
    Status s = conn_.Run("insert_entry", p, "insert entry", &r);
    if (!s.ok()) return s;
    *inserted = r.rows() > 0;
    if (*inserted) *seq = r.Int(0, 0);
    return Status::Ok();
  }

  Status InsertRefusedEntry(std::string_view tenant_id, const domain::EntryError& refused,
                            const domain::EntryResult& result, int64_t received_at_ms,
                            bool* inserted) override {
    auto text = [](const std::optional<std::string>& v) {
      return v ? std::string_view(*v) : std::string_view("");
    };
    PgParams p;
    p.Text(tenant_id)
        .Text(text(refused.id))
        .Text(text(refused.entity_type))
        .Text(text(refused.entity_id))
        .Text(text(refused.operation_type))
        .Int(received_at_ms)
        .Int(result.server_timestamp_ms)
        .Text(domain::NackReasonName(result.reason))
        .Text(result.detail)
        .Int(result.server_timestamp_ms)
        .Text(options_.instance_id);
    PgResult r;
    Status s = conn_.Run("insert_refused_entry", p, "insert refused entry", &r);
    if (!s.ok()) return s;
    *inserted = r.rows() > 0;
    return Status::Ok();
  }

  // In the pipeline's transaction (sql.h, "Tenant purge"). The tenant's
  // counters are summed over their slots; the global depth loses the
  // tenant's share through this instance's slot.
  Status PurgeTenant(std::string_view tenant_id, bool remove_tenant, TenantPurge* purged) override {
    std::string tenant(tenant_id);
    // The tenant's key of LockEntities: an apply of the tenant running on
    // another instance commits first, and none starts until this commits.
    PgParams lock;
    lock.Text("{" + std::to_string(TenantLockKey(tenant)) + "}");
    Status s = conn_.Run("lock_entities", lock, "lock tenant");
    if (!s.ok()) return s;
    PgParams t;
    t.Text(tenant);
    PgResult counters;
    s = conn_.ExecParams(postgres::kTenantCounters, t, "tenant counters", &counters);
    if (!s.ok()) return s;
    CounterMap global;
    for (int i = 0; i < counters.rows(); ++i) {
      std::string name(counters.Text(i, 0));
      int64_t value = counters.Int(i, 1);
      purged->counter_deltas[{tenant, name}] -= value;
      if (name.rfind("depth.", 0) == 0) {
        purged->counter_deltas[{"", name}] -= value;
        global[{"", name}] -= value;
      }
    }
    int64_t* removed[] = {&purged->entities,
                          &purged->queue_entries,
                          &purged->conflicts,
                          &purged->sync_log,
                          nullptr,
                          nullptr,
                          nullptr};
    for (int i = 0; postgres::kPurgeTenant[i] != nullptr; ++i) {
      PgParams p;
      p.Text(tenant);
      PgResult r;
      s = conn_.ExecParams(postgres::kPurgeTenant[i], p, "purge tenant", &r);
      if (!s.ok()) return s;
      if (removed[i] != nullptr) *removed[i] = r.affected();
    }
    s = AddCounters(global);
    if (!s.ok()) return s;
    if (remove_tenant) {
      PgParams p;
      p.Text(tenant);
      s = conn_.ExecParams(postgres::kDeleteTenantRow, p, "delete tenant");
      // The other instances drop the tenant from their directories.
      if (s.ok()) s = conn_.Exec(postgres::kNotifyAccounts, "announce tenant removal");
    }
    cache_.clear();
    return s;
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    PgParams p;
    p.Text(tenant_id).Text(entry_id);
    PgResult r;
    Status s = conn_.Run("find_entry", p, "find entry", &r);
    if (!s.ok()) return s;
    row->reset();
    if (r.rows() > 0) *row = QueueRowAt(r, 0);
    return Status::Ok();
  }

  Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) override {
    PgParams p;
    p.Int(attempts).Int(lease_until_ms).Text(options_.instance_id).Int(seq);
    return Write("claim_entry", p, "claim entry");
  }

  Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                       std::string_view last_error) override {
    PgParams p;
    p.Int(attempts).Int(next_attempt_at_ms).Text(last_error).Int(seq);
    return Write("schedule_retry", p, "schedule retry");
  }

  Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                     int64_t finished_at_ms, std::string_view last_error) override {
    PgParams p;
    p.Text(EntryStateName(state))
        .Int(result.acked ? 1 : 2)
        .Text(result.acked && result.outcome ? domain::OutcomeName(*result.outcome)
                                             : std::string_view())
        .Text(result.acked ? std::string_view() : domain::NackReasonName(result.reason))
        .Text(result.detail)
        .Int(result.retry_after_ms)
        .Text(result.checksum)
        .Int(result.server_timestamp_ms)
        .Int(state == EntryState::kDone ? finished_at_ms : 0)
        .Text(last_error)
        .Int(seq);
    // A seq whose finish a savepoint later undid is announced anyway: the
    // listeners read only rows that are done or dead.
    return Write("finish_entry", p, "finish entry", [this, seq](const PgResult& r) {
      if (r.rows() > 0) finished_[std::string(r.Text(0, 0))].push_back(seq);
    });
  }

  Status RequeueEntry(int64_t seq) override {
    PgParams p;
    p.Int(seq).Text(options_.instance_id);
    return Write("requeue_entry", p, "requeue entry");
  }

  // Recovery: claims (FOR UPDATE SKIP LOCKED) this instance's own unfinished
  // rows, unowned ones and those of instances whose heartbeat stopped.
  Status LoadUnfinished(std::vector<QueueRow>* rows) override {
    // Only with a fresh heartbeat: the others must see this instance alive
    // while it claims, or they could take the same rows again.
    if (heartbeat_.SilentForMs() > options_.instance_timeout_ms / 2) {
      return Status::Transient("heartbeat not fresh; claims reloaded later");
    }
    if (conn_.broken()) {
      Status s = conn_.Reconnect();
      if (!s.ok()) return s;
    }
    Status s = Claim(postgres::kClaimUnfinished, "claim unfinished", rows);
    if (s.ok()) claims_lost_ = false;
    return s;
  }
  bool ClaimsLost() override {
    if (!claims_lost_ && heartbeat_.SilentForMs() > options_.instance_timeout_ms) {
      claims_lost_ = true;
      std::fprintf(stderr,
                   "syncd: cut off from the database for longer than --instance-timeout-ms: "
                   "other instances may have taken over this instance's entries; its claims "
                   "are dropped and reloaded\n");
    }
    return claims_lost_;
  }
  Status ClaimOrphaned(std::vector<QueueRow>* rows) override {
    if (conn_.broken()) {
      Status s = conn_.Reconnect();
      if (!s.ok()) return s;
    }
    return Claim(postgres::kClaimOrphaned, "claim orphaned", rows);
  }

  Status Claim(const char* sql, const char* what, std::vector<QueueRow>* rows) {
    PgParams p;
    p.Text(options_.instance_id).Int(options_.instance_timeout_ms);
    PgResult r;
    Status s = conn_.ExecParams(sql, p, what, &r);
    if (!s.ok()) return s;
    size_t first = rows->size();
    for (int i = 0; i < r.rows(); ++i) rows->push_back(QueueRowAt(r, i));
    std::sort(rows->begin() + static_cast<std::ptrdiff_t>(first), rows->end(),
              [](const QueueRow& a, const QueueRow& b) { return a.seq < b.seq; });
    return Status::Ok();
  }

  Status GetEntity(std::string_view tenant_id, EntityType type, std::string_view entity_id,
                   std::optional<StoredEntity>* entity) override {
    if (auto cached = cache_.find(CacheKey(tenant_id, type, entity_id)); cached != cache_.end()) {
      *entity = cached->second;
      return Status::Ok();
    }
    PgParams p;
    p.Text(tenant_id).Text(domain::EntityTypeName(type)).Text(entity_id);
    PgResult r;
    Status s = conn_.Run("get_entity", p, "get entity", &r);
    if (!s.ok()) return s;
    entity->reset();
    if (r.rows() > 0) {
      StoredEntity& out = entity->emplace();
      out.tenant_id.assign(tenant_id);
      out.type = type;
      out.entity_id.assign(entity_id);
      out.version_ms = r.Int(0, 0);
      out.deleted = r.Int(0, 1) != 0;
      out.data.assign(r.Text(0, 2));
      out.checksum.assign(r.Text(0, 3));
      out.modified_at_ms = r.Int(0, 4);
      out.source_entry_id.assign(r.Text(0, 5));
    }
    return Status::Ok();
  }

  Status PutEntity(const StoredEntity& e) override {
    PgParams p;
    p.Text(e.tenant_id)
        .Text(domain::EntityTypeName(e.type))
        .Text(e.entity_id)
        .Int(e.version_ms)
        .Int(e.deleted ? 1 : 0)
        .Text(e.data)
        .Text(e.checksum)
        .Int(e.modified_at_ms)
        .Text(e.source_entry_id);
    Status s = Write("put_entity", p, "put entity");
    if (s.ok()) {
      cache_[CacheKey(e.tenant_id, e.type, e.entity_id)] = e;
    } else {
      cache_.clear();
    }
    return s;
  }

  Status InsertConflict(const ConflictRecord& c) override {
    PgParams p;
    p.Text(c.tenant_id)
        .Text(domain::EntityTypeName(c.type))
        .Text(c.entity_id)
        .Text(c.entry_id)
        .Int(c.incoming_version_ms)
        .Int(c.stored_version_ms)
        .Text(c.incoming_checksum)
        .Text(c.stored_checksum)
        .Text(c.resolution)
        .Int(c.detected_at_ms);
    return Write("insert_conflict", p, "insert conflict");
  }

  Status InsertSyncLog(const SyncLogRecord& r) override {
    PgParams p;
    p.Int(r.seq)
        .Text(r.tenant_id)
        .Text(r.entry_id)
        .Text(domain::EntityTypeName(r.type))
        .Text(r.entity_id)
        .Text(domain::OperationName(r.operation))
        .Text(r.result)
        .Int(r.finished_at_ms);
    return Write("insert_sync_log", p, "insert sync log");
  }

  Status PutCheckpoint(const Checkpoint& c) override {
    PgParams p;
    p.Text(c.tenant_id).Int(c.last_seq).Text(c.last_entry_id).Int(c.last_applied_at_ms);
    return Write("put_checkpoint", p, "put checkpoint");
  }

  // In the map's (sorted) order, so concurrent transactions lock counter
  // rows in the same order.
  Status AddCounters(const CounterMap& deltas) override {
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      PgParams p;
      p.Text(key.first).Text(key.second).Int(delta).Int(counter_slot_);
      Status s = Write("add_counter", p, "add counter");
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status LoadCounters(CounterMap* counters) override {
    PgResult r;
    Status s = conn_.Exec(postgres::kLoadCounters, "load counters", &r);
    if (!s.ok()) return s;
    for (int i = 0; i < r.rows(); ++i) {
      (*counters)[{std::string(r.Text(i, 0)), std::string(r.Text(i, 1))}] = r.Int(i, 2);
    }
    return Status::Ok();
  }

  Status DeleteFinishedBefore(int64_t cutoff_ms, int limit, int* deleted) override {
    PgParams p;
    p.Int(cutoff_ms).Int(limit);
    PgResult r;
    Status s = conn_.ExecParams(postgres::kDeleteFinishedEntries, p, "delete finished", &r);
    if (!s.ok()) return s;
    *deleted = static_cast<int>(r.affected());
    s = conn_.ExecParams(postgres::kDeleteSyncLogBefore, p, "delete sync log");
    if (!s.ok()) return s;
    return conn_.ExecParams(postgres::kDeleteConflictsBefore, p, "delete conflicts");
  }

  Status InsertMetricSnapshot(int64_t taken_at_ms, std::string_view body,
                              int64_t delete_before_ms) override {
    PgParams insert;
    insert.Int(taken_at_ms).Text(body);
    Status s = conn_.ExecParams(postgres::kInsertMetricSnapshot, insert, "metric snapshot");
    if (!s.ok()) return s;
    PgParams del;
    del.Int(delete_before_ms);
    return conn_.ExecParams(postgres::kDeleteMetricSnapshotsBefore, del, "metric snapshot");
  }

 private:
  Status Prepare() {
    struct {
      const char* name;
      const char* sql;
    } const statements[] = {
        {"lock_entities", postgres::kLockEntities},
        {"insert_entry", postgres::kInsertEntry},
        {"insert_refused_entry", postgres::kInsertRefusedEntry},
        {"find_entry", postgres::kFindEntry},
        {"claim_entry", postgres::kClaimEntry},
        {"schedule_retry", postgres::kScheduleRetry},
        {"requeue_entry", postgres::kRequeueEntry},
        {"finish_entry", postgres::kFinishEntry},
        {"get_entity", postgres::kGetEntity},
        {"put_entity", postgres::kPutEntity},
        {"insert_conflict", postgres::kInsertConflict},
        {"insert_sync_log", postgres::kInsertSyncLog},
        {"put_checkpoint", postgres::kPutCheckpoint},
        {"add_counter", postgres::kAddCounter},
        {"notify", postgres::kNotify},
        {"get_entities", postgres::kGetEntities},
    };
    for (const auto& [name, sql] : statements) {
      Status s = conn_.Prepare(name, sql);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  static std::string CacheKey(std::string_view tenant, EntityType type, std::string_view id) {
    std::string key(tenant);
    key += '\0';
    key += domain::EntityTypeName(type);
    key += '\0';
    key += id;
    return key;
  }

  // Builds a PostgreSQL array literal of texts, {"a","b\"c"}, one item at a
  // time (the caller closes it with '}').
  static void AppendArrayItem(std::string* array, std::string_view item) {
    array->push_back(array->empty() ? '{' : ',');
    array->push_back('"');
    for (char c : item) {
      if (c == '"' || c == '\\') array->push_back('\\');
      array->push_back(c);
    }
    array->push_back('"');
  }

  Status Prefetch(const std::vector<EntityRef>& entities) {
    std::string tenants, types, ids;
    for (const EntityRef& e : entities) {
      cache_[CacheKey(e.tenant_id, e.type, e.entity_id)] = std::nullopt;  // unless found below
      AppendArrayItem(&tenants, e.tenant_id);
      AppendArrayItem(&types, domain::EntityTypeName(e.type));
      AppendArrayItem(&ids, e.entity_id);
    }
    if (entities.empty()) return Status::Ok();
    tenants += '}';
    types += '}';
    ids += '}';
    PgParams p;
    p.Text(tenants).Text(types).Text(ids);
    PgResult r;
    Status s = conn_.Run("get_entities", p, "get entities", &r);
    if (!s.ok()) {
      cache_.clear();
      return s;
    }
    for (int i = 0; i < r.rows(); ++i) {
      StoredEntity e;
      e.tenant_id.assign(r.Text(i, 0));
      auto type = domain::ParseEntityType(r.Text(i, 1));
      if (!type) continue;
      e.type = *type;
      e.entity_id.assign(r.Text(i, 2));
      e.version_ms = r.Int(i, 3);
      e.deleted = r.Int(i, 4) != 0;
      e.data.assign(r.Text(i, 5));
      e.checksum.assign(r.Text(i, 6));
      e.modified_at_ms = r.Int(i, 7);
      e.source_entry_id.assign(r.Text(i, 8));
      cache_[CacheKey(e.tenant_id, e.type, e.entity_id)] = std::move(e);
    }
    return Status::Ok();
  }

  // NOTIFY for what this transaction finished (sql.h, kNotify), in chunks
  // that fit PostgreSQL's payload limit.
  Status Announce() {
    for (const auto& [tenant, seqs] : finished_) {
      std::string head = options_.instance_id + "\n" + tenant + "\n";
      std::string payload = head;
      for (int64_t number : seqs) {
        std::string seq = std::to_string(number);
        if (payload.size() + seq.size() + 1 > static_cast<size_t>(postgres::kNotifyPayloadMax)) {
          Status s = Notify(payload);
          if (!s.ok()) return s;
          payload = head;
        }
        if (payload.size() > head.size()) payload += ',';
        payload += seq;
      }
      Status s = Notify(payload);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  Status Notify(const std::string& payload) {
    PgParams p;
    p.Text(payload);
    return Write("notify", p, "notify");
  }

  // A write whose answer the caller does not need: sent ahead in pipeline
  // mode (its error comes with the next statement that waits, EndEntries or
  // Commit), or at once inside a savepoint.
  Status Write(const char* name, PgParams& params, const char* what,
               std::function<void(const PgResult&)> done = nullptr) {
    if (savepoint_) {
      PgResult r;
      Status s = conn_.Run(name, params, what, &r);
      if (s.ok() && done) done(r);
      return s;
    }
    return conn_.Defer(name, params, what, std::move(done));
  }

  PostgresOptions options_;
  PgConnection conn_;
  bool savepoint_ = false;
  bool claims_lost_ = false;  // pipeline thread
  int counter_slot_ = 0;      // of this instance in the counters table
  Heartbeat heartbeat_;
  std::map<std::string, std::vector<int64_t>> finished_;  // tenant -> seqs, this transaction
  // The entities this transaction locked, as read then and written since
  // (nullopt: none stored). Cleared with every transaction boundary and
  // after a rollback to a savepoint.
  std::unordered_map<std::string, std::optional<StoredEntity>> cache_;
};

}  // namespace

std::unique_ptr<WriteStore> OpenPostgresWriteStore(const PostgresOptions& options, Status* status) {
  auto store = std::make_unique<PostgresWriteStore>();
  *status = store->Open(options, options.heartbeat_ms);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
