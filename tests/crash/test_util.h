// Shared helpers of the crash and fault tests: entry messages, reply
// collection and small JSON accessors.
#ifndef SYNCD_TESTS_CRASH_TEST_UTIL_H_
#define SYNCD_TESTS_CRASH_TEST_UTIL_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "ws_client.h"

namespace syncd::crash {

// ms since the epoch as the normalised form the server stores
// (YYYY-MM-DDTHH:MM:SS.mmmZ), so a stored `updated_at` equals the sent one.
inline std::string IsoMs(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// A process_sync_entry for an Account create/update.
inline std::string AccountEntryJson(const std::string& tenant, const std::string& id,
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

inline bool IsSyncReply(const rapidjson::Value& d) {
  std::string type = e2e::GetString(d, "type");
  return type == "sync_ack" || type == "sync_nack";
}

inline bool GetBool(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return false;
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

inline int64_t GetInt(const rapidjson::Value& object, const char* key, int64_t fallback = -1) {
  if (!object.IsObject()) return fallback;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return fallback;
  return it->value.GetInt64();
}

// object[a][b] as an integer, or `fallback`.
inline int64_t GetInt2(const rapidjson::Value& object, const char* a, const char* b,
                       int64_t fallback = -1) {
  if (!object.IsObject()) return fallback;
  auto it = object.FindMember(a);
  if (it == object.MemberEnd()) return fallback;
  return GetInt(it->value, b, fallback);
}

}  // namespace syncd::crash

#endif  // SYNCD_TESTS_CRASH_TEST_UTIL_H_
