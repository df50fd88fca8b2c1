#include "json_out.h"

#include <string_view>

#include "syncd/common/entry_state.h"
#include "syncd/wire/entry_results.h"

namespace syncd::api {

void WriteDepthMembers(JsonWriter& w, const pipeline::QueueCounts& c) {
  w.Key("pending");
  w.Int64(c.pending);
  w.Key("in_flight");
  w.Int64(c.in_flight);
  w.Key("retry_wait");
  w.Int64(c.retry_wait);
  w.Key("dead");
  w.Int64(c.dead);
}

void WriteTotalsMembers(JsonWriter& w, const pipeline::QueueCounts& c) {
  w.Key("received");
  w.Int64(c.received);
  w.Key("applied");
  w.Int64(c.applied);
  w.Key("superseded");
  w.Int64(c.superseded);
  w.Key("manual");
  w.Int64(c.manual);
  w.Key("duplicates");
  w.Int64(c.duplicates);
  w.Key("nacked");
  w.Int64(c.nacked);
  w.Key("retries");
  w.Int64(c.retries);
  w.Key("dead_lettered");
  w.Int64(c.dead_lettered);
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
    wire::StringValue(w, domain::EntityTypeName(c.type));
    w.Key("entity_id");
    w.String(c.entity_id);
    w.Key("entry_id");
    w.String(c.entry_id);
    w.Key("incoming_version");
    w.Int64(c.incoming_version_ms);
    w.Key("stored_version");
    w.Int64(c.stored_version_ms);
    w.Key("incoming_checksum");
    wire::StringOrNull(w, c.incoming_checksum);
    w.Key("stored_checksum");
    wire::StringOrNull(w, c.stored_checksum);
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
