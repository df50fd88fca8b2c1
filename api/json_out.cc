#include "json_out.h"

#include <string_view>

#include "syncd/common/entry_state.h"

namespace syncd::api {

namespace {

void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void StrOrNull(JsonWriter& w, const std::string& s) {
  if (s.empty()) {
    w.Null();
  } else {
    w.String(s);
  }
}

void IntOrNull(JsonWriter& w, int64_t v) {
  if (v == 0) {
    w.Null();
  } else {
    w.Int64(v);
  }
}

// The fields shared by a REST EntryResult and a stored result (no `id`).
void WriteResultFields(JsonWriter& w, const domain::EntryResult& r, bool with_retry_after) {
  w.Key("status");
  w.String(r.acked ? "processed" : "failed");
  if (r.acked) {
    if (r.outcome) {
      w.Key("outcome");
      Str(w, domain::OutcomeName(*r.outcome));
    }
    if (!r.checksum.empty()) {
      w.Key("checksum");
      w.String(r.checksum);
    }
    return;
  }
  w.Key("reason");
  Str(w, domain::NackReasonName(r.reason));
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
  Str(w, common::EntryStateName(row.state));
  w.Key("attempts");
  w.Int(row.attempts);
  w.Key("last_error");
  StrOrNull(w, row.last_error);
  w.Key("received_at_ms");
  w.Int64(row.received_at_ms);
  w.Key("finished_at_ms");
  bool finished = row.state == db::EntryState::kDone || row.state == db::EntryState::kDead;
  IntOrNull(w, finished ? row.finished_at_ms : 0);
  w.Key("next_attempt_at_ms");
  IntOrNull(w, row.state == db::EntryState::kRetryWait ? row.next_attempt_at_ms : 0);
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
  return JsonText(buf);
}

std::string ConflictListJson(const std::string& tenant_id,
                             const std::vector<db::ConflictRecord>& conflicts,
                             int64_t last_check_s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tenant_id");
  w.String(tenant_id);
  w.Key("conflicts");
  w.StartArray();
  for (const db::ConflictRecord& c : conflicts) {
    w.StartObject();
    w.Key("entity_type");
    Str(w, domain::EntityTypeName(c.type));
    w.Key("entity_id");
    w.String(c.entity_id);
    w.Key("entry_id");
    w.String(c.entry_id);
    w.Key("incoming_version");
    w.Int64(c.incoming_version_ms);
    w.Key("stored_version");
    w.Int64(c.stored_version_ms);
    w.Key("incoming_checksum");
    StrOrNull(w, c.incoming_checksum);
    w.Key("stored_checksum");
    StrOrNull(w, c.stored_checksum);
    w.Key("resolution");
    w.String(c.resolution);
    w.Key("detected_at");
    w.Int64(c.detected_at_ms / 1000);
    w.EndObject();
  }
  w.EndArray();
  w.Key("last_check");
  w.Int64(last_check_s);
  w.EndObject();
  return JsonText(buf);
}

}  // namespace syncd::api
