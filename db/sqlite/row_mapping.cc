#include "sqlite/row_mapping.h"

#include <utility>

#include "soci_util.h"
#include "sqlite/sql.h"

namespace syncd::db {

void QueueRowColumns::Bind(soci::details::prepare_temp_type& p) {
  p, soci::into(seq_), soci::into(tenant_), soci::into(entry_), soci::into(type_),
      soci::into(entity_id_), soci::into(op_), soci::into(data_), soci::into(version_),
      soci::into(client_ts_), soci::into(state_), soci::into(attempts_), soci::into(lease_),
      soci::into(next_attempt_), soci::into(last_error_), soci::into(received_),
      soci::into(finished_), soci::into(result_kind_), soci::into(outcome_), soci::into(reason_),
      soci::into(detail_), soci::into(retry_after_), soci::into(checksum_), soci::into(server_ts_);
}

QueueRow QueueRowColumns::Row() const {
  QueueRow row;
  row.seq = seq_;
  row.entry.id = entry_;
  row.entry.tenant_id = tenant_;
  row.entry.entity_type = domain::ParseEntityType(type_).value_or(domain::EntityType::kAccount);
  row.entry.entity_id = entity_id_;
  row.entry.operation = domain::ParseOperation(op_).value_or(domain::Operation::kUpdate);
  row.entry.data = data_;
  row.entry.version_ms = version_;
  row.entry.client_timestamp_ms = client_ts_;
  row.state = ParseEntryState(state_).value_or(EntryState::kPending);
  row.attempts = attempts_;
  row.lease_until_ms = lease_;
  row.next_attempt_at_ms = next_attempt_;
  row.last_error = last_error_;
  row.received_at_ms = received_;
  row.finished_at_ms = finished_;
  if (result_kind_ != 0) {
    domain::EntryResult r;
    r.acked = result_kind_ == 1;
    if (r.acked) r.outcome = domain::ParseOutcome(outcome_);
    r.reason = domain::ParseNackReason(reason_).value_or(domain::NackReason::kSystem);
    r.detail = detail_;
    r.retry_after_ms = retry_after_;
    r.checksum = checksum_;
    r.server_timestamp_ms = server_ts_;
    row.result = std::move(r);
  }
  // Refused as it was read (sql.h, kInsertRefusedEntry): finished without
  // an attempt, NACKed; the text columns hold what could be read, as sent.
  if (result_kind_ == 2 && attempts_ == 0 && row.state == EntryState::kDone) {
    domain::EntryError e;
    e.reason = row.result->reason;
    e.detail = detail_;
    e.id = entry_;
    if (!entity_id_.empty()) e.entity_id = entity_id_;
    if (!type_.empty()) e.entity_type = type_;
    if (!op_.empty()) e.operation_type = op_;
    row.refused = std::move(e);
  }
  return row;
}

EntryFinder::EntryFinder(soci::session& sql) : find_(Prepare(sql)) {}

Status EntryFinder::Find(std::string_view tenant_id, std::string_view entry_id,
                         std::optional<QueueRow>* row) {
  tenant_.assign(tenant_id);
  entry_.assign(entry_id);
  try {
    row->reset();
    if (find_.execute(true)) *row = columns_.Row();
    ResetStatement(find_);
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "find entry");
  }
  return Status::Ok();
}

soci::statement EntryFinder::Prepare(soci::session& sql) {
  soci::details::prepare_temp_type p = (sql.prepare << sqlite::kFindEntry);
  columns_.Bind(p);
  p, soci::use(tenant_), soci::use(entry_);
  return soci::statement(p);
}

Status LoadCountersFrom(soci::session& sql, CounterMap* counters) {
  try {
    std::string scope, name;
    long long value = 0;
    soci::statement st = (sql.prepare << sqlite::kLoadCounters, soci::into(scope), soci::into(name),
                          soci::into(value));
    st.execute();
    while (st.fetch()) (*counters)[{scope, name}] = value;
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "load counters");
  }
  return Status::Ok();
}

}  // namespace syncd::db
