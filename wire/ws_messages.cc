#include "syncd/wire/ws_messages.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace syncd::wire {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Key(Writer& w, const char* key) { w.Key(key); }
void Str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void Int(Writer& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}
void Raw(Writer& w, const char* key, std::string_view json) {
  w.Key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string Done(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string DataUpdateJson(const pipeline::Delivery& d, int64_t now_ms) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  bool applied = d.result.outcome == domain::Outcome::kApplied;
  // After `superseded` the sender gets the stored state: update, or delete
  // when the stored state is a deletion.
  std::string_view operation =
      applied ? domain::OperationName(d.operation_type) : (d.entity_deleted ? "delete" : "update");
  w.StartObject();
  Str(w, "type", "data_update");
  Str(w, "event_type", "data_update");
  Str(w, "tenant_id", d.tenant_id);
  Str(w, "entity_type", domain::EntityTypeName(d.entity_type));
  Str(w, "operation_type", operation);
  Key(w, "data");
  w.StartObject();
  Raw(w, "single_entity", d.entity_data.empty() ? std::string_view("{}") : d.entity_data);
  w.EndObject();
  // The time the change was decided, as in the sender's sync_ack.
  Int(w, "server_timestamp",
      d.result.server_timestamp_ms != 0 ? d.result.server_timestamp_ms : now_ms);
  if (!d.entity_deleted && !d.result.checksum.empty()) Str(w, "checksum", d.result.checksum);
  Str(w, "source_entry_id", d.entry_id);
  w.EndObject();
  return Done(buffer);
}

std::string ErrorJson(std::string_view code, std::string_view message,
                      const std::string* original_type) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "type", "error");
  Str(w, "code", code);
  Str(w, "message", message);
  if (original_type != nullptr) Str(w, "original_type", *original_type);
  w.EndObject();
  return Done(buffer);
}

std::string StatusJson(std::string_view status) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "type", "status");
  Str(w, "status", status);
  w.EndObject();
  return Done(buffer);
}

std::string PongJson(const rapidjson::Value* timestamp) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "type", "pong");
  if (timestamp != nullptr) {
    Key(w, "timestamp");
    timestamp->Accept(w);
  }
  w.EndObject();
  return Done(buffer);
}

std::string ConnectionStatusJson(const std::string& tenant_id, bool connection_healthy,
                                 int64_t connections, int64_t healthy_connections,
                                 int64_t tenants) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "type", "connection_status_response");
  Str(w, "tenant_id", tenant_id);
  Str(w, "backend_status", "online");
  Key(w, "connection_healthy");
  w.Bool(connection_healthy);
  Key(w, "stats");
  w.StartObject();
  Int(w, "total_connections", connections);
  Int(w, "healthy_connections", healthy_connections);
  Int(w, "tenant_count", tenants);
  w.EndObject();
  w.EndObject();
  return Done(buffer);
}

std::string TenantDisconnectAckJson(const std::string& tenant_id) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "type", "tenant_disconnect_ack");
  Str(w, "tenant_id", tenant_id);
  Str(w, "status", "success");
  Str(w, "message", "tenant disconnected; closing the connection");
  w.EndObject();
  return Done(buffer);
}

}  // namespace syncd::wire
