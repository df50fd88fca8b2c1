// Small rapidjson accessors for tests: each returns a fallback when the field
// is absent or of another type, so a test states what it expects with one
// EXPECT instead of a ladder of HasMember checks. Plain functions; any thread.
#ifndef SYNCD_TESTS_SUPPORT_JSON_HELPERS_H_
#define SYNCD_TESTS_SUPPORT_JSON_HELPERS_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <string>

namespace syncd::test {

// Parses `text`; a document with HasParseError() on failure.
rapidjson::Document ParseJson(const std::string& text);

// object[key] as a string, "" when absent or not a string.
std::string GetString(const rapidjson::Value& object, const char* key);
bool Has(const rapidjson::Value& object, const char* key);

inline bool IsSyncReply(const rapidjson::Value& d) {
  std::string type = GetString(d, "type");
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

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_JSON_HELPERS_H_
