#include "support/json_helpers.h"

namespace syncd::test {

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return doc;
}

std::string GetString(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool Has(const rapidjson::Value& object, const char* key) {
  return object.IsObject() && object.HasMember(key);
}

}  // namespace syncd::test
