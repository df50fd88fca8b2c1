// A WriteStore wrapper that injects transient or permanent failures (leveldb's
// fault-injection Env, for stores). Used by the SYNCD_FAULT_COMMIT_RATE test
// hook and by unit tests. Same threading rules as the wrapped store.
#ifndef SYNCD_DB_FAULT_INJECTING_STORE_H_
#define SYNCD_DB_FAULT_INJECTING_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "syncd/db/store.h"

namespace syncd::db {

class FaultInjectingStore final : public WriteStore {
 public:
  explicit FaultInjectingStore(std::unique_ptr<WriteStore> inner);
  FaultInjectingStore(const FaultInjectingStore&) = delete;
  FaultInjectingStore& operator=(const FaultInjectingStore&) = delete;

  // Fails that fraction (0-1) of Commit() calls of kApply transactions with a
  // transient error (the transaction is rolled back); deterministic per seed.
  void SetApplyCommitFailureRate(double rate, uint64_t seed);
  // Every GetEntity/PutEntity of this entity id fails with a transient error.
  void AddPoisonEntity(const std::string& entity_id);
  // ... with a permanent error (a constraint the entry can never satisfy).
  void AddPermanentPoisonEntity(const std::string& entity_id);
  void ClearPoison();
  // Every Commit() of any kind fails (a full disk), until cleared, with
  // `failure` (e.g. the status SQLite's "database or disk is full" becomes).
  void SetFailAllCommits(bool fail, Status failure = Status::Transient("injected commit failure"));

  int64_t injected_failures() const { return injected_.load(); }

  Status Begin(TxnKind kind) override;
  Status Commit() override;
  Status Rollback() override { return inner_->Rollback(); }
  Status Savepoint() override { return inner_->Savepoint(); }
  Status ReleaseSavepoint() override { return inner_->ReleaseSavepoint(); }
  Status RollbackToSavepoint() override { return inner_->RollbackToSavepoint(); }
  Status LockEntities(const std::vector<EntityRef>& entities) override {
    return inner_->LockEntities(entities);
  }
  Status EndEntries() override { return inner_->EndEntries(); }
  Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms, EntryState state,
                     int64_t lease_until_ms, int64_t* seq, bool* inserted) override {
    return inner_->InsertEntry(entry, received_at_ms, state, lease_until_ms, seq, inserted);
  }
  Status InsertRefusedEntry(std::string_view tenant_id, const domain::EntryError& refused,
                            const domain::EntryResult& result, int64_t received_at_ms,
                            bool* inserted) override {
    return inner_->InsertRefusedEntry(tenant_id, refused, result, received_at_ms, inserted);
  }
  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    return inner_->FindEntry(tenant_id, entry_id, row);
  }
  Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) override {
    return inner_->ClaimEntry(seq, attempts, lease_until_ms);
  }
  Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                       std::string_view last_error) override {
    return inner_->ScheduleRetry(seq, attempts, next_attempt_at_ms, last_error);
  }
  Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                     int64_t finished_at_ms, std::string_view last_error) override {
    return inner_->FinishEntry(seq, state, result, finished_at_ms, last_error);
  }
  Status RequeueEntry(int64_t seq) override { return inner_->RequeueEntry(seq); }
  Status ClaimOrphaned(std::vector<QueueRow>* rows) override { return inner_->ClaimOrphaned(rows); }
  bool ClaimsLost() override { return inner_->ClaimsLost(); }
  Status LoadUnfinished(std::vector<QueueRow>* rows) override {
    return inner_->LoadUnfinished(rows);
  }
  Status GetEntity(std::string_view tenant_id, domain::EntityType type, std::string_view entity_id,
                   std::optional<StoredEntity>* entity) override;
  Status PutEntity(const StoredEntity& entity) override;
  Status InsertConflict(const ConflictRecord& conflict) override {
    return inner_->InsertConflict(conflict);
  }
  Status InsertSyncLog(const SyncLogRecord& record) override {
    return inner_->InsertSyncLog(record);
  }
  Status PutCheckpoint(const Checkpoint& checkpoint) override {
    return inner_->PutCheckpoint(checkpoint);
  }
  Status AddCounters(const CounterMap& deltas) override { return inner_->AddCounters(deltas); }
  Status LoadCounters(CounterMap* counters) override { return inner_->LoadCounters(counters); }
  Status DeleteFinishedBefore(int64_t cutoff_ms, int limit, int* deleted) override {
    return inner_->DeleteFinishedBefore(cutoff_ms, limit, deleted);
  }
  Status InsertMetricSnapshot(int64_t taken_at_ms, std::string_view body,
                              int64_t delete_before_ms) override {
    return inner_->InsertMetricSnapshot(taken_at_ms, body, delete_before_ms);
  }
  Status PurgeTenant(std::string_view tenant_id, bool remove_tenant, TenantPurge* purged) override {
    return inner_->PurgeTenant(tenant_id, remove_tenant, purged);
  }

 private:
  std::unique_ptr<WriteStore> inner_;
  TxnKind kind_ = TxnKind::kMaintenance;
  double apply_commit_failure_rate_ = 0;
  std::mt19937_64 rng_;
  std::set<std::string> poison_;
  std::set<std::string> permanent_poison_;
  bool fail_all_commits_ = false;
  Status commit_failure_;
  std::atomic<int64_t> injected_{0};
};

}  // namespace syncd::db

#endif  // SYNCD_DB_FAULT_INJECTING_STORE_H_
