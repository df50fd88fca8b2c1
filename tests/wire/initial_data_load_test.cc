// The text of initial_data_load (protocol.md): one message or pages of at
// most page_size entities and deleted ids, every page with all nine arrays,
// the cursor and `full`; and the cursor's encoding, bound to its tenant.
#include "syncd/wire/initial_data_load.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace syncd::wire {
namespace {

using domain::EntityType;

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

db::LoadRow Row(EntityType type, const std::string& id, const std::string& data,
                bool deleted = false) {
  db::LoadRow row;
  row.type = type;
  row.entity_id = id;
  row.data = data;
  row.deleted = deleted;
  return row;
}

LoadHeader Header(bool full, int page_size) {
  LoadHeader h;
  h.tenant_id = "tenant \"1\"";
  h.cursor = "c1.5.9.abcdef01";
  h.full = full;
  h.server_timestamp_ms = 1764130000123;
  h.page_size = page_size;
  return h;
}

TEST(InitialDataLoadTest, OneMessageHoldsAllNineArraysTheCursorAndFull) {
  InitialLoadWriter w(Header(/*full=*/true, /*page_size=*/0));
  w.Add(Row(EntityType::kAccount, "a1", R"({"id":"a1"})"));
  w.Add(Row(EntityType::kAccount, "a2", R"({"id":"a2"})"));
  w.Add(Row(EntityType::kTransaction, "t1", R"({"id":"t1","amount":1.50})"));
  std::vector<std::string> pages = w.Finish();
  ASSERT_EQ(pages.size(), 1u);
  rapidjson::Document d = Parse(pages[0]);
  EXPECT_STREQ(d["type"].GetString(), "initial_data_load");
  EXPECT_STREQ(d["tenant_id"].GetString(), "tenant \"1\"");
  ASSERT_EQ(d["payload"].MemberCount(), 9u);
  EXPECT_EQ(d["payload"]["accounts"].Size(), 2u);
  EXPECT_EQ(d["payload"]["tags"].Size(), 0u);
  EXPECT_EQ(d["payload"]["transactions"].Size(), 1u);
  // Entities are passed through as stored (numbers as written).
  EXPECT_NE(pages[0].find(R"({"id":"t1","amount":1.50})"), std::string::npos);
  EXPECT_EQ(d["total_count"].GetInt64(), 3);
  EXPECT_STREQ(d["cursor"].GetString(), "c1.5.9.abcdef01");
  EXPECT_TRUE(d["full"].IsTrue());
  EXPECT_EQ(d["server_timestamp"].GetInt64(), 1764130000123);
  EXPECT_FALSE(d.HasMember("page"));
  EXPECT_FALSE(d.HasMember("deleted"));
}

TEST(InitialDataLoadTest, PagesSplitEntitiesAndDeletedIdsByPageSize) {
  InitialLoadWriter w(Header(/*full=*/false, /*page_size=*/2));
  w.Add(Row(EntityType::kAccount, "a1", R"({"id":"a1"})"));
  w.Add(Row(EntityType::kAccount, "a2", R"({"id":"a2"})", /*deleted=*/true));
  w.Add(Row(EntityType::kCategory, "c1", R"({"id":"c1"})"));
  w.Add(Row(EntityType::kTag, "t\"1", R"({"id":"t\"1"})", /*deleted=*/true));
  w.Add(Row(EntityType::kTransaction, "x1", R"({"id":"x1"})"));
  std::vector<std::string> pages = w.Finish();
  ASSERT_EQ(pages.size(), 3u);
  std::vector<rapidjson::Document> docs;
  docs.reserve(pages.size());
  for (const std::string& p : pages) docs.push_back(Parse(p));
  for (size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(docs[i]["page"].GetInt64(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(docs[i]["last_page"].IsTrue(), i == 2);
    EXPECT_STREQ(docs[i]["cursor"].GetString(), "c1.5.9.abcdef01");
    EXPECT_TRUE(docs[i]["full"].IsFalse());
    EXPECT_EQ(docs[i]["payload"].MemberCount(), 9u);
    EXPECT_EQ(docs[i]["deleted"].MemberCount(), 9u);
  }
  EXPECT_EQ(docs[0]["payload"]["accounts"].Size(), 1u);
  EXPECT_STREQ(docs[0]["deleted"]["Account"][0].GetString(), "a2");
  EXPECT_EQ(docs[0]["total_count"].GetInt64(), 1);
  EXPECT_EQ(docs[1]["payload"]["categories"].Size(), 1u);
  EXPECT_STREQ(docs[1]["deleted"]["Tag"][0].GetString(), "t\"1");
  EXPECT_EQ(docs[2]["payload"]["transactions"].Size(), 1u);
  EXPECT_EQ(docs[2]["deleted"]["Account"].Size(), 0u);
}

TEST(InitialDataLoadTest, AnEmptyPagedLoadIsOneLastPage) {
  InitialLoadWriter w(Header(/*full=*/true, /*page_size=*/10));
  std::vector<std::string> pages = w.Finish();
  ASSERT_EQ(pages.size(), 1u);
  rapidjson::Document d = Parse(pages[0]);
  EXPECT_EQ(d["page"].GetInt64(), 1);
  EXPECT_TRUE(d["last_page"].IsTrue());
  EXPECT_EQ(d["payload"].MemberCount(), 9u);
  EXPECT_EQ(d["total_count"].GetInt64(), 0);
}

TEST(InitialDataLoadTest, ACursorIsReadBackOnlyForItsOwnTenant) {
  db::ChangePosition at;
  at.epoch = 123456789;
  at.seq = 42;
  std::string cursor = EncodeCursor("tenant-1", at);
  std::optional<db::ChangePosition> back = DecodeCursor("tenant-1", cursor);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->epoch, 123456789);
  EXPECT_EQ(back->seq, 42);
  EXPECT_FALSE(DecodeCursor("tenant-2", cursor).has_value());
  for (const char* garbage : {"", "c1.", "c1.1.2", "c1.1.2.", "x1.1.2.abc", "c1.-1.2.abc",
                              "c1.01.2.abc", "c1.1.2x.abc", "c1.99999999999999999999.1.abc"}) {
    EXPECT_FALSE(DecodeCursor("tenant-1", garbage).has_value()) << garbage;
  }
}

}  // namespace
}  // namespace syncd::wire
