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

}  // namespace

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
