// Several instances on one PostgreSQL database (scale.md 2): when an
// instance is killed, a running instance takes its unfinished entries over
// once the dead one's heartbeat is older than --instance-timeout-ms, applies
// them and answers the clients that resend them. Nothing stays stuck.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::crash {
namespace {

using test::Millis;

constexpr const char* kTenant = "takeover-tenant";
constexpr int kEntries = 40;

// depth.in_flight + depth.retry_wait of an instance's statistics.
int64_t UnfinishedOn(const test::SyncdProcess& server) {
  test::HttpResponse stats =
      test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
  rapidjson::Document s = test::ParseJson(stats.body);
  return test::GetInt2(s, "depth", "in_flight") + test::GetInt2(s, "depth", "retry_wait") +
         test::GetInt2(s, "depth", "pending");
}

class InstanceTakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override { SYNCD_POSTGRES_DATABASE_OR_SKIP(url_); }
  void TearDown() override {
    if (!url_.empty()) test::DropPostgresDatabase(url_);
  }
  std::string url_;
};

TEST_F(InstanceTakeoverTest, ARunningInstanceTakesOverTheEntriesOfAKilledOne) {
  const std::vector<std::string> common = {
      "--db", url_, "--heartbeat-ms", "100", "--instance-timeout-ms", "1000"};
  // Instance a cannot apply anything (every apply commit fails), so the
  // entries it accepted stay unfinished and its own.
  std::vector<std::string> a_args = common;
  a_args.insert(a_args.end(), {"--instance-id", "a", "--max-attempts", "1000", "--retry-base-ms",
                               "20", "--retry-max-ms", "100"});
  test::SyncdProcess a;
  ASSERT_TRUE(a.Start(a_args, {{"SYNCD_FAULT_COMMIT_RATE", "1"}, {"SYNCD_FAULT_SEED", "7"}}))
      << a.error();
  // Instance b is healthy and already running when a dies: at its start,
  // a's entries were not there or a was alive.
  std::vector<std::string> b_args = common;
  b_args.insert(b_args.end(), {"--instance-id", "b"});
  test::SyncdProcess b;
  ASSERT_TRUE(b.Start(b_args, {})) << b.error();

  std::vector<std::string> entries;
  const int64_t base_ms = 1764130000000LL;
  for (int i = 0; i < kEntries; ++i) {
    entries.push_back(test::AccountEntryJson(kTenant, "t-" + std::to_string(i),
                                             "acc-" + std::to_string(i), "create",
                                             "account " + std::to_string(i), "g", i, base_ms + i));
  }
  {
    test::WsClient client;
    ASSERT_TRUE(test::ConnectOnline(client, a.ws_url(kTenant)));
    for (const std::string& e : entries) ASSERT_TRUE(client.Send(e));
    // Every entry is persisted on a (and none can finish there).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (UnfinishedOn(a) < kEntries && std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> ignored;
      ASSERT_TRUE(test::FlushWithPing(&client, &ignored));
    }
    ASSERT_EQ(UnfinishedOn(a), kEntries) << a.stderr_text();
  }
  a.Kill9();

  // The client reconnects to b and sends everything again: each entry is
  // answered exactly once, applied (by b, after it took a's rows over).
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, b.ws_url(kTenant)));
  for (const std::string& e : entries) ASSERT_TRUE(client.Send(e));
  std::map<std::string, std::string> replies;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (static_cast<int>(replies.size()) < kEntries &&
         std::chrono::steady_clock::now() < deadline) {
    std::optional<std::string> frame = client.WaitFor(
        [](const rapidjson::Document& d) { return test::IsSyncReply(d); }, Millis(1000));
    if (!frame) continue;
    rapidjson::Document d = test::ParseJson(*frame);
    std::string id = test::GetString(d, "id");
    EXPECT_TRUE(replies.emplace(id, test::GetString(d, "type")).second) << "twice: " << id;
    EXPECT_EQ(test::GetString(d, "type"), "sync_ack") << *frame;
    EXPECT_EQ(test::GetString(d, "outcome"), "applied") << *frame;
  }
  EXPECT_EQ(static_cast<int>(replies.size()), kEntries)
      << "entries of the killed instance stayed stuck; b's stderr:\n"
      << b.stderr_text();
  EXPECT_EQ(UnfinishedOn(b), 0);
  EXPECT_EQ(b.Terminate(), 0) << b.stderr_text();
}

}  // namespace
}  // namespace syncd::crash
