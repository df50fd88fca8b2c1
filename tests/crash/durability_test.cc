// service.md durability rule 1 on the real binary: the database runs in WAL
// mode with synchronous=FULL, so the WAL is flushed to the disk (fdatasync)
// by every commit before the entry is acknowledged. A kill -9 keeps the page
// cache and cannot see a missing flush (docs/reliability.md); these tests
// watch the flushes through an LD_PRELOAD shim (fsync_shim.cc) instead, and
// make them fail as a disk that cannot flush would. Each check is also run
// with --sqlite-synchronous NORMAL, where it must see the difference.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef SYNCD_FSYNC_SHIM
#error "SYNCD_FSYNC_SHIM must name the fsync shim library"
#endif

#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::crash {
namespace {

using test::Millis;

constexpr char kTenant[] = "durability-tenant";
constexpr int64_t kT0 = 1764130000000;

// flushes of the WAL file recorded in the shim's log so far.
int WalSyncs(const std::string& log) {
  std::ifstream in(log);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    bool sync =
        line.find(" fdatasync ") != std::string::npos || line.find(" fsync ") != std::string::npos;
    if (sync && line.size() > 4 && line.compare(line.size() - 4, 4, "-wal") == 0) ++n;
  }
  return n;
}

class DurabilityTest : public ::testing::Test {
 protected:
  // The binary with the shim preloaded; `synchronous` empty: the default.
  void StartServer(const std::string& synchronous, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--db", dir_.path() + "/syncd.db"};
    if (!synchronous.empty()) args.insert(args.end(), {"--sqlite-synchronous", synchronous});
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(args, {{"LD_PRELOAD", SYNCD_FSYNC_SHIM},
                                     {"SYNCD_SYNC_LOG", log_},
                                     {"SYNCD_SYNC_FAIL", fail_trigger_}}))
        << server_.error();
    test::ConnectResult r = client_.Connect(server_.ws_url(kTenant));
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_TRUE(client_.WaitFor(
        [](const rapidjson::Document& d) { return test::GetString(d, "status") == "online"; }));
  }

  // Sends one entry and returns its sync_ack / sync_nack.
  rapidjson::Document SendAndWait(int i) {
    std::string id = "dur-" + std::to_string(i);
    EXPECT_TRUE(client_.Send(test::AccountEntryJson(kTenant, id, "acc-" + std::to_string(i),
                                                    "create", "name", "g", i, kT0 + i)));
    std::optional<std::string> reply = client_.WaitFor(
        [&](const rapidjson::Document& d) {
          return test::IsSyncReply(d) && test::GetString(d, "id") == id;
        },
        Millis(20000));
    rapidjson::Document d;
    if (!reply) {
      ADD_FAILURE() << "no reply to " << id << "; stderr: " << server_.stderr_text();
      d.SetObject();
      return d;
    }
    return test::ParseJson(*reply);
  }

  // Of `count` entries sent one at a time, how many were acknowledged after
  // at least one flush of the WAL that happened since they were sent.
  int AcksAfterAWalSync(int first, int count) {
    int synced = 0;
    for (int i = first; i < first + count; ++i) {
      int before = WalSyncs(log_);
      rapidjson::Document reply = SendAndWait(i);
      EXPECT_EQ(test::GetString(reply, "type"), "sync_ack") << i;
      if (WalSyncs(log_) > before) ++synced;
    }
    std::printf("[ durability ] %d of %d acks followed a flush of the WAL\n", synced, count);
    return synced;
  }

  // Flushes fail with EIO from now on.
  void BreakTheDisk() { std::ofstream(fail_trigger_) << "fail\n"; }

  test::TempDir dir_;
  std::string log_ = dir_.path() + "/sync.log";
  std::string fail_trigger_ = dir_.path() + "/fail-syncs";
  test::SyncdProcess server_;
  test::WsClient client_;
};

TEST_F(DurabilityTest, TheDatabaseFileIsInWalModeWhileTheServerRuns) {
  StartServer("");
  ASSERT_EQ(test::GetString(SendAndWait(1), "type"), "sync_ack");
  // journal_mode=WAL is recorded in the file itself: a read-only connection
  // of our own sees what the running server set.
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((dir_.path() + "/syncd.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// synchronous is per connection and not in the file: watch its effect.
TEST_F(DurabilityTest, EveryAckFollowsAFlushOfTheWal) {
  StartServer("");  // the default must be FULL
  SendAndWait(0);   // the first commit creates the WAL
  EXPECT_EQ(AcksAfterAWalSync(1, 20), 20) << "acknowledged without flushing the WAL";
}

TEST_F(DurabilityTest, WithSynchronousNormalAcksComeWithoutAFlushSoTheCheckCanTell) {
  StartServer("NORMAL");
  SendAndWait(0);
  EXPECT_LT(AcksAfterAWalSync(1, 20), 20);
}

// The flush itself failing (EIO): nothing may be acknowledged, every entry
// gets a NACK system_error (the client resends it later).
TEST_F(DurabilityTest, WhenTheWalCannotBeFlushedNoEntryIsAcknowledged) {
  StartServer("", {"--max-attempts", "2", "--retry-base-ms", "1", "--retry-max-ms", "20"});
  ASSERT_EQ(test::GetString(SendAndWait(0), "type"), "sync_ack");
  BreakTheDisk();
  for (int i = 1; i <= 5; ++i) {
    rapidjson::Document reply = SendAndWait(i);
    EXPECT_EQ(test::GetString(reply, "type"), "sync_nack")
        << "acknowledged although no flush worked";
    EXPECT_EQ(test::GetString(reply, "reason"), "system_error");
  }
}

TEST_F(DurabilityTest, WithSynchronousNormalAFailingFlushGoesUnnoticedSoTheCheckCanTell) {
  StartServer("NORMAL", {"--max-attempts", "2", "--retry-base-ms", "1", "--retry-max-ms", "20"});
  ASSERT_EQ(test::GetString(SendAndWait(0), "type"), "sync_ack");
  BreakTheDisk();
  int acks = 0;
  for (int i = 1; i <= 5; ++i)
    acks += test::GetString(SendAndWait(i), "type") == "sync_ack" ? 1 : 0;
  EXPECT_EQ(acks, 5) << "NORMAL does not flush per commit; the FULL check relies on that";
}

}  // namespace
}  // namespace syncd::crash
