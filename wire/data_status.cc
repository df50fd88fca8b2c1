#include "syncd/wire/data_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <optional>

namespace syncd::wire {

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::string DataStatusJson(const std::vector<db::StoredEntity>& entities,
                           const std::vector<domain::EntityType>& types,
                           const std::string& tenant_id, int64_t last_sync_time_s,
                           int64_t server_time_s, bool with_type_field) {
  std::vector<domain::EntityType> keys = types;
  if (keys.empty()) keys.assign(domain::AllEntityTypes().begin(), domain::AllEntityTypes().end());
  std::map<domain::EntityType, std::vector<const db::StoredEntity*>> live, deleted;
  for (const db::StoredEntity& e : entities) (e.deleted ? deleted : live)[e.type].push_back(&e);

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  if (with_type_field) {
    w.Key("type");
    w.String("data_status_response");
  }
  w.Key("tenant_id");
  w.String(tenant_id);
  w.Key("entity_checksums");
  w.StartObject();
  for (domain::EntityType type : keys) {
    std::string_view name = domain::EntityTypeName(type);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartArray();
    for (const db::StoredEntity* e : live[type]) {
      w.StartObject();
      w.Key("entity_id");
      w.String(e->entity_id);
      w.Key("checksum");
      w.String(e->checksum);
      w.Key("last_modified");
      w.Int64(FloorDiv(e->version_ms, 1000));
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("deleted_entities");
  w.StartObject();
  for (domain::EntityType type : keys) {
    std::string_view name = domain::EntityTypeName(type);
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartArray();
    for (const db::StoredEntity* e : deleted[type]) w.String(e->entity_id);
    w.EndArray();
  }
  w.EndObject();
  w.Key("last_sync_time");
  w.Int64(last_sync_time_s);
  w.Key("server_time");
  w.Int64(server_time_s);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string DataStatusReplyJson(db::ReadStore& reads, const std::string& tenant_id,
                                const std::vector<domain::EntityType>& types, int64_t now_ms) {
  std::vector<db::StoredEntity> entities;
  std::optional<db::Checkpoint> checkpoint;
  common::Status s = reads.ListEntities(tenant_id, types, /*include_deleted=*/true, &entities);
  if (s.ok()) s = reads.GetCheckpoint(tenant_id, &checkpoint);
  if (!s.ok()) {
    return std::string(
        "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"database read failed\"}");
  }
  int64_t last_sync_s = checkpoint ? checkpoint->last_applied_at_ms / 1000 : 0;
  return DataStatusJson(entities, types, tenant_id, last_sync_s, now_ms / 1000,
                        /*with_type_field=*/true);
}

}  // namespace syncd::wire
