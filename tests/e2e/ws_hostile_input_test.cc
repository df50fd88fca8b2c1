// End-to-end: input that used to crash the server or poison a tenant
// (issue #8): a number RapidJSON's full-precision parser indexed past its
// table with, lone UTF-16 surrogate escapes, and tenant paths that are not
// identifiers. Each is answered, and the server keeps serving.
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

class WsHostileInputTest : public E2eTest {};

constexpr char kCrashingNumber[] =
    "0.0000000000000000000000000000000000000000000000000000000000001e-300";

TEST_F(WsHostileInputTest, CrashingNumberInAPingIsEchoedAndTheServerSurvives) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document pong =
      Request(c, std::string(R"({"type":"ping","timestamp":)") + kCrashingNumber + "}", "pong");
  ASSERT_TRUE(pong.HasMember("timestamp"));
  ASSERT_TRUE(pong["timestamp"].IsNumber());
  EXPECT_EQ(pong["timestamp"].GetDouble(), 0.0);

  // RapidJSON read this as 6.08e-210.
  pong = Request(c, R"({"type":"ping","timestamp":0e-324})", "pong");
  ASSERT_TRUE(pong.HasMember("timestamp") && pong["timestamp"].IsNumber());
  EXPECT_EQ(pong["timestamp"].GetDouble(), 0.0);

  // Same number inside an entry: stored as 0.0.
  rapidjson::Document ack = SendEntry(
      c, "n1",
      test::EntryJson("n1", "tenant-a", "Tag", "t-1", "create",
                      std::string(R"({"name":"x","n":)") + kCrashingNumber + "}", NowMs()));
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* tag = FindEntity(load, "tags", "t-1");
  ASSERT_NE(tag, nullptr);
  ASSERT_TRUE(tag->HasMember("n") && (*tag)["n"].IsNumber());
  EXPECT_EQ((*tag)["n"].GetDouble(), 0.0);

  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(c, &before));
  EXPECT_NE(Open("tenant-b"), nullptr);  // still accepting
}

TEST_F(WsHostileInputTest, NumberBeyondTheDoubleRangeIsInvalidJson) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document e = Request(c, R"({"type":"ping","timestamp":1e400})", "error");
  EXPECT_EQ(test::GetString(e, "code"), "invalid_json");
  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(c, &before));
}

TEST_F(WsHostileInputTest, LoneSurrogatesAreInvalidJsonAndValidPairsAreKept) {
  test::WsClient* c = Open("tenant-a");
  test::WsClient* other = Open("tenant-a");
  ASSERT_TRUE(c && other);
  for (const char* name : {R"(\ud800)", R"(\udc00)", R"(\ud800\u0041)", R"(x\udfff)"}) {
    SCOPED_TRACE(name);
    const std::string entry =
        test::EntryJson("s1", "tenant-a", "Tag", "t-1", "create",
                        R"({"name":")" + std::string(name) + R"("})", NowMs());
    std::vector<std::string> skipped;
    rapidjson::Document e = Request(c, test::SyncEntryMessage(entry), "error", &skipped);
    EXPECT_EQ(test::GetString(e, "code"), "invalid_json");
    EXPECT_TRUE(skipped.empty()) << skipped.front();  // no sync_ack or sync_nack
  }
  // In a member name, of any message.
  rapidjson::Document e = Request(c, R"({"type":"ping","timestamp":1,"\udc00":1})", "error");
  EXPECT_EQ(test::GetString(e, "code"), "invalid_json");

  rapidjson::Document ack = SendEntry(c, "s2",
                                      test::EntryJson("s2", "tenant-a", "Tag", "t-2", "create",
                                                      R"({"name":"\ud83d\ude00"})", NowMs()));
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  // The other connection gets the data_update: the tenant is not poisoned.
  std::optional<std::string> update =
      other->WaitFor([](const rapidjson::Document& d) { return IsType(d, "data_update"); });
  ASSERT_TRUE(update.has_value());
  rapidjson::Document load = InitialData(other, "tenant-a");
  const rapidjson::Value* tag = FindEntity(load, "tags", "t-2");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(test::GetString(*tag, "name"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(FindEntity(load, "tags", "t-1"), nullptr);
}

TEST_F(WsHostileInputTest, EntryIdsWithControlCharactersAreNackedWithoutEchoingThem) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(test::SyncEntryMessage(test::EntryJson(
      R"(x\u0000ATTACKER)", "tenant-a", "Tag", "t-1", "create", R"({"name":"x"})", NowMs()))));
  std::optional<std::string> frame =
      c->WaitFor([](const rapidjson::Document& d) { return IsType(d, "sync_nack"); });
  ASSERT_TRUE(frame.has_value());
  rapidjson::Document nack = test::ParseJson(*frame);
  EXPECT_EQ(test::GetString(nack, "reason"), "validation_error");
  EXPECT_EQ(test::GetString(nack, "detail"), "id must not contain control characters");
  EXPECT_FALSE(test::Has(nack, "id"));
  EXPECT_EQ(test::GetString(nack, "entityId"), "t-1");

  const std::string id128(128, 'q');
  rapidjson::Document ack = SendEntry(
      c, id128,
      test::EntryJson(id128, "tenant-a", "Tag", "t-1", "create", R"({"name":"x"})", NowMs()));
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  rapidjson::Document too_long = SendEntry(
      c, id128 + "q",
      test::EntryJson(id128 + "q", "tenant-a", "Tag", "t-1", "create", R"({"name":"x"})", NowMs()));
  EXPECT_EQ(test::GetString(too_long, "detail"), "id must be 1-128 characters");
}

TEST_F(WsHostileInputTest, TenantPathsThatAreNotIdentifiersAreRefusedWith400) {
  const std::string t128(128, 't');
  for (const std::string& tenant :
       {std::string("%FF"), std::string("a%2Fb"), std::string("%zz"), std::string("a%00b"),
        std::string("a%"), std::string("%C2%9B"), std::string("%ED%B0%80"), t128 + "t"}) {
    for (const char* prefix : {"/ws_finwise/ws/", "/ws/"}) {
      SCOPED_TRACE(prefix + tenant);
      test::WsClient client;
      test::ConnectResult r = client.Connect(Url(prefix + tenant));
      EXPECT_FALSE(r.ok);
      EXPECT_EQ(r.http_status, 400);
    }
  }
  test::WsClient* ok = Open(t128);
  ASSERT_NE(ok, nullptr);
  rapidjson::Document status =
      Request(ok, R"({"type":"connection_status_request"})", "connection_status_response");
  EXPECT_EQ(test::GetString(status, "tenant_id"), t128);
  test::WsClient* spaced = Open("a%20b");
  ASSERT_NE(spaced, nullptr);
  status = Request(spaced, R"({"type":"connection_status_request"})", "connection_status_response");
  EXPECT_EQ(test::GetString(status, "tenant_id"), "a b");
}

}  // namespace
}  // namespace syncd::e2e
