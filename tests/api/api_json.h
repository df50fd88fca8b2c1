// JSON accessors shared by the REST test suites (http_server_test,
// console_routes_test). A missing or mistyped field reads as a value no
// route sends ("<absent>", -999), so an expectation never passes by
// accident. Plain functions.
#ifndef SYNCD_TESTS_API_API_JSON_H_
#define SYNCD_TESTS_API_API_JSON_H_

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <string>

namespace syncd::api {

inline rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

inline std::string Str(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name) || !v[name].IsString()) return "<absent>";
  return v[name].GetString();
}

inline int64_t Int(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name) || !v[name].IsInt64()) return -999;
  return v[name].GetInt64();
}

}  // namespace syncd::api

#endif  // SYNCD_TESTS_API_API_JSON_H_
