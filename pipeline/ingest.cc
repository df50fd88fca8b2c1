#include "ingest.h"

#include <optional>
#include <string>
#include <utility>

#include "syncd/db/counters.h"
#include "syncd/pipeline/results.h"

namespace syncd::pipeline {

namespace counters = db::counters;
using common::EntryState;
using common::Status;

namespace {

// A resent id whose result is known is answered at once with the stored
// reply marked duplicate; one still queued is answered (to every waiting
// connection) when it finishes.
void AnswerDuplicate(db::QueueRow row, int64_t received_us, std::vector<Delivery>* out) {
  if (!row.result || (row.state != EntryState::kDone && row.state != EntryState::kDead)) return;
  FinalState state = row.state == EntryState::kDead ? FinalState::kDead : FinalState::kDone;
  Delivery d = row.refused ? RefusedDelivery(row.entry.tenant_id, *row.refused, *row.result, state,
                                             received_us)
                           : MakeDelivery(row.entry, received_us, *row.result, state);
  d.duplicate = true;
  out->push_back(std::move(d));
}

}  // namespace

IngestOutcome Ingest(db::WriteStore* store, const PipelineOptions& options, int64_t now,
                     IngestInput in, FailureLog* failures) {
  IngestOutcome out;
  std::vector<Item>& claims = in.claims;
  std::vector<Incoming>& incoming = in.incoming;
  std::atomic<int64_t>& unfinished = *in.unfinished;
  int64_t lease_until = now + options.lease_ms;

  Deltas& deltas = out.deltas;
  std::vector<Item> inserted;         // new rows, with the state they were written in
  std::vector<size_t> inserted_from;  // their index in `incoming`, to undo the moves
  Status s = store->Begin(db::TxnKind::kIngest);
  std::vector<bool> renewed(claims.size(), false);
  for (size_t i = 0; i < claims.size() && s.ok(); ++i) {
    Item& item = claims[i];
    // Claimed when it was inserted, lease still good for a while: no UPDATE.
    if (item.claimed && item.lease_until_ms - now > options.lease_ms / 2) continue;
    renewed[i] = true;
    // A claimed entry whose lease is only renewed has not used its attempt.
    s = store->ClaimEntry(item.seq, item.claimed ? item.attempts : item.attempts + 1, lease_until);
  }
  for (size_t index = 0; index < incoming.size(); ++index) {
    if (!s.ok()) break;
    Incoming& arrived = incoming[index];
    const std::string& tenant = arrived.entry.tenant_id;
    deltas.Add(tenant, counters::kReceived, 1);
    if (arrived.refused) {
      // Refused as it was read: remembered as a finished row with its NACK
      // (answered after the commit), unless the id was sent before.
      domain::EntryResult nack = results::EntryRefused(*arrived.refused, now);
      bool was_inserted = false;
      s = store->InsertRefusedEntry(tenant, *arrived.refused, nack, arrived.received_ms,
                                    &was_inserted);
      if (!s.ok()) break;
      if (was_inserted) {
        deltas.Add(tenant, counters::kNacked, 1);
        out.deliveries.push_back(RefusedDelivery(tenant, *arrived.refused, std::move(nack),
                                                 FinalState::kDone, arrived.received_us));
        continue;
      }
      deltas.Add(tenant, counters::kDuplicates, 1);
      std::optional<db::QueueRow> row;
      s = store->FindEntry(tenant, arrived.entry.id, &row);
      if (!s.ok()) break;
      if (row) AnswerDuplicate(std::move(*row), arrived.received_us, &out.deliveries);
      continue;
    }
    if (arrived.over_limit) {
      if (unfinished.load() < options.queue_max) {
        unfinished.fetch_add(1);  // room again: an ordinary new entry
        arrived.over_limit = false;
      } else {
        std::optional<db::QueueRow> row;
        s = store->FindEntry(tenant, arrived.entry.id, &row);
        if (!s.ok()) break;
        if (row) {  // a resent id: answered as any duplicate, never refused
          deltas.Add(tenant, counters::kDuplicates, 1);
          AnswerDuplicate(std::move(*row), arrived.received_us, &out.deliveries);
          continue;
        }
        deltas.Add(tenant, counters::kNacked, 1);
        // Answered after the commit.
        out.deliveries.push_back(MakeDelivery(arrived.entry, arrived.received_us,
                                              results::RateLimited(in.retry_after_ms(), now),
                                              FinalState::kRefused));
        continue;
      }
    }
    // New entries are written already claimed (in_flight with a lease): the
    // worker holds them from now on, whether they fit this batch or wait
    // for the next. Only an entity waiting on a retry stays pending.
    bool claim_now = !in.schedule->IsBlocked(arrived.entry);
    EntryState state = claim_now ? EntryState::kInFlight : EntryState::kPending;
    int64_t seq = 0;
    bool was_inserted = false;
    s = store->InsertEntry(arrived.entry, arrived.received_ms, state, claim_now ? lease_until : 0,
                           &seq, &was_inserted);
    if (!s.ok()) break;
    if (was_inserted) {
      // Before the move below: `tenant` refers to arrived.entry.tenant_id.
      deltas.Move(tenant, EntryState::kDone, state);
      Item item;
      item.seq = seq;
      item.entry = std::move(arrived.entry);
      inserted_from.push_back(index);
      item.attempts = claim_now ? 1 : 0;
      item.db_state = state;
      item.received_us = arrived.received_us;
      item.received_ms = arrived.received_ms;
      inserted.push_back(std::move(item));
      continue;
    }
    deltas.Add(tenant, counters::kDuplicates, 1);
    std::optional<db::QueueRow> row;
    s = store->FindEntry(tenant, arrived.entry.id, &row);
    if (!s.ok()) break;
    ++out.duplicates;  // a duplicate adds nothing to the queue
    if (row) AnswerDuplicate(std::move(*row), arrived.received_us, &out.deliveries);
  }
  for (const Item& item : claims) {
    deltas.Move(item.entry.tenant_id, item.db_state, EntryState::kInFlight);
  }
  // Refusals are in the statistics already (Inbox::CountRefusals): written
  // here, not mirrored again.
  Deltas written = deltas;
  written.AddAll(in.refusals);
  if (s.ok()) s = store->AddCounters(written.map());
  if (s.ok()) s = store->Commit();
  out.status = s;
  if (!s.ok()) {
    store->Rollback();
    failures->Record("ingest", s);
    // Everything as it was, to try again after a backoff.
    for (size_t k = 0; k < inserted.size(); ++k) {
      incoming[inserted_from[k]].entry = std::move(inserted[k].entry);
    }
    out.claims = std::move(claims);
    out.incoming = std::move(incoming);
    out.refusals = std::move(in.refusals);
    out.deltas = Deltas();
    out.deliveries.clear();
    out.duplicates = 0;
    return out;
  }
  for (size_t i = 0; i < claims.size(); ++i) {
    Item& item = claims[i];
    if (renewed[i]) {
      if (!item.claimed) item.attempts += 1;
      item.lease_until_ms = lease_until;
    }
    item.db_state = EntryState::kInFlight;
    item.claimed = false;  // this batch uses the attempt
    out.batch.push_back(std::move(item));
  }
  size_t room = static_cast<size_t>(options.batch_max);
  bool ready_empty = in.schedule->ready_empty();
  for (Item& item : inserted) {
    // In arrival order: whatever does not fit waits behind what is ready.
    if (item.db_state == EntryState::kInFlight && out.batch.size() < room && ready_empty) {
      out.batch.push_back(std::move(item));
    } else {
      if (item.db_state == EntryState::kInFlight) {
        item.claimed = true;
        item.lease_until_ms = lease_until;
      }
      out.held.push_back(std::move(item));
      ready_empty = false;
    }
  }
  return out;
}

}  // namespace syncd::pipeline
