#include "postgres/rows.h"

#include <utility>

namespace syncd::db {

QueueRow QueueRowAt(const PgResult& r, int i) {
  QueueRow row;
  row.seq = r.Int(i, 0);
  row.entry.tenant_id.assign(r.Text(i, 1));
  row.entry.id.assign(r.Text(i, 2));
  row.entry.entity_type =
      domain::ParseEntityType(r.Text(i, 3)).value_or(domain::EntityType::kAccount);
  row.entry.entity_id.assign(r.Text(i, 4));
  row.entry.operation = domain::ParseOperation(r.Text(i, 5)).value_or(domain::Operation::kUpdate);
  row.entry.data.assign(r.Text(i, 6));
  row.entry.version_ms = r.Int(i, 7);
  row.entry.client_timestamp_ms = r.Int(i, 8);
  row.state = ParseEntryState(r.Text(i, 9)).value_or(EntryState::kPending);
  row.attempts = static_cast<int>(r.Int(i, 10));
  row.lease_until_ms = r.Int(i, 11);
  row.next_attempt_at_ms = r.Int(i, 12);
  row.last_error.assign(r.Text(i, 13));
  row.received_at_ms = r.Int(i, 14);
  row.finished_at_ms = r.Int(i, 15);
  int64_t kind = r.Int(i, 16);
  if (kind != 0) {
    domain::EntryResult res;
    res.acked = kind == 1;
    if (res.acked) res.outcome = domain::ParseOutcome(r.Text(i, 17));
    res.reason = domain::ParseNackReason(r.Text(i, 18)).value_or(domain::NackReason::kSystem);
    res.detail.assign(r.Text(i, 19));
    res.retry_after_ms = r.Int(i, 20);
    res.checksum.assign(r.Text(i, 21));
    res.server_timestamp_ms = r.Int(i, 22);
    row.result = std::move(res);
  }
  // Refused as it was read (sql.h, kInsertRefusedEntry): finished without
  // an attempt, NACKed; the text columns hold what could be read, as sent.
  if (kind == 2 && row.attempts == 0 && row.state == EntryState::kDone) {
    domain::EntryError e;
    e.reason = row.result->reason;
    e.detail = row.result->detail;
    e.id = row.entry.id;
    if (!row.entry.entity_id.empty()) e.entity_id = std::string(r.Text(i, 4));
    if (!r.Text(i, 3).empty()) e.entity_type = std::string(r.Text(i, 3));
    if (!r.Text(i, 5).empty()) e.operation_type = std::string(r.Text(i, 5));
    row.refused = std::move(e);
  }
  return row;
}

}  // namespace syncd::db
