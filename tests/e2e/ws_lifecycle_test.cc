// End-to-end, on both engines: graceful shutdown with entries in flight, and
// a restart on the same database (data and idempotency survive).
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

class WsLifecycleTest : public E2eEngineTest {};
SYNCD_E2E_ON_BOTH_ENGINES(WsLifecycleTest);

TEST_P(WsLifecycleTest, ShutdownAcksInFlightEntriesThenSendsShutdownAndCloses1001) {
  test::WsClient* c = Open("tenant-a");
  test::WsClient* idle = Open("tenant-b");
  ASSERT_TRUE(c && idle);
  constexpr int kCount = 300;
  int64_t t = NowMs();
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(c->Send(test::SyncEntryMessage(
        test::EntryJson("s-" + std::to_string(i), "tenant-a", "Category",
                        "cat-" + std::to_string(i), "create", R"({"name":"c"})", t))));
  }
  // The pong shows every entry was read and handed to the pipeline; their
  // acks may still be in flight.
  std::vector<std::string> early;
  ASSERT_TRUE(test::FlushWithPing(c, &early));
  // How much was still in flight, for the test report.
  RecordProperty("acked_before_shutdown", static_cast<int>(early.size()));
  app_->Shutdown();

  std::vector<std::string> frames = early;
  for (;;) {
    std::optional<std::string> frame = c->Next();
    if (!frame) break;
    frames.push_back(*frame);
  }
  ASSERT_TRUE(c->WaitClosed());
  EXPECT_EQ(c->close_code(), 1001);

  std::set<std::string> acked;
  bool saw_shutdown = false;
  for (const std::string& text : frames) {
    rapidjson::Document d = test::ParseJson(text);
    if (IsType(d, "status")) {
      EXPECT_EQ(test::GetString(d, "status"), "shutdown");
      saw_shutdown = true;
      continue;
    }
    EXPECT_FALSE(saw_shutdown) << "after shutdown: " << text;
    if (IsType(d, "sync_ack")) {
      EXPECT_EQ(test::GetString(d, "outcome"), "applied");
      EXPECT_TRUE(acked.insert(test::GetString(d, "id")).second) << "twice: " << text;
    } else {
      ADD_FAILURE() << "unexpected frame: " << text;
    }
  }
  EXPECT_TRUE(saw_shutdown);
  EXPECT_EQ(acked.size(), static_cast<size_t>(kCount));

  // The idle connection is told too.
  std::optional<std::string> status = idle->Next();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(test::GetString(test::ParseJson(*status), "status"), "shutdown");
  ASSERT_TRUE(idle->WaitClosed());
  EXPECT_EQ(idle->close_code(), 1001);
}

TEST_P(WsLifecycleTest, RestartKeepsDataAndResendIsDuplicate) {
  const std::string entry = test::EntryJson("e1", "tenant-a", "Recipient", "r-1", "create",
                                            R"({"name":"Shop"})", NowMs());
  rapidjson::Document first;
  {
    test::WsClient* c = Open("tenant-a");
    ASSERT_NE(c, nullptr);
    first = SendEntry(c, "e1", entry);
    ASSERT_EQ(test::GetString(first, "outcome"), "applied");
    ASSERT_EQ(test::GetString(SendEntry(c, "e2",
                                        test::EntryJson("e2", "tenant-a", "Tag", "t-1", "create",
                                                        R"({"name":"x"})", NowMs())),
                              "outcome"),
              "applied");
  }
  StopApp();
  clients_.clear();
  StartApp();

  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document load = InitialData(c, "tenant-a");
  ASSERT_TRUE(load.IsObject());
  EXPECT_EQ(load["total_count"].GetInt64(), 2);
  const rapidjson::Value* recipient = FindEntity(load, "recipients", "r-1");
  ASSERT_NE(recipient, nullptr);
  EXPECT_EQ(test::GetString(*recipient, "name"), "Shop");
  EXPECT_NE(FindEntity(load, "tags", "t-1"), nullptr);

  rapidjson::Document again = SendEntry(c, "e1", entry);
  EXPECT_EQ(test::GetString(again, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(again, "outcome"), "applied");
  EXPECT_EQ(test::GetString(again, "checksum"), ChecksumOf(*recipient));
  ASSERT_TRUE(again.HasMember("duplicate"));
  EXPECT_TRUE(again["duplicate"].GetBool());
  again.RemoveMember("duplicate");
  EXPECT_TRUE(again == first) << "not the same reply as the first time";
}

}  // namespace
}  // namespace syncd::e2e
