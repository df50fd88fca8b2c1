#include "operator_actions.h"

#include <utility>

#include "syncd/db/counters.h"
#include "syncd/pipeline/results.h"

namespace syncd::pipeline {

namespace counters = db::counters;
using common::EntryState;
using common::Status;

OperatorOutcome RunOperatorAction(db::WriteStore* store, const common::Clock* clock,
                                  const std::string& tenant_id, const std::string& entry_id,
                                  OperatorAction action, const std::string& detail,
                                  FailureLog* failures) {
  OperatorOutcome out;
  OperatorResult& result = out.result;
  std::optional<db::QueueRow> row;
  Status s = store->FindEntry(tenant_id, entry_id, &row);
  if (!s.ok()) {
    failures->Record("operator read", s);
    result.code = OperatorResult::Code::kError;
    result.message = kDatabaseUnavailable;
    return out;
  }
  if (!row) {
    result.code = OperatorResult::Code::kNotFound;
    result.message = "no entry " + entry_id + " for tenant " + tenant_id;
    return out;
  }
  if (row->state != EntryState::kDead) {
    result.code = OperatorResult::Code::kNotDead;
    result.message = "entry is " + std::string(common::EntryStateName(row->state)) +
                     "; only dead entries can be acknowledged, retried or rejected";
    result.state = std::string(common::EntryStateName(row->state));
    return out;
  }
  int64_t now = clock->NowMs();
  const std::string& tenant = tenant_id;
  domain::EntryResult reply;
  EntryState next = EntryState::kDone;
  s = store->Begin(db::TxnKind::kMaintenance);
  if (action == OperatorAction::kRetry) {
    next = EntryState::kPending;
    if (s.ok()) s = store->RequeueEntry(row->seq);
  } else {
    if (action == OperatorAction::kAck) {
      std::optional<db::StoredEntity> stored;
      if (s.ok()) {
        s = store->GetEntity(tenant, row->entry.entity_type, row->entry.entity_id, &stored);
      }
      reply = results::Manual(stored && !stored->deleted ? stored->checksum : std::string(), now);
      out.deltas.Add(tenant, counters::kManual, 1);
    } else {
      reply = results::OperatorRejected(detail, now);
      out.deltas.Add(tenant, counters::kNacked, 1);
    }
    if (s.ok()) s = store->FinishEntry(row->seq, EntryState::kDone, reply, now, row->last_error);
    db::SyncLogRecord log;
    log.seq = row->seq;
    log.tenant_id = tenant;
    log.entry_id = row->entry.id;
    log.type = row->entry.entity_type;
    log.entity_id = row->entry.entity_id;
    log.operation = row->entry.operation;
    log.result = reply.acked ? "manual" : std::string(domain::NackReasonName(reply.reason));
    log.finished_at_ms = now;
    if (s.ok()) s = store->InsertSyncLog(log);
  }
  out.deltas.Move(tenant, EntryState::kDead, next);
  if (s.ok()) s = store->AddCounters(out.deltas.map());
  if (s.ok()) s = store->Commit();
  if (!s.ok()) {
    store->Rollback();
    failures->Record("operator", s);
    result.code = OperatorResult::Code::kError;
    result.message = kDatabaseUnavailable;
    out.deltas = Deltas();
    return out;
  }
  out.committed = true;
  result.state = std::string(common::EntryStateName(next));
  Item item;
  item.seq = row->seq;
  item.entry = std::move(row->entry);
  item.received_ms = row->received_at_ms;
  if (next == EntryState::kPending) {
    result.message = "entry re-queued";
    item.db_state = EntryState::kPending;
    out.requeued = std::move(item);
  } else {
    result.message = reply.acked ? "entry acknowledged (manual)" : "entry rejected";
    out.delivery = MakeDelivery(item.entry, item.received_us, reply, FinalState::kDone);
  }
  return out;
}

}  // namespace syncd::pipeline
