#include "apply_batch.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "syncd/db/counters.h"
#include "syncd/domain/lww.h"
#include "syncd/pipeline/results.h"
#include "syncd/pipeline/retry.h"

namespace syncd::pipeline {

namespace counters = db::counters;
using common::EntryState;
using common::Status;
using domain::Outcome;

namespace {

// What one entry did inside the apply transaction.
struct Applied {
  enum class Kind { kFinished, kRetry, kDeferred } kind = Kind::kFinished;
  domain::EntryResult result;
  FinalState state = FinalState::kDone;
  std::string entity_data;       // the stored state, when it is not the entry's own data
  bool entity_is_entry = false;  // applied: the entity is the entry's data (moved out later)
  bool entity_deleted = false;
  bool changed = false;  // the entity was written (a checkpoint for its tenant)
};

domain::EntryResult FailureResult(const PipelineOptions& options, const Status& s, int64_t now) {
  return s.transient() ? results::RetriesExhausted(options.retry.max_ms, now)
                       : results::DatabaseRefused(now);
}

// The conflict row for `e` against what is stored.
db::ConflictRecord Conflict(const domain::SyncEntry& e, const db::StoredEntity& stored,
                            const char* resolution, int64_t now) {
  db::ConflictRecord c;
  c.tenant_id = e.tenant_id;
  c.type = e.entity_type;
  c.entity_id = e.entity_id;
  c.entry_id = e.id;
  c.incoming_version_ms = e.version_ms;
  c.stored_version_ms = stored.version_ms;
  c.incoming_checksum =
      e.operation == domain::Operation::kDelete ? std::string() : EntryChecksum(e);
  c.stored_checksum = stored.checksum;
  c.resolution = resolution;
  c.detected_at_ms = now;
  return c;
}

// Applies one entry inside the open transaction.
Status ApplyOne(db::WriteStore* store, domain::TieRule tie, const Item& item, int64_t now,
                Applied* out) {
  const domain::SyncEntry& e = item.entry;
  std::optional<db::StoredEntity> stored;
  Status s = store->GetEntity(e.tenant_id, e.entity_type, e.entity_id, &stored);
  if (!s.ok()) return s;
  bool is_delete = e.operation == domain::Operation::kDelete;
  std::optional<domain::StoredVersion> version;
  bool same_state = false;
  if (stored) {
    version = domain::StoredVersion{stored->version_ms, stored->deleted};
    same_state = stored->deleted == is_delete && stored->data == e.data;
  }
  domain::LwwDecision decision = domain::DecideLww(version, e.version_ms, same_state, tie);
  Outcome outcome = domain::OutcomeOf(decision);
  if (decision == domain::LwwDecision::kWriteOnTie) {
    // Recorded before the write: the console's capture trigger copies the
    // state this change replaces.
    s = store->InsertConflict(Conflict(e, *stored, db::kClientWinsTie, now));
    if (!s.ok()) return s;
  }
  if (decision == domain::LwwDecision::kWrite || decision == domain::LwwDecision::kWriteOnTie) {
    db::StoredEntity entity;
    entity.tenant_id = e.tenant_id;
    entity.type = e.entity_type;
    entity.entity_id = e.entity_id;
    entity.version_ms = e.version_ms;
    entity.deleted = is_delete;
    entity.data = e.data;
    entity.checksum = is_delete ? std::string() : EntryChecksum(e);
    entity.modified_at_ms = now;
    entity.source_entry_id = e.id;
    s = store->PutEntity(entity);
    if (!s.ok()) return s;
    out->result = results::Applied(entity.checksum, now);
    out->entity_is_entry = true;  // no copy: the delivery takes the entry's data
    out->entity_deleted = is_delete;
    out->changed = true;
  } else if (decision == domain::LwwDecision::kUnchanged) {
    // The client sent what is stored: acknowledged, nothing to tell others.
    out->result = results::Applied(stored->checksum, now);
  } else {
    s = store->InsertConflict(Conflict(e, *stored, db::kServerWins, now));
    if (!s.ok()) return s;
    out->result = results::Superseded(stored->checksum, now);
    out->entity_data = stored->data;
    out->entity_deleted = stored->deleted;
  }
  s = store->FinishEntry(item.seq, EntryState::kDone, out->result, now, "");
  if (!s.ok()) return s;
  db::SyncLogRecord log;
  log.seq = item.seq;
  log.tenant_id = e.tenant_id;
  log.entry_id = e.id;
  log.type = e.entity_type;
  log.entity_id = e.entity_id;
  log.operation = e.operation;
  log.result = std::string(domain::OutcomeName(outcome));
  log.finished_at_ms = now;
  return store->InsertSyncLog(log);
}

// The first pass runs without savepoints (two statements less per entry); if
// any entry fails, the whole transaction is rolled back and the batch runs
// again with a savepoint per entry, which isolates the failure.
ApplyOutcome Run(db::WriteStore* store, const PipelineOptions& options, const common::Clock* clock,
                 std::mt19937_64* rng, std::vector<Item> batch, FailureLog* failures,
                 bool isolate_entries) {
  int64_t now = clock->NowMs();
  int64_t started_us = common::MonotonicMicros();
  ApplyOutcome out;
  out.batch_size = static_cast<int64_t>(batch.size());
  std::vector<Applied> applied(batch.size());
  std::map<std::string, int64_t> failed_keys;  // entity key -> its retry time
  std::vector<int64_t> retry_at(batch.size(), 0);
  std::map<std::string, db::Checkpoint> checkpoints;
  Deltas& deltas = out.deltas;
  Status s = store->Begin(db::TxnKind::kApply);
  if (s.ok()) {
    std::vector<db::EntityRef> entities;
    entities.reserve(batch.size());
    for (const Item& item : batch) {
      entities.push_back({item.entry.tenant_id, item.entry.entity_type, item.entry.entity_id});
    }
    s = store->LockEntities(entities);
  }
  for (size_t i = 0; i < batch.size() && s.ok(); ++i) {
    const Item& item = batch[i];
    Applied& a = applied[i];
    const std::string& tenant = item.entry.tenant_id;
    std::string key = failed_keys.empty() ? std::string() : EntityKey(item.entry);
    if (auto failed = failed_keys.find(key); failed != failed_keys.end()) {
      // An earlier entry of this entity failed: keep the order, wait with it.
      a.kind = Applied::Kind::kDeferred;
      retry_at[i] = failed->second;
      s = store->ScheduleRetry(item.seq, item.attempts - 1, retry_at[i],
                               "waiting for an earlier entry of the same entity");
      deltas.Move(tenant, EntryState::kInFlight, EntryState::kRetryWait);
      continue;
    }
    if (isolate_entries) s = store->Savepoint();
    if (!s.ok()) break;
    Status one = ApplyOne(store, options.lww_tie, item, now, &a);
    if (one.ok()) {
      if (isolate_entries) s = store->ReleaseSavepoint();
      deltas.Move(tenant, EntryState::kInFlight, EntryState::kDone);
      bool is_applied = a.result.outcome == Outcome::kApplied;
      deltas.Add(tenant, is_applied ? counters::kApplied : counters::kSuperseded, 1);
      if (a.changed) checkpoints[tenant] = db::Checkpoint{tenant, item.seq, item.entry.id, now};
      continue;
    }
    if (!isolate_entries) {
      store->Rollback();
      return Run(store, options, clock, rng, std::move(batch), failures, true);
    }
    s = store->RollbackToSavepoint();
    if (!s.ok()) break;
    a = Applied();
    if (one.transient() && item.attempts < options.retry.max_attempts) {
      a.kind = Applied::Kind::kRetry;
      retry_at[i] = now + BackoffDelayMs(options.retry, item.attempts, *rng);
      failed_keys[EntityKey(item.entry)] = retry_at[i];
      failures->Record("apply entry", one);
      s = store->ScheduleRetry(item.seq, item.attempts, retry_at[i], ClientError(one));
      deltas.Move(tenant, EntryState::kInFlight, EntryState::kRetryWait);
      deltas.Add(tenant, counters::kRetries, 1);
      continue;
    }
    // Permanent, or out of attempts.
    a.kind = Applied::Kind::kFinished;
    a.result = FailureResult(options, one, now);
    EntryState final_state = one.transient() ? EntryState::kDead : EntryState::kDone;
    a.state = one.transient() ? FinalState::kDead : FinalState::kDone;
    failures->Record("apply entry", one);
    s = store->FinishEntry(item.seq, final_state, a.result, now, ClientError(one));
    deltas.Move(tenant, EntryState::kInFlight, final_state);
    deltas.Add(tenant, counters::kNacked, 1);
    if (final_state == EntryState::kDead) deltas.Add(tenant, counters::kDeadLettered, 1);
  }
  if (s.ok() && !isolate_entries) {
    // Writes the store sent ahead: an error among them is an entry's error.
    Status ended = store->EndEntries();
    if (!ended.ok()) {
      store->Rollback();
      return Run(store, options, clock, rng, std::move(batch), failures, true);
    }
  }
  for (const auto& [tenant, cp] : checkpoints) {
    if (s.ok()) s = store->PutCheckpoint(cp);
  }
  if (s.ok()) s = store->AddCounters(deltas.map());
  if (s.ok()) s = store->Commit();
  out.commit_us = common::MonotonicMicros() - started_us;
  out.commit = s;
  if (!s.ok()) {
    store->Rollback();
    failures->Record("apply", s);
    out.deltas = Deltas();
    out.failed = std::move(batch);
    return out;
  }
  out.deliveries.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    Item& item = batch[i];
    Applied& a = applied[i];
    if (a.kind != Applied::Kind::kFinished) {
      item.db_state = EntryState::kRetryWait;
      item.next_attempt_at_ms = retry_at[i];
      if (a.kind == Applied::Kind::kDeferred) item.attempts -= 1;
      out.retries.push_back(std::move(item));
      continue;
    }
    Delivery d = MakeDelivery(item.entry, item.received_us, std::move(a.result), a.state);
    d.entity_data = a.entity_is_entry ? std::move(item.entry.data) : std::move(a.entity_data);
    d.entity_deleted = a.entity_deleted;
    out.deliveries.push_back(std::move(d));
  }
  return out;
}

}  // namespace

ApplyOutcome ApplyBatch(db::WriteStore* store, const PipelineOptions& options,
                        const common::Clock* clock, std::mt19937_64* rng, std::vector<Item> batch,
                        FailureLog* failures) {
  return Run(store, options, clock, rng, std::move(batch), failures, false);
}

FailBatchOutcome FailBatch(db::WriteStore* store, const PipelineOptions& options,
                           const common::Clock* clock, std::mt19937_64* rng,
                           std::vector<Item> batch, const Status& failure, FailureLog* failures) {
  FailBatchOutcome out;
  int64_t now = clock->NowMs();
  int max_attempts = 0;
  for (const Item& item : batch) max_attempts = std::max(max_attempts, item.attempts);
  int64_t retry_at = now + BackoffDelayMs(options.retry, std::max(1, max_attempts), *rng);
  std::vector<bool> dead(batch.size());
  Status s = store->Begin(db::TxnKind::kMaintenance);
  for (size_t i = 0; i < batch.size() && s.ok(); ++i) {
    const Item& item = batch[i];
    const std::string& tenant = item.entry.tenant_id;
    dead[i] = item.attempts >= options.retry.max_attempts;
    if (dead[i]) {
      s = store->FinishEntry(item.seq, EntryState::kDead, FailureResult(options, failure, now), now,
                             ClientError(failure));
      out.deltas.Move(tenant, item.db_state, EntryState::kDead);
      out.deltas.Add(tenant, counters::kNacked, 1);
      out.deltas.Add(tenant, counters::kDeadLettered, 1);
    } else {
      s = store->ScheduleRetry(item.seq, item.attempts, retry_at, ClientError(failure));
      out.deltas.Move(tenant, item.db_state, EntryState::kRetryWait);
      out.deltas.Add(tenant, counters::kRetries, 1);
    }
  }
  if (s.ok()) s = store->AddCounters(out.deltas.map());
  if (s.ok()) s = store->Commit();
  out.persisted = s.ok();
  if (!out.persisted) {
    store->Rollback();
    failures->Record("schedule retry", s);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Item& item = batch[i];
    if (dead[i] && out.persisted) {
      out.deliveries.push_back(MakeDelivery(
          item.entry, item.received_us, FailureResult(options, failure, now), FinalState::kDead));
      continue;
    }
    // Not persisted: the row keeps its state (in_flight) and comes back
    // here; it is never acknowledged before a commit succeeds.
    if (out.persisted) item.db_state = EntryState::kRetryWait;
    item.next_attempt_at_ms = retry_at;
    out.retries.push_back(std::move(item));
  }
  return out;
}

}  // namespace syncd::pipeline
