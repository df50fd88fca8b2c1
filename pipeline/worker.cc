#include "worker.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "apply_batch.h"
#include "ingest.h"
#include "operator_actions.h"
#include "syncd/db/counters.h"
#include "syncd/pipeline/results.h"
#include "tenant_purge.h"

namespace syncd::pipeline {

using common::EntryState;
using common::Status;

Pipeline::Worker::Worker(std::unique_ptr<db::WriteStore> store, PipelineOptions options,
                         const common::Clock* clock)
    : store_(std::move(store)),
      options_(options),
      clock_(clock),
      failures_(clock),
      inbox_(options_, clock, &metrics_, &counters_),
      maintenance_(options_),
      rng_(options.rng_seed ? *options.rng_seed : std::random_device{}()) {}

Status Pipeline::Worker::Recover() {
  db::CounterMap loaded;
  Status s = store_->LoadCounters(&loaded);
  if (!s.ok()) return s;
  std::vector<db::QueueRow> rows;
  s = store_->LoadUnfinished(&rows);
  if (!s.ok()) return s;
  counters_.Load(std::move(loaded));
  int64_t now = clock_->NowMs();
  inbox_.SetUnfinished(static_cast<int64_t>(rows.size()));
  Adopt(std::move(rows), now);
  next_orphan_scan_ms_ = now + options_.orphan_scan_ms;
  oldest_unfinished_ms_.store(schedule_.OldestReceivedMs(), std::memory_order_relaxed);
  return Status::Ok();
}

// This worker holds the rows now (it claimed them: the database's writer
// lock, or an owner column on several instances), so an in_flight lease can
// only belong to a process that died: they are claimed again when their
// batch comes.
void Pipeline::Worker::Adopt(std::vector<db::QueueRow> rows, int64_t now) {
  for (db::QueueRow& row : rows) {
    Item item;
    item.seq = row.seq;
    item.entry = std::move(row.entry);
    item.attempts = row.attempts;
    item.db_state = row.state;
    item.received_ms = row.received_at_ms;
    if (row.state == EntryState::kRetryWait) {
      item.next_attempt_at_ms = std::max(now, row.next_attempt_at_ms);
      schedule_.AddRetry(std::move(item));
    } else {
      schedule_.AddReady(std::move(item));
    }
  }
}

// Several instances: the entries of an instance that stopped are taken over,
// so nothing stays stuck when an instance is killed (scale.md 2); and the
// counters are read again, so that every instance's statistics include the
// others' work (scale.md 5), at most orphan_scan_ms old.
bool Pipeline::Worker::TakeOrphans(int64_t now) {
  if (options_.orphan_scan_ms <= 0 || now < next_orphan_scan_ms_) return false;
  next_orphan_scan_ms_ = now + options_.orphan_scan_ms;
  if (store_->ClaimsLost()) return ReloadClaims(now);
  std::vector<db::QueueRow> rows;
  Status s = store_->ClaimOrphaned(&rows);
  db::CounterMap loaded;
  if (s.ok()) s = store_->LoadCounters(&loaded);
  if (s.ok()) counters_.Load(std::move(loaded));
  if (!s.ok()) {
    // The database is away: /health says degraded even without traffic.
    degraded_ = true;
    failures_.Record("claim orphaned entries", s);
    return false;
  }
  // It answers again: healthy, unless writes of this worker still wait.
  // Nothing waits to be persisted: earlier failed ingests count no more.
  if (carry_.empty()) ingest_failures_ = 0;
  if (carry_.empty() && schedule_.retry_empty()) degraded_ = false;
  if (rows.empty()) return false;
  inbox_.AddUnfinished(static_cast<int64_t>(rows.size()));
  Adopt(std::move(rows), now);
  return true;
}

// This instance was cut off long enough to be presumed dead: what it holds
// may be another instance's now, and applying, retrying or dead-lettering it
// here would act on an entry twice. It lets go of everything (connections
// waiting on those entries get their answer through the other instance's
// NOTIFY) and claims again what is still its own.
bool Pipeline::Worker::ReloadClaims(int64_t now) {
  std::vector<Item> dropped = schedule_.TakeAll();
  inbox_.AddUnfinished(-static_cast<int64_t>(dropped.size()));
  std::vector<db::QueueRow> rows;
  Status s = store_->LoadUnfinished(&rows);
  if (!s.ok()) {
    degraded_ = true;
    failures_.Record("reload claims", s);
    return !dropped.empty();
  }
  inbox_.AddUnfinished(static_cast<int64_t>(rows.size()));
  Adopt(std::move(rows), now);
  return true;
}

Status Pipeline::Worker::Start() {
  Status s = Recover();
  if (!s.ok()) return s;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Pipeline::Worker::Stop(int64_t deadline_ms) {
  if (!inbox_.BeginStop(common::MonotonicMicros() + deadline_ms * 1000, thread_.joinable())) return;
  if (thread_.joinable()) thread_.join();
  // The worker stopped: this thread owns the store now. Refusals after this
  // are counted in memory only.
  FlushRefusals(store_.get(), inbox_.TakeRefusals(), &failures_);
}

void Pipeline::Worker::Run() {
  while (Step(/*block=*/true) || !Finished()) {
  }
}

// Done when stopping and nothing due is left (or the deadline passed).
bool Pipeline::Worker::Finished() {
  Inbox::StopState stop = inbox_.stop_state(failures_.lost());
  if (!stop.stopping) return false;
  if (stop.past_deadline) return true;
  return stop.drained && carry_.empty() && !HasClaimable(clock_->NowMs());
}

Inbox::WorkerView Pipeline::Worker::View() const {
  Inbox::WorkerView view;
  view.lost = failures_.lost();
  view.busy = busy_;
  view.backing_off = [this](int64_t now) { return BackingOff(now); };
  view.has_work = [this](int64_t now) { return !carry_.empty() || HasClaimable(now); };
  view.wake_at = [this](int64_t now) {
    int64_t wake_at = std::min(maintenance_.next_at_ms(), schedule_.next_retry_at_ms());
    if (options_.orphan_scan_ms > 0) wake_at = std::min(wake_at, next_orphan_scan_ms_);
    if (BackingOff(now)) wake_at = std::min(wake_at, ingest_retry_at_ms_);
    return wake_at;
  };
  return view;
}

// One iteration: take what arrived, persist it (and claim a batch) in one
// commit, apply the batch in a second, deliver. Returns whether it worked.
bool Pipeline::Worker::Step(bool block) {
  bool worked = StepOnce(block);
  // The queue's oldest, as arrival order is seq order, for the statistics.
  oldest_unfinished_ms_.store(schedule_.OldestReceivedMs(), std::memory_order_relaxed);
  return worked;
}

bool Pipeline::Worker::StepOnce(bool block) {
  if (block) inbox_.WaitForWork(View());
  Inbox::Taken taken = inbox_.Take(/*take_refusals=*/!failures_.lost());
  std::vector<Incoming> incoming = std::move(taken.incoming);
  if (!carry_.empty()) {
    incoming.insert(incoming.begin(), std::make_move_iterator(carry_.begin()),
                    std::make_move_iterator(carry_.end()));
    carry_.clear();
  }
  int64_t now = clock_->NowMs();
  bool worked = !taken.ops.empty();
  for (OperatorRequest& op : taken.ops) {
    if (op.tenant_purge) {
      HandlePurge(op, &incoming, &taken.refusals);
    } else {
      HandleOperator(op);
    }
  }
  if (!failures_.lost() && TakeOrphans(now)) worked = true;
  if (failures_.lost()) {
    // Nothing can be made durable any more: answer instead of waiting.
    worked = worked || !incoming.empty() || !schedule_.empty();
    AnswerLost(std::move(incoming));
    // Flushes the log; keeps the worker's wake-up time moving.
    maintenance_.Run(store_.get(), clock_->NowMs(), counters_, metrics_, &failures_);
    return worked;
  }
  if (BackingOff(now)) {
    // The last ingest commit failed: nothing is written until the backoff
    // has passed; what arrived meanwhile waits with the rest.
    carry_ = std::move(incoming);
    inbox_.RestoreRefusals(taken.refusals);
    return worked;
  }
  std::vector<Item> batch;
  if (!incoming.empty() || !taken.refusals.empty() || HasClaimable(now)) {
    worked = true;
    if (!IngestAndClaim(std::move(incoming), std::move(taken.refusals), &batch)) return true;
  }
  if (!batch.empty()) Apply(std::move(batch));
  maintenance_.Run(store_.get(), clock_->NowMs(), counters_, metrics_, &failures_);
  return worked;
}

bool Pipeline::Worker::IngestAndClaim(std::vector<Incoming> incoming, db::CounterMap refusals,
                                      std::vector<Item>* batch) {
  int64_t now = clock_->NowMs();
  IngestInput in;
  in.claims = schedule_.PickClaims(now, static_cast<size_t>(options_.batch_max));
  in.incoming = std::move(incoming);
  in.refusals = std::move(refusals);
  in.schedule = &schedule_;
  in.unfinished = inbox_.unfinished_counter();
  in.retry_after_ms = [this] { return inbox_.RetryAfterMs(); };
  IngestOutcome out = Ingest(store_.get(), options_, now, std::move(in), &failures_);
  if (!out.status.ok()) {
    degraded_ = true;
    ++ingest_failures_;
    // Everything as it was; try again after a backoff.
    std::vector<Item> ready;
    for (Item& item : out.claims) {
      if (item.db_state == EntryState::kRetryWait) {
        schedule_.AddRetry(std::move(item));
      } else {
        ready.push_back(std::move(item));
      }
    }
    schedule_.ReturnReady(std::move(ready));
    inbox_.RestoreRefusals(out.refusals);
    ingest_retry_at_ms_ = now + BackoffDelayMs(options_.retry, ingest_failures_, rng_);
    if (ingest_failures_ >= options_.retry.max_attempts) {
      FailIncoming(std::move(out.incoming));
    } else {
      carry_ = std::move(out.incoming);
    }
    return false;
  }
  // Healthy again is decided by the apply commit when there is a batch.
  ingest_failures_ = 0;
  ingest_retry_at_ms_ = 0;
  inbox_.AddUnfinished(-out.duplicates);
  counters_.Add(out.deltas);
  *batch = std::move(out.batch);
  for (Item& item : out.held) schedule_.AddReady(std::move(item));
  if (batch->empty() && schedule_.retry_empty()) degraded_ = false;
  if (!out.deliveries.empty()) Deliver(std::move(out.deliveries));
  return true;
}

void Pipeline::Worker::Apply(std::vector<Item> batch) {
  busy_ = batch.size() > 1;
  ApplyOutcome out =
      ApplyBatch(store_.get(), options_, clock_, &rng_, std::move(batch), &failures_);
  if (!out.commit.ok()) {
    degraded_ = true;
    FailBatchOutcome failed = FailBatch(store_.get(), options_, clock_, &rng_,
                                        std::move(out.failed), out.commit, &failures_);
    if (failed.persisted) counters_.Add(failed.deltas);
    for (Item& item : failed.retries) schedule_.AddRetry(std::move(item));
    inbox_.AddUnfinished(-static_cast<int64_t>(failed.deliveries.size()));
    if (!failed.deliveries.empty()) Deliver(std::move(failed.deliveries));
    return;
  }
  degraded_ = false;
  metrics_.RecordBatch(out.batch_size, out.commit_us);
  counters_.Add(out.deltas);
  for (Item& item : out.retries) schedule_.AddRetry(std::move(item));
  inbox_.AddUnfinished(-static_cast<int64_t>(out.deliveries.size()));
  if (!out.deliveries.empty()) Deliver(std::move(out.deliveries));
}

void Pipeline::Worker::HandleOperator(OperatorRequest& request) {
  OperatorOutcome out = RunOperatorAction(store_.get(), clock_, request.tenant_id, request.entry_id,
                                          request.action, request.detail, &failures_);
  if (out.committed) counters_.Add(out.deltas);
  if (out.requeued) {
    inbox_.AddUnfinished(1);
    std::vector<Item> requeued;
    requeued.push_back(std::move(*out.requeued));
    schedule_.ReturnReady(std::move(requeued));
  }
  if (out.delivery) {
    std::vector<Delivery> delivery;
    delivery.push_back(std::move(*out.delivery));
    Deliver(std::move(delivery));
  }
  request.promise.set_value(std::move(out.result));
}

// A tenant delete or reset. No batch is in flight here (batches apply within
// a step), so the tenant's entries the worker holds are all in the schedule
// or among the arrivals not yet written (`incoming`, with the carried ones).
// They are taken out first, so that nothing of the tenant is applied after
// the purge; a failed purge puts them back. After the commit each is
// answered once with results::TenantPurged (system_error, not permanent), and
// the tenant leaves the statistics, unwritten refusals included.
void Pipeline::Worker::HandlePurge(OperatorRequest& request, std::vector<Incoming>* incoming,
                                   db::CounterMap* refusals) {
  const std::string& tenant = request.tenant_id;
  std::vector<Item> held = schedule_.TakeTenant(tenant);
  TenantPurgeOutcome out = RunTenantPurge(store_.get(), tenant, request.remove_tenant,
                                          static_cast<int64_t>(held.size()), &failures_);
  if (!out.committed) {
    std::vector<Item> ready;
    for (Item& item : held) {
      if (item.db_state == EntryState::kRetryWait) {
        schedule_.AddRetry(std::move(item));
      } else {
        ready.push_back(std::move(item));
      }
    }
    schedule_.ReturnReady(std::move(ready));
    request.promise.set_value(std::move(out.result));
    return;
  }
  counters_.Add(out.deltas);
  for (auto it = refusals->lower_bound({tenant, std::string()});
       it != refusals->end() && it->first.first == tenant;) {
    it = refusals->erase(it);
  }
  inbox_.DropRefusalsOf(tenant);
  counters_.DropScope(tenant);

  int64_t now = clock_->NowMs();
  domain::EntryResult nack = results::TenantPurged(request.remove_tenant, now);
  std::vector<Delivery> deliveries;
  for (const Item& item : held) {
    deliveries.push_back(MakeDelivery(item.entry, item.received_us, nack, FinalState::kRefused));
  }
  inbox_.AddUnfinished(-static_cast<int64_t>(held.size()));
  // Arrivals of the tenant: nothing was written for them. Counted in the
  // global totals only, like a refusal.
  Deltas refused;
  auto first = std::stable_partition(incoming->begin(), incoming->end(), [&](const Incoming& in) {
    return in.entry.tenant_id != tenant;
  });
  for (auto it = first; it != incoming->end(); ++it) {
    refused.Refused(std::string());
    if (it->refused) {
      // Its own NACK, not remembered (the tenant's queue is gone).
      deliveries.push_back(RefusedDelivery(tenant, *it->refused,
                                           results::EntryRefused(*it->refused, now),
                                           FinalState::kRefused, it->received_us));
      continue;
    }
    if (!it->over_limit) inbox_.AddUnfinished(-1);
    deliveries.push_back(MakeDelivery(it->entry, it->received_us, nack, FinalState::kRefused));
  }
  incoming->erase(first, incoming->end());
  inbox_.CountRefusals(refused);
  if (!deliveries.empty()) Deliver(std::move(deliveries));
  request.promise.set_value(std::move(out.result));
}

// After repeated ingest failures the entries cannot be persisted: answer
// system_error (not permanent) so the client sends them again later.
// Counted as refusals: nothing was written for them.
void Pipeline::Worker::FailIncoming(std::vector<Incoming> incoming) {
  std::vector<Delivery> out;
  Deltas refused;
  RefuseUnavailable(incoming, &refused, &out);
  ingest_failures_ = 0;
  inbox_.CountRefusals(refused);
  Deliver(std::move(out));
}

// The store reported the database lost (deleted or replaced under this
// process): no commit can make anything durable again, so every entry the
// worker holds or receives is answered system_error at once instead of
// waiting for a commit that cannot come. A restarted server takes them when
// the clients send them again. Entries that had a queue row count as NACKed
// (they were received already); new ones as received and NACKed.
void Pipeline::Worker::AnswerLost(std::vector<Incoming> incoming) {
  std::vector<Delivery> out;
  Deltas refused;
  RefuseUnavailable(incoming, &refused, &out);
  for (Item& item : schedule_.TakeAll()) {
    refused.Add(item.entry.tenant_id, db::counters::kNacked, 1);
    inbox_.AddUnfinished(-1);
    out.push_back(UnavailableNack(item.entry, item.received_us));
  }
  ingest_failures_ = 0;
  ingest_retry_at_ms_ = 0;
  inbox_.CountRefusals(refused);
  if (!out.empty()) Deliver(std::move(out));
}

// Entries that never got a queue row: counted as refused, each answered
// as NotPersisted says.
void Pipeline::Worker::RefuseUnavailable(const std::vector<Incoming>& incoming, Deltas* refused,
                                         std::vector<Delivery>* out) {
  for (const Incoming& in : incoming) {
    refused->Refused(in.entry.tenant_id);
    out->push_back(NotPersisted(in));
  }
}

// An arrival that could not be persisted: an entry refused as it was read
// gets its own NACK (just not remembered), any other system_error.
Delivery Pipeline::Worker::NotPersisted(const Incoming& in) {
  if (in.refused) {
    return RefusedDelivery(in.entry.tenant_id, *in.refused,
                           results::EntryRefused(*in.refused, clock_->NowMs()),
                           FinalState::kRefused, in.received_us);
  }
  if (!in.over_limit) inbox_.AddUnfinished(-1);
  return UnavailableNack(in.entry, in.received_us);
}

// system_error, not permanent: the client sends the entry again later.
Delivery Pipeline::Worker::UnavailableNack(const domain::SyncEntry& entry,
                                           int64_t received_us) const {
  return MakeDelivery(entry, received_us,
                      results::DatabaseUnavailable(options_.retry.max_ms, clock_->NowMs()),
                      FinalState::kRefused);
}

void Pipeline::Worker::Deliver(std::vector<Delivery> deliveries) {
  if (sinks_.empty()) return;
  auto shared = std::make_shared<const std::vector<Delivery>>(std::move(deliveries));
  for (ResultSink* sink : sinks_) sink->Deliver(shared);
}

}  // namespace syncd::pipeline
