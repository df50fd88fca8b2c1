#include "syncd/wire/entry_results.h"

#include <cmath>
#include <string_view>

namespace syncd::wire {

namespace {

void Key(JsonWriter& w, const char* key) { w.Key(key); }
void Str(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void Int(JsonWriter& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}

std::string Done(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The fields shared by a REST EntryResult and a stored result (no `id`).
void WriteResultFields(JsonWriter& w, const domain::EntryResult& r, bool with_retry_after) {
  w.Key("status");
  w.String(r.acked ? "processed" : "failed");
  if (r.acked) {
    if (r.outcome) {
      w.Key("outcome");
      StringValue(w, domain::OutcomeName(*r.outcome));
    }
    if (!r.checksum.empty()) {
      w.Key("checksum");
      w.String(r.checksum);
    }
    return;
  }
  w.Key("reason");
  StringValue(w, domain::NackReasonName(r.reason));
  w.Key("detail");
  w.String(r.detail);
  bool permanent = domain::IsPermanent(r.reason);
  w.Key("is_permanent");
  w.Bool(permanent);
  if (with_retry_after && !permanent) {
    w.Key("retry_after");
    w.Int64(r.retry_after_ms);
  }
}

}  // namespace

void StringValue(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void StringOrNull(JsonWriter& w, const std::string& s) {
  if (s.empty()) {
    w.Null();
  } else {
    w.String(s);
  }
}

void Rounded3(JsonWriter& w, double v) {
  // Not finite: JSON has no spelling for it; the stats never produce one.
  w.Double(std::isfinite(v) ? std::round(v * 1000) / 1000 : 0.0);
}

void IntOrNull(JsonWriter& w, int64_t v) {
  if (v == 0) {
    w.Null();
  } else {
    w.Int64(v);
  }
}

namespace {

// sync_nack for an entry refused as it was read: the fields as read (each
// only when it could be read), the reason and detail of `r`.
void WriteRefusalNack(JsonWriter& w, const domain::EntryError& e, const domain::EntryResult& r,
                      bool duplicate) {
  w.StartObject();
  Str(w, "type", "sync_nack");
  if (e.id) Str(w, "id", *e.id);
  Str(w, "status", "failed");
  if (e.entity_id) Str(w, "entityId", *e.entity_id);
  if (e.entity_type) Str(w, "entityType", *e.entity_type);
  if (e.operation_type) Str(w, "operationType", *e.operation_type);
  Str(w, "reason", domain::NackReasonName(r.reason));
  Str(w, "detail", r.detail);
  Key(w, "is_permanent");
  w.Bool(domain::IsPermanent(r.reason));
  if (!domain::IsPermanent(r.reason)) Int(w, "retry_after", r.retry_after_ms);
  Int(w, "server_timestamp", r.server_timestamp_ms);
  if (duplicate) {
    Key(w, "duplicate");
    w.Bool(true);
  }
  w.EndObject();
}

}  // namespace

std::string SyncReplyJson(const pipeline::Delivery& d) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  const domain::EntryResult& r = d.result;
  if (d.refused) {
    WriteRefusalNack(w, *d.refused, r, d.duplicate);
    return Done(buffer);
  }
  w.StartObject();
  Str(w, "type", r.acked ? "sync_ack" : "sync_nack");
  Str(w, "id", d.entry_id);
  Str(w, "status", r.acked ? "processed" : "failed");
  Str(w, "entityId", d.entity_id);
  Str(w, "entityType", domain::EntityTypeName(d.entity_type));
  Str(w, "operationType", domain::OperationName(d.operation_type));
  if (r.acked) {
    if (r.outcome) Str(w, "outcome", domain::OutcomeName(*r.outcome));
    Int(w, "server_timestamp", r.server_timestamp_ms);
    if (!r.checksum.empty()) Str(w, "checksum", r.checksum);
  } else {
    Str(w, "reason", domain::NackReasonName(r.reason));
    Str(w, "detail", r.detail);
    Key(w, "is_permanent");
    w.Bool(domain::IsPermanent(r.reason));
    if (!domain::IsPermanent(r.reason)) Int(w, "retry_after", r.retry_after_ms);
    Int(w, "server_timestamp", r.server_timestamp_ms);
  }
  if (d.duplicate) {
    Key(w, "duplicate");
    w.Bool(true);
  }
  w.EndObject();
  return Done(buffer);
}

void WriteEntryResult(JsonWriter& w, const std::optional<std::string>& id,
                      const domain::EntryResult& result, bool duplicate) {
  w.StartObject();
  w.Key("id");
  if (id) {
    w.String(*id);
  } else {
    w.Null();
  }
  WriteResultFields(w, result, /*with_retry_after=*/true);
  if (duplicate) {
    w.Key("duplicate");
    w.Bool(true);
  }
  w.EndObject();
}

void WritePendingResult(JsonWriter& w, const std::string& id) {
  w.StartObject();
  w.Key("id");
  w.String(id);
  w.Key("status");
  w.String("pending");
  w.EndObject();
}

std::string EntryStateJson(const db::QueueRow& row) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tenant_id");
  w.String(row.entry.tenant_id);
  w.Key("entry_id");
  w.String(row.entry.id);
  w.Key("state");
  StringValue(w, common::EntryStateName(row.state));
  w.Key("attempts");
  w.Int(row.attempts);
  w.Key("last_error");
  StringOrNull(w, row.last_error);
  w.Key("received_at_ms");
  w.Int64(row.received_at_ms);
  w.Key("finished_at_ms");
  bool finished = row.state == common::EntryState::kDone || row.state == common::EntryState::kDead;
  IntOrNull(w, finished ? row.finished_at_ms : 0);
  w.Key("next_attempt_at_ms");
  IntOrNull(w, row.state == common::EntryState::kRetryWait ? row.next_attempt_at_ms : 0);
  w.Key("result");
  if (row.result) {
    w.StartObject();
    WriteResultFields(w, *row.result, /*with_retry_after=*/false);
    w.Key("server_timestamp");
    w.Int64(row.result->server_timestamp_ms);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return Done(buf);
}

}  // namespace syncd::wire
