// `rm syncd.db*` while the real binary runs (hardening issue #8, item 7):
// SQLite keeps writing to the open, deleted file, and syncd used to
// acknowledge every later entry into it (all gone after a restart). Now no
// entry is acknowledged after the delete: each gets sync_nack system_error
// with retry_after, /health says degraded, and a restart on the same path
// finds every entry that was acknowledged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::crash {
namespace {

using test::Millis;

constexpr char kTenant[] = "lost";

std::string Entry(const std::string& id, int i) {
  return test::AccountEntryJson(kTenant, id, "acc-" + id, "create", "account " + id, "g-1", i,
                                1764130000000LL + i * 1000LL);
}

// Sends the entries and returns one reply per id (the first), waiting up to `timeout`.
std::map<std::string, rapidjson::Document> SendAndCollect(test::WsClient& client,
                                                          const std::vector<std::string>& ids,
                                                          Millis timeout) {
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_TRUE(client.Send(Entry(ids[i], static_cast<int>(i))));
  }
  return test::CollectSyncReplies(client, ids.size(), timeout);
}

std::vector<std::string> Ids(const std::string& prefix, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

TEST(LostDatabaseTest, NothingIsAcknowledgedAfterTheFileIsDeletedAndAckedEntriesSurvive) {
  test::TempDir dir;
  std::string db = dir.path() + "/syncd.db";
  std::vector<std::string> before = Ids("before-", 20);
  std::vector<std::string> after = Ids("after-", 25);
  {
    test::SyncdProcess server;
    ASSERT_TRUE(server.Start({"--db", db}, {})) << server.error();
    test::WsClient client;
    ASSERT_TRUE(client.Connect(server.ws_url(kTenant)).ok);
    auto acked = SendAndCollect(client, before, Millis(20000));
    ASSERT_EQ(acked.size(), before.size());
    for (const auto& [id, d] : acked) ASSERT_EQ(test::GetString(d, "type"), "sync_ack") << id;

    // rm syncd.db* (the database, its WAL and shared memory, the lock file).
    for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
      if (file.path().filename().string().rfind("syncd.db", 0) == 0) {
        ASSERT_EQ(::unlink(file.path().c_str()), 0) << file.path();
      }
    }
    auto refused = SendAndCollect(client, after, Millis(20000));
    EXPECT_EQ(refused.size(), after.size()) << "every entry gets an answer";
    for (const auto& [id, d] : refused) {
      EXPECT_EQ(test::GetString(d, "type"), "sync_nack")
          << id << " acknowledged into a deleted file";
      EXPECT_EQ(test::GetString(d, "reason"), "system_error") << id;
      EXPECT_FALSE(test::GetBool(d, "is_permanent")) << id;
      EXPECT_GT(test::GetInt(d, "retry_after"), 0) << id;
      EXPECT_EQ(test::GetString(d, "detail"), "database unavailable; retry later") << id;
    }
    test::HttpResponse health =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/health");
    EXPECT_EQ(test::GetString(test::ParseJson(health.body), "status"), "degraded") << health.body;
    test::HttpResponse stats =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
    EXPECT_EQ(test::GetInt2(test::ParseJson(stats.body), "totals", "nacked"), 25) << stats.body;
    // Read from the pipe by a thread: wait for the line rather than race it.
    EXPECT_TRUE(server.WaitForStderr("database lost", Millis(5000))) << server.stderr_text();
    EXPECT_EQ(server.Terminate(), 0);
  }

  // The restart on the same path: every acknowledged entry is there.
  test::SyncdProcess server;
  ASSERT_TRUE(server.Start({"--db", db}, {})) << server.error();
  for (const std::string& id : before) {
    test::HttpResponse r =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET",
                          std::string("/api/v1/sync/entries/") + kTenant + "/" + id);
    EXPECT_EQ(r.status, 200) << id << " was acknowledged and is gone: " << r.body;
    EXPECT_EQ(test::GetString(test::ParseJson(r.body), "state"), "done") << r.body;
  }
  test::HttpResponse health = test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/health");
  EXPECT_EQ(test::GetString(test::ParseJson(health.body), "status"), "ok") << health.body;
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace syncd::crash
