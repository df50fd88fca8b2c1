// End-to-end: an updated_at tie (protocol.md, Conflict rule). By default a
// differing incoming state wins, the replaced state is a client_wins_tie
// conflict and the tenant's other connections hear of it; the same state
// again is acked and changes nothing; --lww-tie stored keeps the old rule.
#include <map>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

class WsLwwTieTest : public E2eTest {
 protected:
  // Two connections of tenant-a; acc-1 stored as "First" at version t_.
  void OpenAndStore() {
    sender_ = Open("tenant-a");
    other_ = Open("tenant-a");
    ASSERT_NE(sender_, nullptr);
    ASSERT_NE(other_, nullptr);
    rapidjson::Document first =
        SendEntry(sender_, "e1",
                  test::EntryJson("e1", "tenant-a", "Account", "acc-1", "create",
                                  test::AccountPayload("First"), t_));
    ASSERT_EQ(test::GetString(first, "outcome"), "applied");
    first_checksum_ = test::GetString(first, "checksum");
    // The other connection's data_update for e1, so that later reads see
    // only what the tie caused.
    ASSERT_TRUE(other_
                    ->WaitFor([](const rapidjson::Document& d) {
                      return IsType(d, "data_update") &&
                             test::GetString(d, "source_entry_id") == "e1";
                    })
                    .has_value());
  }

  // What the other connection received up to a ping of its own: every
  // data_update the server sent it before has then arrived.
  std::vector<std::string> OtherReceived() {
    std::vector<std::string> before;
    EXPECT_TRUE(test::FlushWithPing(other_, &before));
    return before;
  }

  rapidjson::Document Conflicts() {
    test::HttpResponse r =
        test::HttpGet(kHost, app_->http_port(), "/api/v1/sync/conflicts/tenant-a");
    EXPECT_EQ(r.status, 200) << r.body;
    return test::ParseJson(r.body);
  }

  std::string StoredName() {
    rapidjson::Document load = InitialData(sender_, "tenant-a");
    const rapidjson::Value* stored = FindEntity(load, "accounts", "acc-1");
    return stored == nullptr ? std::string("<none>") : test::GetString(*stored, "name");
  }

  const int64_t t_ = 1764131200123;
  test::WsClient* sender_ = nullptr;
  test::WsClient* other_ = nullptr;
  std::string first_checksum_;
};

TEST_F(WsLwwTieTest, DifferentStateOnATieWinsIsBroadcastAndRecordedAsAConflict) {
  ASSERT_NO_FATAL_FAILURE(OpenAndStore());
  // An edit sent with the updated_at of the state it edited.
  rapidjson::Document ack =
      SendEntry(sender_, "e2",
                test::EntryJson("e2", "tenant-a", "Account", "acc-1", "update",
                                test::AccountPayload("Second"), t_));
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  EXPECT_NE(test::GetString(ack, "checksum"), first_checksum_);
  EXPECT_EQ(StoredName(), "Second");

  std::vector<std::string> other = OtherReceived();
  ASSERT_EQ(other.size(), 1u) << (other.empty() ? "no data_update" : other.back());
  rapidjson::Document update = test::ParseJson(other[0]);
  EXPECT_EQ(test::GetString(update, "type"), "data_update");
  EXPECT_EQ(test::GetString(update, "source_entry_id"), "e2");
  EXPECT_EQ(test::GetString(update["data"]["single_entity"], "name"), "Second");
  EXPECT_EQ(test::GetString(update, "checksum"), test::GetString(ack, "checksum"));

  rapidjson::Document conflicts = Conflicts();
  ASSERT_TRUE(conflicts.HasMember("conflicts") && conflicts["conflicts"].IsArray());
  ASSERT_EQ(conflicts["conflicts"].Size(), 1u);
  const rapidjson::Value& c = conflicts["conflicts"][0];
  EXPECT_EQ(test::GetString(c, "resolution"), "client_wins_tie");
  EXPECT_EQ(test::GetString(c, "entry_id"), "e2");
  EXPECT_EQ(test::GetString(c, "entity_id"), "acc-1");
  // The stored side is the state the tie replaced.
  EXPECT_EQ(test::GetString(c, "stored_checksum"), first_checksum_);
  EXPECT_EQ(test::GetString(c, "incoming_checksum"), test::GetString(ack, "checksum"));
}

TEST_F(WsLwwTieTest, SameStateOnATieIsAppliedAndNothingIsBroadcast) {
  ASSERT_NO_FATAL_FAILURE(OpenAndStore());
  rapidjson::Document ack = SendEntry(sender_, "e2",
                                      test::EntryJson("e2", "tenant-a", "Account", "acc-1",
                                                      "update", test::AccountPayload("First"), t_));
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  EXPECT_EQ(test::GetString(ack, "checksum"), first_checksum_);

  std::vector<std::string> other = OtherReceived();
  EXPECT_TRUE(other.empty()) << other.front();
  // Nor does the sender get its own state back.
  std::vector<std::string> sender;
  EXPECT_TRUE(test::FlushWithPing(sender_, &sender));
  EXPECT_TRUE(sender.empty()) << sender.front();
  rapidjson::Document conflicts = Conflicts();
  ASSERT_TRUE(conflicts.HasMember("conflicts") && conflicts["conflicts"].IsArray());
  EXPECT_EQ(conflicts["conflicts"].Size(), 0u);
  EXPECT_EQ(StoredName(), "First");
}

class WsLwwTieStoredTest : public WsLwwTieTest {
 protected:
  void SetUp() override {
    // SetUp started the default app; this test wants --lww-tie stored.
    E2eTest::SetUp();
    StopApp();
    app::Options options = MakeOptions();
    options.lww_tie = domain::TieRule::kStored;
    StartApp(options);
  }
};

TEST_F(WsLwwTieStoredTest, StoredRuleKeepsTheStoredStateOnATie) {
  ASSERT_NO_FATAL_FAILURE(OpenAndStore());
  std::vector<std::string> skipped;
  rapidjson::Document tie = SendEntry(sender_, "e2",
                                      test::EntryJson("e2", "tenant-a", "Account", "acc-1",
                                                      "update", test::AccountPayload("Second"), t_),
                                      &skipped);
  EXPECT_EQ(test::GetString(tie, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(tie, "outcome"), "superseded");
  EXPECT_EQ(test::GetString(tie, "checksum"), first_checksum_);
  EXPECT_EQ(StoredName(), "First");
  // Nothing for the other connection; a server_wins conflict.
  std::vector<std::string> other = OtherReceived();
  EXPECT_TRUE(other.empty()) << other.front();
  rapidjson::Document conflicts = Conflicts();
  ASSERT_TRUE(conflicts.HasMember("conflicts") && conflicts["conflicts"].IsArray());
  ASSERT_EQ(conflicts["conflicts"].Size(), 1u);
  EXPECT_EQ(test::GetString(conflicts["conflicts"][0], "resolution"), "server_wins");
}

// The real binary reads the rule from SYNCD_LWW_TIE (and --lww-tie, which
// wins): "stored" brings the old outcome back.
TEST(LwwTieBinaryTest, TheRuleIsReadFromTheEnvironmentAndTheFlagWins) {
  const int64_t t = 1764131200123;
  for (bool flag_wins : {false, true}) {
    test::TempDir dir;
    test::SyncdProcess syncd;
    std::vector<std::string> args = {"--db", dir.path() + "/syncd.db"};
    if (flag_wins) args.insert(args.end(), {"--lww-tie", "incoming"});
    ASSERT_TRUE(syncd.Start(args, {{"SYNCD_LWW_TIE", "stored"}})) << syncd.error();
    test::WsClient c;
    ASSERT_TRUE(test::ConnectOnline(c, syncd.ws_url("tenant-a")));
    for (const char* id : {"e1", "e2"}) {
      ASSERT_TRUE(c.Send(test::SyncEntryMessage(
          test::EntryJson(id, "tenant-a", "Account", "acc-1", "update",
                          test::AccountPayload(std::string("Name ") + id), t))));
    }
    std::map<std::string, rapidjson::Document> replies =
        test::CollectSyncReplies(c, 2, test::Millis(5000));
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(test::GetString(replies["e1"], "outcome"), "applied");
    EXPECT_EQ(test::GetString(replies["e2"], "outcome"), flag_wins ? "applied" : "superseded");
    EXPECT_EQ(syncd.Terminate(), 0);
  }
}

}  // namespace
}  // namespace syncd::e2e
