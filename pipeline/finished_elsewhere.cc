// Results of entries another instance finished (several instances on one
// PostgreSQL database, scale.md 4): the same Delivery as a local commit
// makes, built from the queue row and entity that instance committed.
#include <utility>

#include "item.h"
#include "syncd/pipeline/pipeline.h"
#include "worker.h"

namespace syncd::pipeline {

namespace {

// The data_update state: only when the entity is still the one this entry
// left (an applied change) or saw (superseded); if a later change moved it
// on, that change's own delivery carries the newer state, and a stale one
// with this entry's checksum would be wrong.
void AttachEntity(const db::FinishedEntry& f, Delivery* d) {
  if (!f.entity || !d->result.acked || !d->result.outcome) return;
  const db::StoredEntity& e = *f.entity;
  bool applied = *d->result.outcome == domain::Outcome::kApplied;
  bool superseded = *d->result.outcome == domain::Outcome::kSuperseded;
  if (applied && e.source_entry_id != f.row.entry.id) return;
  if (superseded && e.checksum != d->result.checksum) return;
  if (!applied && !superseded) return;
  d->entity_data = e.data;
  d->entity_deleted = e.deleted;
}

}  // namespace

void Pipeline::DeliverFinishedElsewhere(const std::vector<db::FinishedEntry>& finished) {
  std::vector<Delivery> out;
  out.reserve(finished.size());
  for (const db::FinishedEntry& f : finished) {
    if (!f.row.result) continue;
    FinalState state =
        f.row.state == common::EntryState::kDead ? FinalState::kDead : FinalState::kDone;
    // received_us 0: no latency sample here (this instance did not receive it).
    Delivery d = MakeDelivery(f.row.entry, 0, *f.row.result, state);
    AttachEntity(f, &d);
    out.push_back(std::move(d));
  }
  if (!out.empty()) worker_->DeliverFromElsewhere(std::move(out));
}

}  // namespace syncd::pipeline
