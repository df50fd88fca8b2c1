#include "support/entry_builders.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <time.h>

#include <cstdio>
#include <utility>
#include <variant>

namespace syncd::test {

std::string IsoMs(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string AccountEntryJson(const std::string& tenant, const std::string& id,
                             const std::string& entity_id, const std::string& op,
                             const std::string& name, const std::string& group, int n,
                             int64_t version_ms) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("type");
  w.String("process_sync_entry");
  w.Key("payload");
  w.StartObject();
  w.Key("id");
  w.String(id.c_str());
  w.Key("tenantId");
  w.String(tenant.c_str());
  w.Key("entityType");
  w.String("Account");
  w.Key("entityId");
  w.String(entity_id.c_str());
  w.Key("operationType");
  w.String(op.c_str());
  w.Key("timestamp");
  w.Int64(version_ms);
  w.Key("payload");
  w.StartObject();
  w.Key("name");
  w.String(name.c_str());
  w.Key("accountGroupId");
  w.String(group.c_str());
  w.Key("n");
  w.Int(n);
  w.Key("updated_at");
  w.String(IsoMs(version_ms).c_str());
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EntryJson(const std::string& id, const std::string& tenant, const std::string& type,
                      const std::string& entity_id, const std::string& op,
                      const std::string& payload_json, int64_t timestamp) {
  return "{\"id\":\"" + id + "\",\"tenantId\":\"" + tenant + "\",\"entityType\":\"" + type +
         "\",\"entityId\":\"" + entity_id + "\",\"operationType\":\"" + op +
         "\",\"payload\":" + payload_json + ",\"timestamp\":" + std::to_string(timestamp) +
         ",\"status\":\"pending\",\"attempts\":0,\"lastAttempt\":null,\"error\":{\"x\":1}}";
}

std::string SyncEntryMessage(const std::string& entry_json) {
  return "{\"type\":\"process_sync_entry\",\"payload\":" + entry_json + "}";
}

std::string AccountPayload(const std::string& name) {
  return "{\"name\":\"" + name + "\",\"accountGroupId\":\"g1\"}";
}

domain::SyncEntry AccountEntry(const std::string& tenant, const std::string& id,
                               const std::string& entity_id, const std::string& op,
                               int64_t version_ms, const std::string& name) {
  std::string payload =
      op == "delete" ? "null" : R"({"name":")" + name + R"(","accountGroupId":"g-1"})";
  std::string text = R"({"id":")" + id + R"(","tenantId":")" + tenant +
                     R"(","entityType":"Account","entityId":")" + entity_id +
                     R"(","operationType":")" + op + R"(","payload":)" + payload +
                     R"(,"timestamp":)" + std::to_string(version_ms) + "}";
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << text;
  domain::ParsedEntry parsed = domain::ParseSyncEntry(doc, tenant);
  if (const auto* error = std::get_if<domain::EntryError>(&parsed)) {
    ADD_FAILURE() << "invalid test entry: " << error->detail;
    return domain::SyncEntry{};
  }
  return std::get<domain::SyncEntry>(std::move(parsed));
}

}  // namespace syncd::test
