// End-to-end: process_sync_entry / process_sync_batch through the real
// pipeline and database: ack and nack fields, last-write-wins over the wire,
// fan-out to the tenant's other connections, pipelining and idempotency.
// WsSyncTest runs on both engines (SQLite and PostgreSQL).
#include <sqlite3.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

using test::Millis;

class WsSyncTest : public E2eEngineTest {};
SYNCD_E2E_ON_BOTH_ENGINES(WsSyncTest);

TEST_P(WsSyncTest, AckCarriesEntryFieldsAndCanonicalType) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t before = NowMs();
  rapidjson::Document ack =
      SendEntry(c, "e1",
                test::EntryJson("e1", "tenant-a", "account", "acc-1", "create",
                                test::AccountPayload("Cash"), before));
  ASSERT_TRUE(ack.IsObject());
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "id"), "e1");
  EXPECT_EQ(test::GetString(ack, "status"), "processed");
  EXPECT_EQ(test::GetString(ack, "entityId"), "acc-1");
  EXPECT_EQ(test::GetString(ack, "entityType"), "Account");
  EXPECT_EQ(test::GetString(ack, "operationType"), "create");
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  ASSERT_TRUE(ack.HasMember("server_timestamp") && ack["server_timestamp"].IsInt64());
  EXPECT_GE(ack["server_timestamp"].GetInt64(), before - 1000);  // ms, not s
  EXPECT_LE(ack["server_timestamp"].GetInt64(), NowMs() + 1000);
  EXPECT_TRUE(IsLowerHex32(test::GetString(ack, "checksum"))) << test::GetString(ack, "checksum");
  EXPECT_FALSE(ack.HasMember("duplicate"));

  // The checksum is that of the stored entity the client can load.
  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* stored = FindEntity(load, "accounts", "acc-1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(test::GetString(ack, "checksum"), ChecksumOf(*stored));

  // "Rule" is the old alias of AutomationRule; replies use the canonical name.
  rapidjson::Document rule = SendEntry(
      c, "e2",
      test::EntryJson("e2", "tenant-a", "rule", "r-1", "update", R"({"name":"r"})", before));
  EXPECT_EQ(test::GetString(rule, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(rule, "entityType"), "AutomationRule");
  EXPECT_EQ(test::GetString(rule, "operationType"), "update");
}

TEST_P(WsSyncTest, DeleteAckHasNoChecksum) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t t = NowMs();
  ASSERT_EQ(test::GetString(SendEntry(c, "e1",
                                      test::EntryJson("e1", "tenant-a", "Tag", "tag-1", "create",
                                                      R"({"name":"x"})", t)),
                            "outcome"),
            "applied");
  rapidjson::Document ack = SendEntry(
      c, "e2", test::EntryJson("e2", "tenant-a", "Tag", "tag-1", "delete", "null", t + 1));
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "status"), "processed");
  EXPECT_EQ(test::GetString(ack, "operationType"), "delete");
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  EXPECT_FALSE(ack.HasMember("checksum"));
  // Deleting a missing entity is applied too.
  rapidjson::Document missing = SendEntry(
      c, "e3", test::EntryJson("e3", "tenant-a", "Tag", "never", "delete", R"({"id":"never"})", t));
  EXPECT_EQ(test::GetString(missing, "outcome"), "applied");
  EXPECT_FALSE(missing.HasMember("checksum"));
}

TEST_P(WsSyncTest, OlderVersionIsSupersededAndSenderGetsStoredState) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t t = NowMs();
  rapidjson::Document first = SendEntry(c, "e1",
                                        test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                        "create", test::AccountPayload("New"), t));
  ASSERT_EQ(test::GetString(first, "outcome"), "applied");

  ASSERT_TRUE(c->Send(test::SyncEntryMessage(test::EntryJson(
      "e2", "tenant-a", "Account", "acc-1", "update", test::AccountPayload("Old"), t - 5000))));
  std::vector<rapidjson::Document> got;
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> frame = c->Next();
    ASSERT_TRUE(frame.has_value()) << "expected sync_ack and data_update";
    got.push_back(test::ParseJson(*frame));
  }
  const rapidjson::Document* ack = nullptr;
  const rapidjson::Document* update = nullptr;
  for (const auto& d : got) {
    if (IsType(d, "sync_ack")) ack = &d;
    if (IsType(d, "data_update")) update = &d;
  }
  ASSERT_NE(ack, nullptr);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(test::GetString(*ack, "id"), "e2");
  EXPECT_EQ(test::GetString(*ack, "status"), "processed");
  EXPECT_EQ(test::GetString(*ack, "outcome"), "superseded");
  EXPECT_EQ(test::GetString(*ack, "entityId"), "acc-1");
  EXPECT_EQ(test::GetString(*ack, "operationType"), "update");

  EXPECT_EQ(test::GetString(*update, "event_type"), "data_update");
  EXPECT_EQ(test::GetString(*update, "tenant_id"), "tenant-a");
  EXPECT_EQ(test::GetString(*update, "entity_type"), "Account");
  EXPECT_EQ(test::GetString(*update, "operation_type"), "update");
  EXPECT_EQ(test::GetString(*update, "source_entry_id"), "e2");
  ASSERT_TRUE(update->HasMember("data") && (*update)["data"].HasMember("single_entity"));
  const rapidjson::Value& entity = (*update)["data"]["single_entity"];
  EXPECT_EQ(test::GetString(entity, "id"), "acc-1");
  EXPECT_EQ(test::GetString(entity, "name"), "New");
  EXPECT_EQ(test::GetString(*update, "checksum"), ChecksumOf(entity));
  EXPECT_EQ(test::GetString(*update, "checksum"), test::GetString(first, "checksum"));
  ASSERT_TRUE(update->HasMember("server_timestamp") && (*update)["server_timestamp"].IsInt64());

  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* stored = FindEntity(load, "accounts", "acc-1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(test::GetString(*stored, "name"), "New");
}

TEST_P(WsSyncTest, ValidationNackCarriesReasonDetailAndId) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document nack =
      SendEntry(c, "bad-1",
                test::EntryJson("bad-1", "tenant-a", "Account", "acc-1", "create",
                                R"({"accountGroupId":"g1"})", NowMs()));
  ASSERT_TRUE(nack.IsObject());
  EXPECT_EQ(test::GetString(nack, "type"), "sync_nack");
  EXPECT_EQ(test::GetString(nack, "id"), "bad-1");
  EXPECT_EQ(test::GetString(nack, "status"), "failed");
  EXPECT_EQ(test::GetString(nack, "entityId"), "acc-1");
  EXPECT_EQ(test::GetString(nack, "entityType"), "Account");
  EXPECT_EQ(test::GetString(nack, "operationType"), "create");
  EXPECT_EQ(test::GetString(nack, "reason"), "validation_error");
  EXPECT_EQ(test::GetString(nack, "detail"), "payload.name is required");
  ASSERT_TRUE(nack.HasMember("is_permanent") && nack["is_permanent"].IsBool());
  EXPECT_TRUE(nack["is_permanent"].GetBool());

  // Wrong JSON type and a bad updated_at are validation errors too.
  rapidjson::Document amount =
      SendEntry(c, "bad-2",
                test::EntryJson("bad-2", "tenant-a", "Transaction", "tx-1", "create",
                                R"({"accountId":"a","amount":"12","date":"2025-01-01"})", NowMs()));
  EXPECT_EQ(test::GetString(amount, "reason"), "validation_error");
  EXPECT_NE(test::GetString(amount, "detail").find("amount"), std::string::npos);
  rapidjson::Document when =
      SendEntry(c, "bad-3",
                test::EntryJson("bad-3", "tenant-a", "Tag", "t", "update",
                                R"({"name":"x","updated_at":"yesterday"})", NowMs()));
  EXPECT_EQ(test::GetString(when, "reason"), "validation_error");
  rapidjson::Document mismatch =
      SendEntry(c, "bad-4",
                test::EntryJson("bad-4", "tenant-a", "Tag", "t", "update",
                                R"({"id":"other","name":"x"})", NowMs()));
  EXPECT_EQ(test::GetString(mismatch, "reason"), "validation_error");

  // Nothing was stored.
  rapidjson::Document load = InitialData(c, "tenant-a");
  EXPECT_EQ(load["total_count"].GetInt64(), 0);
}

TEST_P(WsSyncTest, ForeignTenantIdIsNackedPermissionError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document nack =
      SendEntry(c, "e1",
                test::EntryJson("e1", "tenant-b", "Account", "acc-1", "create",
                                test::AccountPayload("x"), NowMs()));
  EXPECT_EQ(test::GetString(nack, "type"), "sync_nack");
  EXPECT_EQ(test::GetString(nack, "id"), "e1");
  EXPECT_EQ(test::GetString(nack, "status"), "failed");
  EXPECT_EQ(test::GetString(nack, "reason"), "permission_error");
  ASSERT_TRUE(nack.HasMember("is_permanent"));
  EXPECT_TRUE(nack["is_permanent"].GetBool());
  // Neither tenant got the entity.
  EXPECT_EQ(InitialData(c, "tenant-a")["total_count"].GetInt64(), 0);
  test::WsClient* b = Open("tenant-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(InitialData(b, "tenant-b")["total_count"].GetInt64(), 0);
}

TEST_P(WsSyncTest, EntryWithoutReadableIdIsNackedWithoutId) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  const std::string no_id =
      R"({"tenantId":"tenant-a","entityType":"Tag","entityId":"t-1","operationType":"create",)"
      R"("payload":{"name":"x"},"timestamp":1})";
  const std::string numeric_id =
      R"({"id":17,"tenantId":"tenant-a","entityType":"Tag","entityId":"t-1",)"
      R"("operationType":"create","payload":{"name":"x"},"timestamp":1})";
  for (const std::string& entry : {no_id, numeric_id}) {
    rapidjson::Document nack = Request(c, test::SyncEntryMessage(entry), "sync_nack");
    ASSERT_TRUE(nack.IsObject()) << entry;
    EXPECT_FALSE(nack.HasMember("id")) << entry;
    EXPECT_EQ(test::GetString(nack, "status"), "failed");
    EXPECT_EQ(test::GetString(nack, "reason"), "validation_error");
    EXPECT_TRUE(nack["is_permanent"].GetBool());
    // What could be read is carried.
    EXPECT_EQ(test::GetString(nack, "entityId"), "t-1");
    EXPECT_EQ(test::GetString(nack, "entityType"), "Tag");
  }
  // An entry that is not an object at all.
  rapidjson::Document nack =
      Request(c, R"({"type":"process_sync_entry","payload":42})", "sync_nack");
  ASSERT_TRUE(nack.IsObject());
  EXPECT_FALSE(nack.HasMember("id"));
  EXPECT_EQ(test::GetString(nack, "reason"), "validation_error");
  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(c, &before));
  EXPECT_TRUE(before.empty()) << before.front();
}

// Ties (updated_at equal): ws_lww_tie_test.cc.

TEST_P(WsSyncTest, LateUpdateAfterDeleteIsSupersededAndNewerOneRevives) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t t = NowMs();
  ASSERT_EQ(test::GetString(SendEntry(c, "e1",
                                      test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                      "create", test::AccountPayload("A"), t)),
                            "outcome"),
            "applied");
  rapidjson::Document del = SendEntry(
      c, "e2", test::EntryJson("e2", "tenant-a", "Account", "acc-1", "delete", "null", t + 2000));
  ASSERT_EQ(test::GetString(del, "outcome"), "applied");

  // An update made before the delete arrives late: superseded, and the
  // sender is told the entity is deleted.
  ASSERT_TRUE(c->Send(test::SyncEntryMessage(test::EntryJson(
      "e3", "tenant-a", "Account", "acc-1", "update", test::AccountPayload("Late"), t + 1000))));
  std::vector<std::string> skipped;
  std::optional<std::string> ack_frame = c->WaitFor(
      [](const rapidjson::Document& d) { return IsReplyTo(d, "e3"); }, Millis(5000), &skipped);
  ASSERT_TRUE(ack_frame.has_value());
  rapidjson::Document ack = test::ParseJson(*ack_frame);
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "outcome"), "superseded");
  std::optional<std::string> update_frame;
  for (const std::string& s : skipped) {
    if (IsType(test::ParseJson(s), "data_update")) update_frame = s;
  }
  if (!update_frame) {
    update_frame =
        c->WaitFor([](const rapidjson::Document& d) { return IsType(d, "data_update"); });
  }
  ASSERT_TRUE(update_frame.has_value());
  rapidjson::Document update = test::ParseJson(*update_frame);
  EXPECT_EQ(test::GetString(update, "operation_type"), "delete");
  EXPECT_EQ(test::GetString(update, "source_entry_id"), "e3");
  ASSERT_TRUE(update.HasMember("data") && update["data"].HasMember("single_entity"));
  const rapidjson::Value& entity = update["data"]["single_entity"];
  ASSERT_TRUE(entity.IsObject());
  EXPECT_EQ(entity.MemberCount(), 1u);
  EXPECT_EQ(test::GetString(entity, "id"), "acc-1");

  EXPECT_EQ(FindEntity(InitialData(c, "tenant-a"), "accounts", "acc-1"), nullptr);

  // A change newer than the delete brings it back.
  rapidjson::Document revive =
      SendEntry(c, "e4",
                test::EntryJson("e4", "tenant-a", "Account", "acc-1", "update",
                                test::AccountPayload("Back"), t + 3000));
  EXPECT_EQ(test::GetString(revive, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(revive, "outcome"), "applied");
  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* stored = FindEntity(load, "accounts", "acc-1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(test::GetString(*stored, "name"), "Back");
  EXPECT_EQ(test::GetString(revive, "checksum"), ChecksumOf(*stored));
}

TEST_P(WsSyncTest, AppliedChangeReachesOtherConnectionsOfTheTenantOnly) {
  test::WsClient* a1 = Open("tenant-a");
  test::WsClient* a2 = Open("tenant-a", "/ws/");
  test::WsClient* b = Open("tenant-b");
  ASSERT_TRUE(a1 && a2 && b);
  int64_t t = NowMs();
  std::vector<std::string> a1_extra;
  rapidjson::Document ack = SendEntry(a1, "e1",
                                      test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                      "create", test::AccountPayload("Cash"), t),
                                      &a1_extra);
  ASSERT_EQ(test::GetString(ack, "outcome"), "applied");

  std::optional<std::string> frame = a2->Next();
  ASSERT_TRUE(frame.has_value());
  rapidjson::Document update = test::ParseJson(*frame);
  EXPECT_EQ(test::GetString(update, "type"), "data_update");
  EXPECT_EQ(test::GetString(update, "event_type"), "data_update");
  EXPECT_EQ(test::GetString(update, "tenant_id"), "tenant-a");
  EXPECT_EQ(test::GetString(update, "entity_type"), "Account");
  EXPECT_EQ(test::GetString(update, "operation_type"), "create");
  EXPECT_EQ(test::GetString(update, "source_entry_id"), "e1");
  EXPECT_EQ(test::GetString(update, "checksum"), test::GetString(ack, "checksum"));
  ASSERT_TRUE(update.HasMember("server_timestamp") && update["server_timestamp"].IsInt64());
  EXPECT_GT(update["server_timestamp"].GetInt64(), 1000000000000);  // ms
  ASSERT_TRUE(update.HasMember("data") && update["data"].IsObject() &&
              update["data"].HasMember("single_entity"));
  const rapidjson::Value& entity = update["data"]["single_entity"];
  EXPECT_EQ(test::GetString(entity, "id"), "acc-1");
  EXPECT_EQ(test::GetString(entity, "name"), "Cash");
  EXPECT_EQ(test::GetString(entity, "accountGroupId"), "g1");
  EXPECT_EQ(ChecksumOf(entity), test::GetString(ack, "checksum"));

  // The sender gets no data_update of its own change; tenant-b gets nothing.
  std::vector<std::string> before;
  ASSERT_TRUE(test::FlushWithPing(a1, &before));
  before.insert(before.end(), a1_extra.begin(), a1_extra.end());
  EXPECT_TRUE(before.empty()) << before.front();
  before.clear();
  ASSERT_TRUE(test::FlushWithPing(b, &before));
  EXPECT_TRUE(before.empty()) << before.front();

  // A delete reaches a2 as {"id":…}.
  rapidjson::Document del = SendEntry(
      a1, "e2", test::EntryJson("e2", "tenant-a", "Account", "acc-1", "delete", "null", t + 1));
  ASSERT_EQ(test::GetString(del, "outcome"), "applied");
  std::optional<std::string> del_frame =
      a2->WaitFor([](const rapidjson::Document& d) { return IsType(d, "data_update"); });
  ASSERT_TRUE(del_frame.has_value());
  rapidjson::Document del_update = test::ParseJson(*del_frame);
  EXPECT_EQ(test::GetString(del_update, "operation_type"), "delete");
  EXPECT_EQ(test::GetString(del_update, "source_entry_id"), "e2");
  const rapidjson::Value& gone = del_update["data"]["single_entity"];
  EXPECT_EQ(gone.MemberCount(), 1u);
  EXPECT_EQ(test::GetString(gone, "id"), "acc-1");
  before.clear();
  ASSERT_TRUE(test::FlushWithPing(b, &before));
  EXPECT_TRUE(before.empty()) << before.front();
}

TEST_P(WsSyncTest, ThousandPipelinedEntriesAreEachAnsweredOnce) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  constexpr int kCount = 1000;
  int64_t t = NowMs();
  for (int i = 0; i < kCount; ++i) {
    std::string id = "p-" + std::to_string(i);
    // 100 entities, ten increasing versions each.
    std::string entity = "acc-" + std::to_string(i % 100);
    ASSERT_TRUE(c->Send(test::SyncEntryMessage(
        test::EntryJson(id, "tenant-a", "Account", entity, "update",
                        test::AccountPayload("v" + std::to_string(i)), t + i))));
  }
  std::map<std::string, int> replies;
  int acks = 0;
  for (int n = 0; n < kCount; ++n) {
    std::optional<std::string> frame = c->Next(Millis(20000));
    ASSERT_TRUE(frame.has_value()) << "only " << n << " replies";
    rapidjson::Document d = test::ParseJson(*frame);
    ASSERT_TRUE(IsType(d, "sync_ack") || IsType(d, "sync_nack")) << *frame;
    ++replies[test::GetString(d, "id")];
    if (IsType(d, "sync_ack") && test::GetString(d, "outcome") == "applied") ++acks;
  }
  EXPECT_EQ(replies.size(), static_cast<size_t>(kCount));
  for (const auto& [id, count] : replies) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(acks, kCount);
  std::vector<std::string> extra;
  ASSERT_TRUE(test::FlushWithPing(c, &extra));
  EXPECT_TRUE(extra.empty()) << extra.size() << " extra frames, first " << extra.front();

  // The last version of each entity is what is stored.
  rapidjson::Document load = InitialData(c, "tenant-a");
  EXPECT_EQ(load["total_count"].GetInt64(), 100);
  const rapidjson::Value* acc7 = FindEntity(load, "accounts", "acc-7");
  ASSERT_NE(acc7, nullptr);
  EXPECT_EQ(test::GetString(*acc7, "name"), "v907");
}

std::string BatchMessage(int count, const std::string& prefix, int64_t t) {
  std::string msg = R"({"type":"process_sync_batch","entries":[)";
  for (int i = 0; i < count; ++i) {
    if (i > 0) msg += ",";
    msg += test::EntryJson(prefix + std::to_string(i), "tenant-a", "Tag",
                           "tag-" + std::to_string(i), "create", R"({"name":"t"})", t);
  }
  return msg + "]}";
}

TEST_P(WsSyncTest, BatchOfFiftyGetsFiftyReplies) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(BatchMessage(50, "b-", NowMs())));
  std::set<std::string> ids;
  for (int n = 0; n < 50; ++n) {
    std::optional<std::string> frame = c->Next();
    ASSERT_TRUE(frame.has_value()) << "only " << n << " replies";
    rapidjson::Document d = test::ParseJson(*frame);
    EXPECT_EQ(test::GetString(d, "type"), "sync_ack") << *frame;
    EXPECT_EQ(test::GetString(d, "outcome"), "applied") << *frame;
    EXPECT_TRUE(ids.insert(test::GetString(d, "id")).second) << "twice: " << *frame;
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(ids.count("b-0"), 1u);
  EXPECT_EQ(ids.count("b-49"), 1u);
  std::vector<std::string> extra;
  ASSERT_TRUE(test::FlushWithPing(c, &extra));
  EXPECT_TRUE(extra.empty());
}

TEST_P(WsSyncTest, BatchOverThousandEntriesIsAnError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  std::vector<std::string> skipped;
  rapidjson::Document error = Request(c, BatchMessage(1001, "big-", NowMs()), "error", &skipped);
  ASSERT_TRUE(error.IsObject());
  EXPECT_EQ(test::GetString(error, "code"), "too_large");
  EXPECT_FALSE(test::GetString(error, "message").empty());
  EXPECT_TRUE(skipped.empty());
  std::vector<std::string> extra;
  ASSERT_TRUE(test::FlushWithPing(c, &extra));
  EXPECT_TRUE(extra.empty()) << extra.front();
  EXPECT_EQ(InitialData(c, "tenant-a")["total_count"].GetInt64(), 0);
}

TEST_P(WsSyncTest, ResendAfterReconnectGetsSameAckMarkedDuplicate) {
  const std::string entry = test::EntryJson("e1", "tenant-a", "Account", "acc-1", "create",
                                            test::AccountPayload("Cash"), NowMs());
  std::string first_text;
  {
    test::WsClient* c = Open("tenant-a");
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Send(test::SyncEntryMessage(entry)));
    std::optional<std::string> frame =
        c->WaitFor([](const rapidjson::Document& d) { return IsReplyTo(d, "e1"); });
    ASSERT_TRUE(frame.has_value());
    first_text = *frame;
    c->Close();
    ASSERT_TRUE(c->WaitClosed());
  }
  rapidjson::Document first = test::ParseJson(first_text);
  ASSERT_EQ(test::GetString(first, "type"), "sync_ack");

  test::WsClient* again = Open("tenant-a");
  ASSERT_NE(again, nullptr);
  rapidjson::Document second = SendEntry(again, "e1", entry);
  ASSERT_TRUE(second.IsObject());
  ASSERT_TRUE(second.HasMember("duplicate"));
  EXPECT_TRUE(second["duplicate"].IsBool() && second["duplicate"].GetBool());
  second.RemoveMember("duplicate");
  EXPECT_TRUE(second == first) << "first: " << first_text;

  // Not applied twice: the resend causes no data_update elsewhere.
  test::WsClient* other = Open("tenant-a");
  ASSERT_NE(other, nullptr);
  rapidjson::Document third = SendEntry(again, "e1", entry);
  EXPECT_TRUE(third.HasMember("duplicate"));
  std::vector<std::string> before;
  ASSERT_TRUE(test::FlushWithPing(other, &before));
  EXPECT_TRUE(before.empty()) << before.front();
}

// protocol.md, Idempotency: a permanently refused id is remembered. Its
// resend on a new connection gets the same NACK marked duplicate, whether
// the resend is the same invalid entry or a corrected one; an entry without
// a readable id is not remembered.
TEST_P(WsSyncTest, PermanentlyRefusedIdResentOnANewConnectionGetsTheSameNackMarkedDuplicate) {
  const std::string invalid = test::EntryJson("bad-1", "tenant-a", "Account", "acc-1", "create",
                                              R"({"accountGroupId":"g1"})", NowMs());
  const std::string foreign = test::EntryJson("bad-2", "tenant-b", "Account", "acc-1", "create",
                                              test::AccountPayload("x"), NowMs());
  std::map<std::string, std::string> first;  // id -> the first NACK's text
  {
    test::WsClient* c = Open("tenant-a");
    ASSERT_NE(c, nullptr);
    for (const auto& [id, entry] : {std::pair{"bad-1", invalid}, std::pair{"bad-2", foreign}}) {
      ASSERT_TRUE(c->Send(test::SyncEntryMessage(entry)));
      std::string wanted = id;
      std::optional<std::string> frame =
          c->WaitFor([&wanted](const rapidjson::Document& d) { return IsReplyTo(d, wanted); });
      ASSERT_TRUE(frame.has_value()) << id;
      first[id] = *frame;
      rapidjson::Document nack = test::ParseJson(*frame);
      EXPECT_EQ(test::GetString(nack, "type"), "sync_nack");
      EXPECT_FALSE(nack.HasMember("duplicate"));
    }
    EXPECT_EQ(test::GetString(test::ParseJson(first["bad-1"]), "reason"), "validation_error");
    EXPECT_EQ(test::GetString(test::ParseJson(first["bad-2"]), "reason"), "permission_error");
    c->Close();
    ASSERT_TRUE(c->WaitClosed());
  }

  test::WsClient* again = Open("tenant-a");
  ASSERT_NE(again, nullptr);
  const std::string corrected = test::EntryJson("bad-1", "tenant-a", "Account", "acc-1", "create",
                                                test::AccountPayload("Fixed"), NowMs());
  for (const auto& [id, entry] :
       {std::pair{"bad-1", invalid}, std::pair{"bad-2", foreign}, std::pair{"bad-1", corrected}}) {
    rapidjson::Document resent = SendEntry(again, id, entry);
    ASSERT_TRUE(resent.IsObject()) << id;
    ASSERT_TRUE(resent.HasMember("duplicate") && resent["duplicate"].IsBool()) << id;
    EXPECT_TRUE(resent["duplicate"].GetBool());
    resent.RemoveMember("duplicate");
    // The same message as the first time, server_timestamp included.
    EXPECT_TRUE(resent == test::ParseJson(first[id])) << "first: " << first[id];
  }
  // The corrected resend was not applied: the id is taken.
  EXPECT_EQ(InitialData(again, "tenant-a")["total_count"].GetInt64(), 0);

  // No readable id: nothing to remember, every send is a fresh NACK.
  const std::string no_id =
      R"({"tenantId":"tenant-a","entityType":"Tag","entityId":"t-1","operationType":"create",)"
      R"("payload":{},"timestamp":1})";
  for (int i = 0; i < 2; ++i) {
    rapidjson::Document nack = Request(again, test::SyncEntryMessage(no_id), "sync_nack");
    EXPECT_FALSE(nack.HasMember("id"));
    EXPECT_FALSE(nack.HasMember("duplicate"));
  }
}

TEST_P(WsSyncTest, VersionIsUpdatedAtThenUpdatedAtCamelThenTimestamp) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t t = NowMs();
  // updated_at without a zone is UTC, and wins over the entry's timestamp.
  rapidjson::Document first =
      SendEntry(c, "e1",
                test::EntryJson("e1", "tenant-a", "Tag", "tag-1", "create",
                                R"({"name":"future","updated_at":"2030-01-01T00:00:00"})", t));
  ASSERT_EQ(test::GetString(first, "outcome"), "applied");
  rapidjson::Document load = InitialData(c, "tenant-a");
  const rapidjson::Value* stored = FindEntity(load, "tags", "tag-1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(test::GetString(*stored, "updated_at"), "2030-01-01T00:00:00.000Z");

  // A later timestamp does not beat the stored 2030 version...
  rapidjson::Document late = SendEntry(
      c, "e2",
      test::EntryJson("e2", "tenant-a", "Tag", "tag-1", "update", R"({"name":"now"})", t + 1));
  EXPECT_EQ(test::GetString(late, "outcome"), "superseded");
  // ...but a newer updatedAt does.
  rapidjson::Document newer =
      SendEntry(c, "e3",
                test::EntryJson("e3", "tenant-a", "Tag", "tag-1", "update",
                                R"({"name":"later","updatedAt":"2031-06-01T12:00:00+02:00"})", t));
  EXPECT_EQ(test::GetString(newer, "outcome"), "applied");
  load = InitialData(c, "tenant-a");
  stored = FindEntity(load, "tags", "tag-1");
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(test::GetString(*stored, "name"), "later");
  EXPECT_EQ(test::GetString(*stored, "updated_at"), "2031-06-01T10:00:00.000Z");
}

TEST_P(WsSyncTest, TenantsAreIsolatedForEntitiesAndEntryIds) {
  test::WsClient* a = Open("tenant-a");
  test::WsClient* b = Open("tenant-b");
  ASSERT_TRUE(a && b);
  int64_t t = NowMs();
  // Same entry id and entity id in two tenants: two independent changes.
  rapidjson::Document ack_a = SendEntry(a, "e1",
                                        test::EntryJson("e1", "tenant-a", "Account", "acc-1",
                                                        "create", test::AccountPayload("A"), t));
  rapidjson::Document ack_b = SendEntry(b, "e1",
                                        test::EntryJson("e1", "tenant-b", "Account", "acc-1",
                                                        "create", test::AccountPayload("B"), t));
  EXPECT_EQ(test::GetString(ack_a, "outcome"), "applied");
  EXPECT_EQ(test::GetString(ack_b, "outcome"), "applied");
  EXPECT_FALSE(ack_b.HasMember("duplicate"));
  rapidjson::Document load_a = InitialData(a, "tenant-a");
  rapidjson::Document load_b = InitialData(b, "tenant-b");
  ASSERT_NE(FindEntity(load_a, "accounts", "acc-1"), nullptr);
  ASSERT_NE(FindEntity(load_b, "accounts", "acc-1"), nullptr);
  EXPECT_EQ(test::GetString(*FindEntity(load_a, "accounts", "acc-1"), "name"), "A");
  EXPECT_EQ(test::GetString(*FindEntity(load_b, "accounts", "acc-1"), "name"), "B");
}

TEST_P(WsSyncTest, SameEntrySentTwiceIsAnsweredTwiceAndAppliedOnce) {
  test::WsClient* c = Open("tenant-a");
  test::WsClient* other = Open("tenant-a");
  ASSERT_TRUE(c && other);
  const std::string entry = test::EntryJson("e1", "tenant-a", "Account", "acc-1", "create",
                                            test::AccountPayload("Cash"), NowMs());
  ASSERT_TRUE(c->Send(test::SyncEntryMessage(entry)));
  ASSERT_TRUE(c->Send(test::SyncEntryMessage(entry)));
  std::vector<rapidjson::Document> replies;
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> frame = c->Next();
    ASSERT_TRUE(frame.has_value()) << "reply " << i;
    replies.push_back(test::ParseJson(*frame));
    EXPECT_TRUE(IsReplyTo(replies.back(), "e1")) << *frame;
    EXPECT_EQ(test::GetString(replies.back(), "type"), "sync_ack") << *frame;
    EXPECT_EQ(test::GetString(replies.back(), "outcome"), "applied") << *frame;
  }
  EXPECT_EQ(test::GetString(replies[0], "checksum"), test::GetString(replies[1], "checksum"));
  std::vector<std::string> extra;
  ASSERT_TRUE(test::FlushWithPing(c, &extra));
  EXPECT_TRUE(extra.empty()) << extra.front();
  // Applied once: the other connection saw one data_update.
  std::vector<std::string> seen;
  ASSERT_TRUE(test::FlushWithPing(other, &seen));
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(WsSyncTest, ResendOnAnotherConnectionWhileInFlightIsAnsweredThere) {
  test::WsClient* first = Open("tenant-a");
  test::WsClient* second = Open("tenant-a");
  ASSERT_TRUE(first && second);
  const std::string entry =
      test::EntryJson("e1", "tenant-a", "Tag", "tag-1", "create", R"({"name":"x"})", NowMs());
  ASSERT_TRUE(first->Send(test::SyncEntryMessage(entry)));
  ASSERT_TRUE(second->Send(test::SyncEntryMessage(entry)));
  for (test::WsClient* c : {first, second}) {
    std::optional<std::string> frame =
        c->WaitFor([](const rapidjson::Document& d) { return IsReplyTo(d, "e1"); });
    ASSERT_TRUE(frame.has_value());
    rapidjson::Document d = test::ParseJson(*frame);
    EXPECT_EQ(test::GetString(d, "type"), "sync_ack");
    EXPECT_EQ(test::GetString(d, "outcome"), "applied");
  }
  EXPECT_EQ(InitialData(first, "tenant-a")["total_count"].GetInt64(), 1);
}

// Durability rule 3: one entry the database refuses (a trigger the test adds
// raises for entity "poison", as a broken constraint would) is NACKed
// constraint_error, permanent; its neighbours in the same batch are applied.
// On PostgreSQL the writes of an apply pass are sent ahead (pipeline mode):
// the refusal must still be that entry's alone.
TEST_P(WsSyncTest, AnEntryTheDatabaseRefusesFailsAloneItsBatchNeighboursApply) {
  if (engine_ == test::Engine::kPostgres) {
    ASSERT_EQ(test::ExecPostgres(db_path_,
                                 "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$"
                                 " BEGIN IF NEW.entity_id = 'poison' THEN RAISE EXCEPTION"
                                 " 'poisoned row' USING ERRCODE = 'check_violation'; END IF;"
                                 " RETURN NEW; END $$;"
                                 " CREATE TRIGGER poison BEFORE INSERT ON entities"
                                 " FOR EACH ROW EXECUTE FUNCTION poison()"),
              "");
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);  // the running server's connections
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER poison BEFORE INSERT ON entities"
                           " WHEN NEW.entity_id = 'poison'"
                           " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  int64_t t = NowMs();
  std::string batch = R"({"type":"process_sync_batch","entries":[)";
  const std::vector<std::string> entities = {"good-1", "poison", "good-2"};
  for (size_t i = 0; i < entities.size(); ++i) {
    if (i > 0) batch += ",";
    batch += test::EntryJson("p-" + std::to_string(i), "tenant-a", "Tag", entities[i], "create",
                             R"({"name":"t"})", t);
  }
  ASSERT_TRUE(c->Send(batch + "]}"));
  std::map<std::string, rapidjson::Document> replies;
  while (replies.size() < entities.size()) {
    std::optional<std::string> frame = c->WaitFor(
        [](const rapidjson::Document& d) { return test::IsSyncReply(d); }, Millis(10000));
    ASSERT_TRUE(frame.has_value()) << replies.size() << " replies";
    rapidjson::Document d = test::ParseJson(*frame);
    std::string id = test::GetString(d, "id");
    replies[id] = std::move(d);
  }
  EXPECT_EQ(test::GetString(replies["p-0"], "type"), "sync_ack");
  EXPECT_EQ(test::GetString(replies["p-2"], "type"), "sync_ack");
  EXPECT_EQ(test::GetString(replies["p-1"], "type"), "sync_nack");
  EXPECT_EQ(test::GetString(replies["p-1"], "reason"), "constraint_error");
  EXPECT_TRUE(test::GetBool(replies["p-1"], "is_permanent"));
}

class WsBackpressureTest : public E2eTest {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "syncd-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = dir_ + "/syncd.db";
  }
};

TEST_F(WsBackpressureTest, FullQueueNacksRateLimitWithRetryAfter) {
  app::Options options = MakeOptions();
  options.queue_max = 2;
  StartApp(options);
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  constexpr int kCount = 500;
  std::string msg = R"({"type":"process_sync_batch","entries":[)";
  int64_t t = NowMs();
  for (int i = 0; i < kCount; ++i) {
    if (i > 0) msg += ",";
    msg += test::EntryJson("q-" + std::to_string(i), "tenant-a", "Tag", "tag-" + std::to_string(i),
                           "create", R"({"name":"t"})", t);
  }
  ASSERT_TRUE(c->Send(msg + "]}"));
  std::set<std::string> ids;
  int limited = 0;
  for (int n = 0; n < kCount; ++n) {
    std::optional<std::string> frame = c->Next(Millis(10000));
    ASSERT_TRUE(frame.has_value()) << "only " << n << " replies";
    rapidjson::Document d = test::ParseJson(*frame);
    EXPECT_TRUE(ids.insert(test::GetString(d, "id")).second) << *frame;
    if (IsType(d, "sync_nack")) {
      ++limited;
      EXPECT_EQ(test::GetString(d, "reason"), "rate_limit_error") << *frame;
      EXPECT_EQ(test::GetString(d, "status"), "failed");
      ASSERT_TRUE(d.HasMember("is_permanent"));
      EXPECT_FALSE(d["is_permanent"].GetBool());
      ASSERT_TRUE(d.HasMember("retry_after") && d["retry_after"].IsInt64()) << *frame;
      EXPECT_GT(d["retry_after"].GetInt64(), 0);
    } else {
      EXPECT_EQ(test::GetString(d, "type"), "sync_ack") << *frame;
    }
  }
  EXPECT_GT(limited, 0);
}

TEST_F(WsBackpressureTest, ExhaustedRetriesNackSystemErrorWithRetryAfter) {
  app::Options options = MakeOptions();
  options.fault_commit_rate = 1.0;  // every apply commit fails transiently
  options.max_attempts = 2;
  options.retry_base_ms = 1;
  options.retry_max_ms = 5;
  StartApp(options);
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document nack = SendEntry(
      c, "e1",
      test::EntryJson("e1", "tenant-a", "Tag", "tag-1", "create", R"({"name":"x"})", NowMs()));
  EXPECT_EQ(test::GetString(nack, "type"), "sync_nack");
  EXPECT_EQ(test::GetString(nack, "id"), "e1");
  EXPECT_EQ(test::GetString(nack, "status"), "failed");
  EXPECT_EQ(test::GetString(nack, "entityId"), "tag-1");
  EXPECT_EQ(test::GetString(nack, "entityType"), "Tag");
  EXPECT_EQ(test::GetString(nack, "operationType"), "create");
  EXPECT_EQ(test::GetString(nack, "reason"), "system_error");
  ASSERT_TRUE(nack.HasMember("is_permanent"));
  EXPECT_FALSE(nack["is_permanent"].GetBool());
  ASSERT_TRUE(nack.HasMember("retry_after") && nack["retry_after"].IsInt64());
  EXPECT_GT(nack["retry_after"].GetInt64(), 0);
  EXPECT_EQ(InitialData(c, "tenant-a")["total_count"].GetInt64(), 0);
}

}  // namespace
}  // namespace syncd::e2e
