#include "syncd/wire/data_status.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace syncd::wire {
namespace {

db::StoredEntity Entity(domain::EntityType type, const std::string& id, int64_t version_ms,
                        bool deleted) {
  db::StoredEntity e;
  e.tenant_id = "t1";
  e.type = type;
  e.entity_id = id;
  e.version_ms = version_ms;
  e.deleted = deleted;
  e.checksum = deleted ? "" : "0cc175b9c0f1b6a831c399e269772661";
  return e;
}

TEST(DataStatusJsonTest, ListsRequestedTypesWithTombstonesApart) {
  std::vector<db::StoredEntity> entities = {
      Entity(domain::EntityType::kAccount, "a1", 1764130000999, false),
      Entity(domain::EntityType::kAccount, "a2", 1764130000000, true),
      Entity(domain::EntityType::kTag, "t1", 5, false),  // not requested
  };
  std::string json =
      DataStatusJson(entities, {domain::EntityType::kAccount, domain::EntityType::kCategory}, "t1",
                     1764130001, 1764130002, /*with_type_field=*/true);
  EXPECT_EQ(json.rfind(R"({"type":"data_status_response","tenant_id":"t1",)", 0), 0u) << json;
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  ASSERT_EQ(doc["entity_checksums"].MemberCount(), 2u);
  const rapidjson::Value& accounts = doc["entity_checksums"]["Account"];
  ASSERT_EQ(accounts.Size(), 1u);
  EXPECT_STREQ(accounts[0]["entity_id"].GetString(), "a1");
  EXPECT_EQ(accounts[0]["last_modified"].GetInt64(), 1764130000);  // floor of seconds
  EXPECT_EQ(doc["entity_checksums"]["Category"].Size(), 0u);
  ASSERT_EQ(doc["deleted_entities"]["Account"].Size(), 1u);
  EXPECT_STREQ(doc["deleted_entities"]["Account"][0].GetString(), "a2");
  EXPECT_EQ(doc["last_sync_time"].GetInt64(), 1764130001);
  EXPECT_EQ(doc["server_time"].GetInt64(), 1764130002);
}

TEST(DataStatusJsonTest, NoTypesMeansAllNineWithoutTypeField) {
  std::string json = DataStatusJson({}, {}, "t1", 0, 1, /*with_type_field=*/false);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasMember("type"));
  EXPECT_EQ(doc["entity_checksums"].MemberCount(), 9u);
  EXPECT_EQ(doc["deleted_entities"].MemberCount(), 9u);
  EXPECT_EQ(doc["last_sync_time"].GetInt64(), 0);
}

}  // namespace
}  // namespace syncd::wire
