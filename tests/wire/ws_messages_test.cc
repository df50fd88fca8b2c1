// The JSON text of the server → client messages (protocol.md, "Server
// messages"), checked by parsing it back: what a client reads.
#include "syncd/wire/ws_messages.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "syncd/domain/entry.h"
#include "syncd/domain/lww.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/wire/entry_results.h"

namespace syncd::wire {
namespace {

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  EXPECT_TRUE(d.IsObject()) << text;
  return d;
}

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString())
    return "<missing " + std::string(key) + ">";
  return v[key].GetString();
}

pipeline::Delivery MakeDelivery() {
  pipeline::Delivery d;
  d.tenant_id = "t-1";
  d.entry_id = "e-1";
  d.entity_type = domain::EntityType::kAccount;
  d.entity_id = "a-1";
  d.operation_type = domain::Operation::kUpdate;
  d.result.server_timestamp_ms = 1764130000123;
  return d;
}

TEST(MessagesTest, PongEchoesTheTimestampAsSent) {
  rapidjson::Document ping;
  ping.Parse(R"({"type":"ping","timestamp":"2025-11-30T01:00:00.123Z"})");
  rapidjson::Document pong = Parse(PongJson(&ping["timestamp"]));
  EXPECT_EQ(Str(pong, "type"), "pong");
  EXPECT_EQ(Str(pong, "timestamp"), "2025-11-30T01:00:00.123Z");

  ping.Parse(R"({"type":"ping","timestamp":1764130000123})");
  pong = Parse(PongJson(&ping["timestamp"]));
  ASSERT_TRUE(pong["timestamp"].IsInt64());
  EXPECT_EQ(pong["timestamp"].GetInt64(), 1764130000123);

  pong = Parse(PongJson(nullptr));
  EXPECT_EQ(Str(pong, "type"), "pong");
  EXPECT_FALSE(pong.HasMember("timestamp"));
}

TEST(MessagesTest, ErrorJsonCarriesCodeMessageAndTheUnknownType) {
  std::string original = "frobnicate";
  rapidjson::Document e = Parse(ErrorJson("unknown_type", "no such \"type\"", &original));
  EXPECT_EQ(Str(e, "type"), "error");
  EXPECT_EQ(Str(e, "code"), "unknown_type");
  EXPECT_EQ(Str(e, "message"), "no such \"type\"");  // escaped, not broken
  EXPECT_EQ(Str(e, "original_type"), "frobnicate");

  e = Parse(ErrorJson("internal_error", "the database could not be read"));
  EXPECT_EQ(Str(e, "code"), "internal_error");
  EXPECT_FALSE(e.HasMember("original_type"));
}

TEST(MessagesTest, AnAckCarriesOutcomeTimestampAndChecksum) {
  pipeline::Delivery d = MakeDelivery();
  d.result.acked = true;
  d.result.outcome = domain::Outcome::kSuperseded;
  d.result.checksum = "0123456789abcdef0123456789abcdef";
  d.duplicate = true;
  rapidjson::Document ack = Parse(SyncReplyJson(d));
  EXPECT_EQ(Str(ack, "type"), "sync_ack");
  EXPECT_EQ(Str(ack, "id"), "e-1");
  EXPECT_EQ(Str(ack, "status"), "processed");
  EXPECT_EQ(Str(ack, "entityId"), "a-1");
  EXPECT_EQ(Str(ack, "entityType"), "Account");
  EXPECT_EQ(Str(ack, "operationType"), "update");
  EXPECT_EQ(Str(ack, "outcome"), "superseded");
  EXPECT_EQ(Str(ack, "checksum"), d.result.checksum);
  ASSERT_TRUE(ack.HasMember("server_timestamp"));
  EXPECT_EQ(ack["server_timestamp"].GetInt64(), 1764130000123);
  ASSERT_TRUE(ack.HasMember("duplicate"));
  EXPECT_TRUE(ack["duplicate"].GetBool());
  EXPECT_FALSE(ack.HasMember("reason"));

  // After a delete there is no checksum; a first answer is not a duplicate.
  d.result.checksum.clear();
  d.duplicate = false;
  ack = Parse(SyncReplyJson(d));
  EXPECT_FALSE(ack.HasMember("checksum"));
  EXPECT_FALSE(ack.HasMember("duplicate"));
}

TEST(MessagesTest, ANackHasNoOutcomeAndRetryAfterOnlyWhenTransient) {
  pipeline::Delivery d = MakeDelivery();
  d.result.acked = false;
  d.result.reason = domain::NackReason::kSystem;
  d.result.detail = "retries exhausted: disk I/O error";
  d.result.retry_after_ms = 5000;
  rapidjson::Document nack = Parse(SyncReplyJson(d));
  EXPECT_EQ(Str(nack, "type"), "sync_nack");
  EXPECT_EQ(Str(nack, "status"), "failed");
  EXPECT_EQ(Str(nack, "reason"), "system_error");
  EXPECT_EQ(Str(nack, "detail"), d.result.detail);
  EXPECT_FALSE(nack["is_permanent"].GetBool());
  EXPECT_EQ(nack["retry_after"].GetInt64(), 5000);
  EXPECT_FALSE(nack.HasMember("outcome"));
  EXPECT_FALSE(nack.HasMember("checksum"));

  d.result.reason = domain::NackReason::kConstraint;
  nack = Parse(SyncReplyJson(d));
  EXPECT_EQ(Str(nack, "reason"), "constraint_error");
  EXPECT_TRUE(nack["is_permanent"].GetBool());
  EXPECT_FALSE(nack.HasMember("retry_after"));
}

TEST(MessagesTest, ConnectionStatusReportsTheHealthItIsGiven) {
  rapidjson::Document s = Parse(ConnectionStatusJson("t-1", false, 3, 1, 2));
  EXPECT_EQ(Str(s, "type"), "connection_status_response");
  EXPECT_EQ(Str(s, "tenant_id"), "t-1");
  EXPECT_EQ(Str(s, "backend_status"), "online");
  ASSERT_TRUE(s.HasMember("connection_healthy") && s["connection_healthy"].IsBool());
  EXPECT_FALSE(s["connection_healthy"].GetBool());
  const rapidjson::Value& stats = s["stats"];
  EXPECT_EQ(stats["total_connections"].GetInt64(), 3);
  EXPECT_EQ(stats["healthy_connections"].GetInt64(), 1);
  EXPECT_EQ(stats["tenant_count"].GetInt64(), 2);

  s = Parse(ConnectionStatusJson("t-1", true, 4, 4, 1));
  EXPECT_TRUE(s["connection_healthy"].GetBool());
  EXPECT_EQ(s["stats"]["healthy_connections"].GetInt64(), 4);
}

TEST(MessagesTest, TenantDisconnectAckAndStatus) {
  rapidjson::Document a = Parse(TenantDisconnectAckJson("t-1"));
  EXPECT_EQ(Str(a, "type"), "tenant_disconnect_ack");
  EXPECT_EQ(Str(a, "tenant_id"), "t-1");
  EXPECT_EQ(Str(a, "status"), "success");
  EXPECT_NE(Str(a, "message"), "");
  rapidjson::Document s = Parse(StatusJson("shutdown"));
  EXPECT_EQ(Str(s, "type"), "status");
  EXPECT_EQ(Str(s, "status"), "shutdown");
}

TEST(MessagesTest, DataUpdateAfterSupersededSendsTheStoredState) {
  pipeline::Delivery d = MakeDelivery();
  d.result.acked = true;
  d.result.outcome = domain::Outcome::kSuperseded;
  d.entity_data = R"({"id":"a-1","name":"Stored"})";
  d.entity_deleted = true;
  rapidjson::Document u = Parse(DataUpdateJson(d, 42));
  EXPECT_EQ(Str(u, "type"), "data_update");
  EXPECT_EQ(Str(u, "operation_type"), "delete");  // the stored state is a deletion
  EXPECT_EQ(Str(u["data"]["single_entity"], "name"), "Stored");
  EXPECT_EQ(u["server_timestamp"].GetInt64(), 1764130000123);
  EXPECT_EQ(Str(u, "source_entry_id"), "e-1");

  d.result.outcome = domain::Outcome::kApplied;
  d.entity_deleted = false;
  u = Parse(DataUpdateJson(d, 42));
  EXPECT_EQ(Str(u, "operation_type"), "update");  // the entry's own operation
}

}  // namespace
}  // namespace syncd::wire
