// End-to-end: connecting, and the request/reply messages of protocol.md
// (ping, connection status, tenant_disconnect, initial data, data status).
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

class WsProtocolTest : public E2eTest {};

const char* const kCollections[] = {
    "accounts",    "account_groups", "categories",       "category_groups",
    "recipients",  "tags",           "automation_rules", "planning_transactions",
    "transactions"};
const char* const kTypeNames[] = {"Account",        "AccountGroup",        "Category",
                                  "CategoryGroup",  "Recipient",           "Tag",
                                  "AutomationRule", "PlanningTransaction", "Transaction"};

TEST_F(WsProtocolTest, StatusOnlineOnOpenOnBothPaths) {
  for (const char* prefix : {"/ws_finwise/ws/", "/ws/"}) {
    test::WsClient client;
    test::ConnectResult r = client.Connect(Url(std::string(prefix) + "tenant-a"));
    ASSERT_TRUE(r.ok) << prefix << ": " << r.error;
    EXPECT_EQ(r.http_status, 101);
    std::optional<std::string> first = client.Next();
    ASSERT_TRUE(first.has_value()) << prefix;
    rapidjson::Document d = test::ParseJson(*first);
    ASSERT_FALSE(d.HasParseError()) << *first;
    EXPECT_EQ(test::GetString(d, "type"), "status");
    EXPECT_EQ(test::GetString(d, "status"), "online");
    std::vector<std::string> before;
    EXPECT_TRUE(test::FlushWithPing(&client, &before)) << prefix;
    EXPECT_TRUE(before.empty());
  }
}

TEST_F(WsProtocolTest, OtherPathsAreRefusedWith404) {
  for (const char* path : {"/", "/other/tenant-a", "/ws", "/ws/", "/ws_finwise/ws/", "/api/ws/t"}) {
    test::WsClient client;
    test::ConnectResult r = client.Connect(Url(path));
    EXPECT_FALSE(r.ok) << path;
    EXPECT_EQ(r.http_status, 404) << path;
  }
}

TEST_F(WsProtocolTest, HealthIsAnsweredOnTheWebSocketPort) {
  test::HttpResponse r = test::HttpGet(kHost, app_->ws_port(), "/api/v1/websocket/health");
  ASSERT_EQ(r.status, 200) << r.headers << "\n" << r.body;
  rapidjson::Document d = test::ParseJson(r.body);
  ASSERT_FALSE(d.HasParseError()) << r.body;
  EXPECT_TRUE(d.IsObject()) << r.body;
  EXPECT_EQ(test::GetString(d, "status"), "ok") << r.body;  // service.md: same body as GET /health
  // The WebSocket port keeps upgrading after serving plain HTTP.
  EXPECT_NE(Open("tenant-a"), nullptr);
}

TEST_F(WsProtocolTest, PingEchoesTimestamp) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document pong = Request(c, R"({"type":"ping","timestamp":1764130000123})", "pong");
  ASSERT_TRUE(pong.HasMember("timestamp"));
  ASSERT_TRUE(pong["timestamp"].IsInt64());
  EXPECT_EQ(pong["timestamp"].GetInt64(), 1764130000123);

  rapidjson::Document pong2 = Request(c, R"({"type":"ping","timestamp":12.5})", "pong");
  ASSERT_TRUE(pong2.HasMember("timestamp"));
  ASSERT_TRUE(pong2["timestamp"].IsNumber());
  EXPECT_EQ(pong2["timestamp"].GetDouble(), 12.5);
}

TEST_F(WsProtocolTest, ConnectionStatusCountsConnectionsAndTenants) {
  test::WsClient* a1 = Open("tenant-a");
  test::WsClient* a2 = Open("tenant-a", "/ws/");
  test::WsClient* b = Open("tenant-b");
  ASSERT_TRUE(a1 && a2 && b);
  rapidjson::Document d =
      Request(a1, R"({"type":"connection_status_request"})", "connection_status_response");
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(test::GetString(d, "tenant_id"), "tenant-a");
  EXPECT_EQ(test::GetString(d, "backend_status"), "online");
  ASSERT_TRUE(d.HasMember("connection_healthy"));
  EXPECT_TRUE(d["connection_healthy"].IsBool() && d["connection_healthy"].GetBool());
  ASSERT_TRUE(d.HasMember("stats") && d["stats"].IsObject());
  const rapidjson::Value& stats = d["stats"];
  ASSERT_TRUE(stats.HasMember("total_connections") && stats["total_connections"].IsInt64());
  ASSERT_TRUE(stats.HasMember("healthy_connections") && stats["healthy_connections"].IsInt64());
  ASSERT_TRUE(stats.HasMember("tenant_count") && stats["tenant_count"].IsInt64());
  EXPECT_EQ(stats["total_connections"].GetInt64(), 3);
  EXPECT_EQ(stats["healthy_connections"].GetInt64(), 3);
  EXPECT_EQ(stats["tenant_count"].GetInt64(), 2);
}

TEST_F(WsProtocolTest, TenantDisconnectAcksThenClosesWith1000) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document ack =
      Request(c, R"({"type":"tenant_disconnect","tenant_id":"tenant-a","reason":"logout"})",
              "tenant_disconnect_ack");
  ASSERT_TRUE(ack.IsObject());
  EXPECT_EQ(test::GetString(ack, "tenant_id"), "tenant-a");
  EXPECT_EQ(test::GetString(ack, "status"), "success");
  ASSERT_TRUE(ack.HasMember("message"));
  EXPECT_TRUE(ack["message"].IsString());
  ASSERT_TRUE(c->WaitClosed());
  EXPECT_EQ(c->close_code(), 1000);
}

TEST_F(WsProtocolTest, InitialDataLoadHasAllNineArraysAndLeavesOutDeleted) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  // Empty tenant first: nine empty arrays, total 0.
  rapidjson::Document empty = InitialData(c, "tenant-a");
  ASSERT_TRUE(empty.IsObject());
  EXPECT_EQ(test::GetString(empty, "event_type"), "initial_data_load");
  EXPECT_EQ(test::GetString(empty, "tenant_id"), "tenant-a");
  ASSERT_TRUE(empty.HasMember("payload") && empty["payload"].IsObject());
  EXPECT_EQ(empty["payload"].MemberCount(), 9u);
  for (const char* name : kCollections) {
    ASSERT_TRUE(empty["payload"].HasMember(name)) << name;
    EXPECT_TRUE(empty["payload"][name].IsArray() && empty["payload"][name].Empty()) << name;
  }
  ASSERT_TRUE(empty.HasMember("total_count") && empty["total_count"].IsInt64());
  EXPECT_EQ(empty["total_count"].GetInt64(), 0);

  int64_t t = NowMs();
  EXPECT_EQ(test::GetString(SendEntry(c, "e1",
                                      test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                      "create", test::AccountPayload("Cash"), t)),
                            "type"),
            "sync_ack");
  EXPECT_EQ(
      test::GetString(SendEntry(c, "e2",
                                test::EntryJson("e2", "tenant-a", "Transaction", "tx-1", "create",
                                                R"({"accountId":"acc-1","amount":12.5,)"
                                                R"("date":"2025-11-26","note":"kept"})",
                                                t)),
                      "type"),
      "sync_ack");
  EXPECT_EQ(test::GetString(SendEntry(c, "e3",
                                      test::EntryJson("e3", "tenant-a", "Tag", "tag-1", "create",
                                                      R"({"name":"gone"})", t)),
                            "type"),
            "sync_ack");
  EXPECT_EQ(test::GetString(SendEntry(c, "e4",
                                      test::EntryJson("e4", "tenant-a", "Tag", "tag-1", "delete",
                                                      "null", t + 1)),
                            "type"),
            "sync_ack");

  rapidjson::Document load = InitialData(c, "tenant-a");
  ASSERT_TRUE(load.IsObject());
  for (const char* name : kCollections) {
    ASSERT_TRUE(load["payload"].HasMember(name)) << name;
    EXPECT_TRUE(load["payload"][name].IsArray()) << name;
  }
  ASSERT_TRUE(load.HasMember("server_timestamp") && load["server_timestamp"].IsInt64());
  EXPECT_NEAR(static_cast<double>(load["server_timestamp"].GetInt64()),
              static_cast<double>(NowMs()), 60000.0);
  EXPECT_EQ(load["total_count"].GetInt64(), 2);
  const rapidjson::Value* account = FindEntity(load, "accounts", "acc-1");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(test::GetString(*account, "name"), "Cash");
  EXPECT_EQ(test::GetString(*account, "accountGroupId"), "g1");
  EXPECT_EQ(test::GetString(*account, "updated_at").size(), 24u);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  const rapidjson::Value* tx = FindEntity(load, "transactions", "tx-1");
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(test::GetString(*tx, "note"), "kept");
  EXPECT_EQ((*tx)["amount"].GetDouble(), 12.5);
  EXPECT_EQ(FindEntity(load, "tags", "tag-1"), nullptr);
  EXPECT_TRUE(load["payload"]["tags"].Empty());
}

TEST_F(WsProtocolTest, DataStatusChecksumsAreMd5OfCanonicalEntities) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t now_s = NowMs() / 1000;

  // Before any change: every type, empty lists, last_sync_time 0.
  rapidjson::Document fresh = Request(c, R"({"type":"data_status_request","tenant_id":"tenant-a"})",
                                      "data_status_response");
  ASSERT_TRUE(fresh.IsObject());
  ASSERT_TRUE(fresh.HasMember("entity_checksums") && fresh["entity_checksums"].IsObject());
  EXPECT_EQ(fresh["entity_checksums"].MemberCount(), 9u);
  ASSERT_TRUE(fresh.HasMember("last_sync_time") && fresh["last_sync_time"].IsInt64());
  EXPECT_EQ(fresh["last_sync_time"].GetInt64(), 0);

  int64_t t = NowMs();
  rapidjson::Document ack = SendEntry(c, "e1",
                                      test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                      "create", test::AccountPayload("Cash"), t));
  ASSERT_EQ(test::GetString(ack, "type"), "sync_ack");
  ASSERT_EQ(
      test::GetString(SendEntry(c, "e2",
                                test::EntryJson("e2", "tenant-a", "Category", "cat-1", "create",
                                                R"({"name":"Food","ü":"ß/\u0001"})", t)),
                      "type"),
      "sync_ack");
  ASSERT_EQ(test::GetString(SendEntry(c, "e3",
                                      test::EntryJson("e3", "tenant-a", "Account", "acc-2",
                                                      "delete", "null", t)),
                            "type"),
            "sync_ack");
  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* account = FindEntity(load, "accounts", "acc-1");
  const rapidjson::Value* category = FindEntity(load, "categories", "cat-1");
  ASSERT_TRUE(account && category);
  EXPECT_EQ(test::GetString(ack, "checksum"), ChecksumOf(*account));

  for (const char* type : {"data_status_request", "request_data_status"}) {
    SCOPED_TRACE(type);
    rapidjson::Document d =
        Request(c,
                std::string(R"({"type":")") + type +
                    R"(","tenant_id":"tenant-a","entity_types":["Account","Category"]})",
                "data_status_response");
    ASSERT_TRUE(d.IsObject());
    EXPECT_EQ(test::GetString(d, "tenant_id"), "tenant-a");
    ASSERT_TRUE(d.HasMember("entity_checksums") && d["entity_checksums"].IsObject());
    const rapidjson::Value& sums = d["entity_checksums"];
    EXPECT_EQ(sums.MemberCount(), 2u);
    ASSERT_TRUE(sums.HasMember("Account") && sums["Account"].IsArray());
    ASSERT_TRUE(sums.HasMember("Category") && sums["Category"].IsArray());
    bool found_account = false, found_category = false;
    for (const char* key : {"Account", "Category"}) {
      for (const rapidjson::Value& item : sums[key].GetArray()) {
        ASSERT_TRUE(item.HasMember("last_modified") && item["last_modified"].IsInt64());
        std::string id = test::GetString(item, "entity_id");
        if (id == "acc-1") {
          found_account = true;
          EXPECT_EQ(test::GetString(item, "checksum"), ChecksumOf(*account));
          EXPECT_NEAR(static_cast<double>(item["last_modified"].GetInt64()),
                      static_cast<double>(now_s), 60.0);  // seconds, not ms
        } else if (id == "cat-1") {
          found_category = true;
          EXPECT_EQ(test::GetString(item, "checksum"), ChecksumOf(*category));
        }
      }
    }
    EXPECT_TRUE(found_account);
    EXPECT_TRUE(found_category);
    ASSERT_TRUE(d.HasMember("deleted_entities") && d["deleted_entities"].IsObject());
    ASSERT_TRUE(d["deleted_entities"].HasMember("Account"));
    const rapidjson::Value& deleted = d["deleted_entities"]["Account"];
    ASSERT_TRUE(deleted.IsArray());
    std::set<std::string> deleted_ids;
    for (const rapidjson::Value& v : deleted.GetArray()) {
      if (v.IsString()) deleted_ids.insert(v.GetString());
    }
    EXPECT_EQ(deleted_ids, std::set<std::string>{"acc-2"});
    ASSERT_TRUE(d.HasMember("last_sync_time") && d["last_sync_time"].IsInt64());
    EXPECT_NEAR(static_cast<double>(d["last_sync_time"].GetInt64()), static_cast<double>(now_s),
                60.0);
    ASSERT_TRUE(d.HasMember("server_time") && d["server_time"].IsInt64());
    EXPECT_NEAR(static_cast<double>(d["server_time"].GetInt64()), static_cast<double>(now_s), 60.0);
    EXPECT_GE(d["server_time"].GetInt64(), d["last_sync_time"].GetInt64());
  }

  // entity_types null or absent: all nine types, each a list.
  for (const char* request :
       {R"({"type":"request_data_status","tenant_id":"tenant-a","entity_types":null})",
        R"({"type":"data_status_request","tenant_id":"tenant-a"})"}) {
    rapidjson::Document d = Request(c, request, "data_status_response");
    ASSERT_TRUE(d.IsObject() && d.HasMember("entity_checksums"));
    EXPECT_EQ(d["entity_checksums"].MemberCount(), 9u) << request;
    for (const char* type : kTypeNames) {
      ASSERT_TRUE(d["entity_checksums"].HasMember(type)) << type;
      EXPECT_TRUE(d["entity_checksums"][type].IsArray()) << type;
    }
  }
}

}  // namespace
}  // namespace syncd::e2e
