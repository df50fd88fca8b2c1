// One tenant's state: GET status, GET data-status, POST detect-conflicts,
// GET conflicts.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "handlers.h"
#include "json_out.h"
#include "syncd/wire/data_status.h"

namespace syncd::api {

namespace {

constexpr int64_t kDefaultConflictLimit = 100;
constexpr int64_t kMaxConflictLimit = 1000;

// Epoch seconds of the tenant's last applied change, 0 if none.
common::Status LastSyncTimeS(db::ReadStore& reads, const std::string& tenant, int64_t* out) {
  std::optional<db::Checkpoint> checkpoint;
  common::Status s = reads.GetCheckpoint(tenant, &checkpoint);
  *out = checkpoint ? checkpoint->last_applied_at_ms / 1000 : 0;
  return s;
}

// "Account, tag" -> {kAccount, kTag}; empty -> all (an empty vector).
bool ParseTypeList(const std::string& text, std::vector<domain::EntityType>* types,
                   std::string* error) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) {
      std::optional<domain::EntityType> type = domain::ParseEntityType(name);
      if (!type) {
        *error = "unknown entity type " + name;
        return false;
      }
      if (std::find(types->begin(), types->end(), *type) == types->end()) types->push_back(*type);
    }
    start = comma + 1;
  }
  return true;
}

int64_t EpochSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

}  // namespace

ApiResponse DatabaseError(ApiContext& ctx, const char* what, const common::Status& s) {
  ctx.log.Log(what, std::string("syncd: http ") + what + " failed: " + s.ToString());
  return ErrorResponse(ApiError::kInternal, pipeline::kDatabaseUnavailable);
}

ApiResponse HandleTenantStatus(ApiContext& ctx, const ApiRequest& req) {
  const std::string& tenant = req.params.at("tenant_id");
  pipeline::QueueCounts c = ctx.pipeline->TenantCounts(tenant);
  int64_t last_sync_s = 0;
  common::Status s = LastSyncTimeS(*ctx.reads, tenant, &last_sync_s);
  if (!s.ok()) return DatabaseError(ctx, "tenant status read", s);
  std::optional<int64_t> oldest;
  s = ctx.reads->OldestUnfinished(tenant, &oldest);
  if (!s.ok()) return DatabaseError(ctx, "tenant status read", s);
  int64_t now_ms = NowEpochMs();
  int64_t queue_length = c.pending + c.in_flight + c.retry_wait;
  // Entries whose result is a NACK, plus dead ones: every NACK is counted in
  // `nacked`, a dead-lettering among them until an operator resolves it.
  int64_t failed = std::max<int64_t>(0, c.nacked - c.dead_lettered + c.dead);

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tenant_id");
  w.String(tenant);
  w.Key("queue_length");
  w.Int64(queue_length);
  WriteDepthMembers(w, c);
  w.Key("failed_entries_count");
  w.Int64(failed);
  w.Key("sync_in_progress");
  w.Bool(queue_length > 0);
  w.Key("last_sync_time");
  w.Int64(last_sync_s);
  w.Key("oldest_pending_age_ms");
  w.Int64(oldest ? std::max<int64_t>(0, now_ms - *oldest) : 0);
  w.Key("server_time");
  w.Int64(now_ms / 1000);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleDataStatus(ApiContext& ctx, const ApiRequest& req) {
  const std::string& tenant = req.params.at("tenant_id");
  std::vector<domain::EntityType> types;
  auto q = req.query.find("entity_types");
  std::string error;
  if (q != req.query.end() && !ParseTypeList(q->second, &types, &error)) {
    return ErrorResponse(ApiError::kValidation, error);
  }
  std::vector<db::StoredEntity> entities;
  common::Status s = ctx.reads->ListEntities(tenant, types, /*include_deleted=*/true, &entities);
  if (!s.ok()) return DatabaseError(ctx, "data status read", s);
  int64_t last_sync_s = 0;
  s = LastSyncTimeS(*ctx.reads, tenant, &last_sync_s);
  if (!s.ok()) return DatabaseError(ctx, "data status read", s);
  return JsonResponse(
      wire::DataStatusJson(entities, types, tenant, last_sync_s, NowEpochMs() / 1000, false));
}

ApiResponse HandleDetectConflicts(ApiContext& ctx, const ApiRequest& req) {
  rapidjson::Document doc;
  ApiResponse bad;
  if (!ParseJsonBody(req, &doc, &bad)) return bad;
  if (!doc.IsObject()) return ErrorResponse(ApiError::kValidation, "body must be an object");
  std::optional<std::string> tenant = IdentifierMember(doc, "tenant_id", &bad);
  if (!tenant) return bad;
  if (!doc.HasMember("client_checksums") || !doc["client_checksums"].IsObject()) {
    return ErrorResponse(ApiError::kValidation, "client_checksums must be an object");
  }

  struct ClientEntity {
    std::string checksum;
    std::optional<int64_t> last_modified;
  };
  // By type name then entity id, which is also the order of every answer list.
  std::map<std::string, std::map<std::string, ClientEntity>> client;
  std::vector<domain::EntityType> types;
  for (const auto& m : doc["client_checksums"].GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    std::optional<domain::EntityType> type = domain::ParseEntityType(key);
    if (!type) return ErrorResponse(ApiError::kValidation, "unknown entity type " + key);
    if (!m.value.IsArray()) {
      return ErrorResponse(ApiError::kValidation, "client_checksums." + key + " must be an array");
    }
    if (std::find(types.begin(), types.end(), *type) == types.end()) types.push_back(*type);
    auto& of_type = client[std::string(domain::EntityTypeName(*type))];
    for (const rapidjson::Value& item : m.value.GetArray()) {
      std::optional<std::string_view> checksum = StringMember(item, "checksum");
      if (!item.IsObject() || !item.HasMember("entity_id") || !checksum) {
        return ErrorResponse(ApiError::kValidation,
                             "client_checksums." + key + " items need entity_id and checksum");
      }
      std::optional<std::string> id = IdentifierMember(item, "entity_id", &bad);
      if (!id) return bad;
      ClientEntity e;
      e.checksum = std::string(*checksum);
      if (item.HasMember("last_modified") && !item["last_modified"].IsNull()) {
        if (!item["last_modified"].IsInt64()) {
          return ErrorResponse(ApiError::kValidation, "last_modified must be an integer");
        }
        e.last_modified = item["last_modified"].GetInt64();
      }
      of_type[*id] = std::move(e);
    }
  }

  std::map<std::string, std::map<std::string, const db::StoredEntity*>> server;
  std::vector<db::StoredEntity> entities;
  if (!types.empty()) {
    common::Status s = ctx.reads->ListEntities(*tenant, types, /*include_deleted=*/true, &entities);
    if (!s.ok()) return DatabaseError(ctx, "conflict detection read", s);
  }
  for (const db::StoredEntity& e : entities) {
    server[std::string(domain::EntityTypeName(e.type))][e.entity_id] = &e;
  }

  rapidjson::StringBuffer cbuf, lbuf, sbuf;
  JsonWriter conflicts(cbuf), local_only(lbuf), server_only(sbuf);
  auto ref = [](JsonWriter& w, const std::string& type, const std::string& id) {
    w.StartObject();
    w.Key("entity_type");
    w.String(type);
    w.Key("entity_id");
    w.String(id);
    w.EndObject();
  };
  conflicts.StartArray();
  local_only.StartArray();
  server_only.StartArray();
  for (const auto& [type, of_type] : client) {
    const auto& stored = server[type];
    for (const auto& [id, mine] : of_type) {
      auto it = stored.find(id);
      if (it == stored.end() || it->second->deleted) {
        ref(local_only, type, id);
        continue;
      }
      const db::StoredEntity& theirs = *it->second;
      if (theirs.checksum == mine.checksum) continue;
      conflicts.StartObject();
      conflicts.Key("entity_type");
      conflicts.String(type);
      conflicts.Key("entity_id");
      conflicts.String(id);
      conflicts.Key("local_checksum");
      conflicts.String(mine.checksum);
      conflicts.Key("server_checksum");
      conflicts.String(theirs.checksum);
      conflicts.Key("local_last_modified");
      if (mine.last_modified) {
        conflicts.Int64(*mine.last_modified);
      } else {
        conflicts.Null();
      }
      conflicts.Key("server_last_modified");
      conflicts.Int64(EpochSeconds(theirs.version_ms));
      conflicts.EndObject();
    }
    for (const auto& [id, theirs] : stored) {
      if (!theirs->deleted && of_type.count(id) == 0) ref(server_only, type, id);
    }
  }
  conflicts.EndArray();
  local_only.EndArray();
  server_only.EndArray();
  std::string body = "{\"conflicts\":" + JsonText(cbuf) + ",\"local_only\":" + JsonText(lbuf) +
                     ",\"server_only\":" + JsonText(sbuf) + "}";
  return JsonResponse(std::move(body));
}

ApiResponse HandleConflicts(ApiContext& ctx, const ApiRequest& req) {
  const std::string& tenant = req.params.at("tenant_id");
  std::string error;
  int64_t limit =
      QueryInt(req, "limit", 1, kMaxConflictLimit, &error).value_or(kDefaultConflictLimit);
  if (!error.empty()) return ErrorResponse(ApiError::kValidation, error);
  std::vector<db::ConflictRecord> conflicts;
  common::Status s = ctx.reads->ListConflicts(tenant, static_cast<int>(limit), &conflicts);
  if (!s.ok()) return DatabaseError(ctx, "conflicts read", s);
  return JsonResponse(ConflictListJson(tenant, conflicts, NowEpochMs() / 1000));
}

}  // namespace syncd::api
