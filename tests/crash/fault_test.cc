// Retry, dead letters and backpressure on the real binary, with the
// SYNCD_FAULT_COMMIT_RATE hook (service.md durability rule 4, protocol.md
// sync_nack fields, the REST acknowledge action and queue statistics).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
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

std::string Entry(const std::string& tenant, const std::string& prefix, int i) {
  return test::AccountEntryJson(
      tenant, prefix + std::to_string(i), prefix + "acc-" + std::to_string(i), "create",
      "account " + std::to_string(i), "g-1", i, 1764130000000LL + i * 1000LL);
}

TEST(FaultTest, ThirtyPercentCommitFailuresStillAckEverything) {
  test::TempDir dir;
  test::SyncdProcess server;
  ASSERT_TRUE(server.Start(
      {"--db", dir.path() + "/syncd.db", "--retry-base-ms", "1", "--retry-max-ms", "20"},
      {{"SYNCD_FAULT_COMMIT_RATE", "0.3"}, {"SYNCD_FAULT_SEED", "7"}}))
      << server.error();
  EXPECT_NE(server.stderr_text().find("SYNCD_FAULT_COMMIT_RATE"), std::string::npos)
      << "no start-up warning about the fault hook:\n"
      << server.stderr_text();
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, server.ws_url("fault")));
  // Sent in chunks of 10, each after the previous one's replies, as the
  // frontend does: that makes at least 50 apply commits, so the seeded 30%
  // failure rate is certain to hit some (one big batch might all succeed).
  constexpr int kEntries = 500;
  constexpr int kChunk = 10;
  std::vector<std::string> twice;
  std::map<std::string, rapidjson::Document> replies;
  for (int start = 0; start < kEntries; start += kChunk) {
    for (int i = start; i < start + kChunk; ++i) ASSERT_TRUE(client.Send(Entry("fault", "f-", i)));
    auto chunk = test::CollectSyncReplies(client, kChunk, Millis(20000), &twice);
    ASSERT_EQ(chunk.size(), static_cast<size_t>(kChunk)) << "chunk at " << start;
    for (auto& [id, d] : chunk) {
      if (!replies.emplace(id, std::move(d)).second) twice.push_back(id);  // answered again
    }
  }
  EXPECT_EQ(replies.size(), static_cast<size_t>(kEntries));
  EXPECT_TRUE(twice.empty()) << twice.size() << " entries answered twice, first " << twice[0];
  int acked = 0;
  for (const auto& [id, d] : replies) {
    if (test::GetString(d, "type") == "sync_ack" && test::GetString(d, "outcome") == "applied") {
      ++acked;
    } else {
      ADD_FAILURE() << id << " not acked applied: " << test::GetString(d, "type") << " "
                    << test::GetString(d, "reason") << " " << test::GetString(d, "detail");
    }
  }
  EXPECT_EQ(acked, kEntries);

  test::HttpResponse stats =
      test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  rapidjson::Document s = test::ParseJson(stats.body);
  std::printf("[ fault    ] 30%% commit failures: %d/%d acked, totals.retries=%lld applied=%lld\n",
              acked, kEntries, static_cast<long long>(test::GetInt2(s, "totals", "retries")),
              static_cast<long long>(test::GetInt2(s, "totals", "applied")));
  EXPECT_GT(test::GetInt2(s, "totals", "retries"), 0) << stats.body;
  EXPECT_EQ(test::GetInt2(s, "totals", "applied"), kEntries) << stats.body;
  EXPECT_EQ(test::GetInt2(s, "totals", "dead_lettered"), 0) << stats.body;
  EXPECT_EQ(test::GetInt2(s, "depth", "retry_wait"), 0) << stats.body;
  EXPECT_EQ(server.Terminate(), 0);
}

TEST(FaultTest, AllCommitsFailingDeadLettersThenManualAckReachesClient) {
  test::TempDir dir;
  test::SyncdProcess server;
  ASSERT_TRUE(server.Start({"--db", dir.path() + "/syncd.db", "--max-attempts", "3",
                            "--retry-base-ms", "1", "--retry-max-ms", "5"},
                           {{"SYNCD_FAULT_COMMIT_RATE", "1"}}))
      << server.error();
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, server.ws_url("dead")));
  ASSERT_TRUE(client.Send(Entry("dead", "d-", 1)));
  std::optional<std::string> nack_text = client.WaitFor(
      [](const rapidjson::Document& d) { return test::IsSyncReply(d); }, Millis(10000));
  ASSERT_TRUE(nack_text.has_value());
  rapidjson::Document nack = test::ParseJson(*nack_text);
  EXPECT_EQ(test::GetString(nack, "type"), "sync_nack") << *nack_text;
  EXPECT_EQ(test::GetString(nack, "id"), "d-1") << *nack_text;
  EXPECT_EQ(test::GetString(nack, "status"), "failed") << *nack_text;
  EXPECT_EQ(test::GetString(nack, "reason"), "system_error") << *nack_text;
  EXPECT_EQ(test::GetString(nack, "entityId"), "d-acc-1") << *nack_text;
  EXPECT_EQ(test::GetString(nack, "entityType"), "Account") << *nack_text;
  ASSERT_TRUE(test::Has(nack, "is_permanent") && nack["is_permanent"].IsBool()) << *nack_text;
  EXPECT_FALSE(nack["is_permanent"].GetBool()) << *nack_text;
  EXPECT_GT(test::GetInt(nack, "retry_after"), 0) << *nack_text;

  test::HttpResponse entry =
      test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/sync/entries/dead/d-1");
  ASSERT_EQ(entry.status, 200) << entry.body;
  rapidjson::Document e = test::ParseJson(entry.body);
  EXPECT_EQ(test::GetString(e, "state"), "dead") << entry.body;
  EXPECT_EQ(test::GetInt(e, "attempts"), 3) << entry.body;

  test::HttpResponse health = test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(test::GetString(test::ParseJson(health.body), "status"), "degraded") << health.body;

  test::HttpResponse ack =
      test::HttpRequest("127.0.0.1", server.http_port(), "POST", "/api/v1/sync/acknowledge",
                        R"({"tenant_id":"dead","entry_id":"d-1","action":"ack"})");
  ASSERT_EQ(ack.status, 200) << ack.body;
  rapidjson::Document a = test::ParseJson(ack.body);
  EXPECT_TRUE(test::GetBool(a, "success")) << ack.body;
  EXPECT_EQ(test::GetString(a, "state"), "done") << ack.body;

  // protocol/service.md: the resulting sync_ack goes to every open connection
  // of the tenant that has sent that entry id: this one.
  std::optional<std::string> manual = client.WaitFor(
      [](const rapidjson::Document& d) { return test::IsSyncReply(d); }, Millis(5000));
  ASSERT_TRUE(manual.has_value())
      << "the operator's ack never reached the connection that sent d-1";
  rapidjson::Document m = test::ParseJson(*manual);
  EXPECT_EQ(test::GetString(m, "type"), "sync_ack") << *manual;
  EXPECT_EQ(test::GetString(m, "id"), "d-1") << *manual;
  EXPECT_EQ(test::GetString(m, "outcome"), "manual") << *manual;
  server.Kill9();  // every apply commit fails: a graceful stop has nothing to finish
}

TEST(BackpressureTest, QueueFullThenRecovers) {
  test::TempDir dir;
  const std::string db = dir.path() + "/syncd.db";
  constexpr int kQueueMax = 50;
  constexpr int kFirst = 80;
  {
    // Every apply commit fails and attempts never run out: nothing drains.
    test::SyncdProcess server;
    ASSERT_TRUE(
        server.Start({"--db", db, "--queue-max", std::to_string(kQueueMax), "--max-attempts",
                      "1000", "--retry-base-ms", "5", "--retry-max-ms", "50"},
                     {{"SYNCD_FAULT_COMMIT_RATE", "1"}}))
        << server.error();
    test::WsClient client;
    ASSERT_TRUE(test::ConnectOnline(client, server.ws_url("bp")));
    for (int i = 0; i < kFirst; ++i) ASSERT_TRUE(client.Send(Entry("bp", "b-", i)));
    std::vector<std::string> twice;
    auto replies = test::CollectSyncReplies(client, kFirst - kQueueMax, Millis(10000), &twice);
    ASSERT_EQ(replies.size(), static_cast<size_t>(kFirst - kQueueMax));
    for (const auto& [id, d] : replies) {
      EXPECT_EQ(test::GetString(d, "type"), "sync_nack") << id;
      EXPECT_EQ(test::GetString(d, "reason"), "rate_limit_error") << id;
      EXPECT_TRUE(test::Has(d, "is_permanent") && d["is_permanent"].IsBool() &&
                  !d["is_permanent"].GetBool())
          << id;
      EXPECT_GT(test::GetInt(d, "retry_after"), 0) << id;
      // The first kQueueMax were accepted; only the ones after were refused.
      EXPECT_GE(std::atoi(id.c_str() + 2), kQueueMax) << id;
    }
    // The accepted ones stay queued: no reply for them (a ping flushes).
    std::vector<std::string> before_pong;
    ASSERT_TRUE(test::FlushWithPing(&client, &before_pong, 7));
    for (const std::string& f : before_pong) {
      EXPECT_FALSE(test::IsSyncReply(test::ParseJson(f)))
          << "unexpected reply while nothing drains: " << f;
    }
    // The accepted entries are written to the queue by the pipeline thread,
    // a few commits after they were taken: wait until all are in before the
    // kill (an accepted entry that was never persisted was never answered
    // either, so its client would send it again).
    bool queued = false;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         !queued && std::chrono::steady_clock::now() < until;) {
      rapidjson::Document s = test::ParseJson(
          test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats").body);
      queued = test::GetInt2(s, "depth", "pending") + test::GetInt2(s, "depth", "in_flight") +
                   test::GetInt2(s, "depth", "retry_wait") ==
               kQueueMax;
    }
    ASSERT_TRUE(queued) << "the accepted entries were not all queued";
    server.Kill9();
  }
  {
    // Restarted without faults on the same database: the queue drains, and
    // every entry, the refused ones and new ones included, is accepted and acked.
    test::SyncdProcess server;
    ASSERT_TRUE(server.Start({"--db", db, "--queue-max", std::to_string(kQueueMax)}, {}))
        << server.error();
    test::WsClient client;
    ASSERT_TRUE(test::ConnectOnline(client, server.ws_url("bp")));
    // The recovered entries wait out their backoff (at most --retry-max-ms of
    // the first run), then apply. Wait on the queue depth, with a deadline.
    std::string last_stats;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool drained = false;
    while (!drained && std::chrono::steady_clock::now() < deadline) {
      test::HttpResponse stats =
          test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
      ASSERT_EQ(stats.status, 200) << stats.body;
      last_stats = stats.body;
      rapidjson::Document s = test::ParseJson(stats.body);
      drained = test::GetInt2(s, "depth", "pending") == 0 &&
                test::GetInt2(s, "depth", "in_flight") == 0 &&
                test::GetInt2(s, "depth", "retry_wait") == 0 &&
                test::GetInt2(s, "totals", "applied") == kQueueMax;
    }
    ASSERT_TRUE(drained) << "the recovered queue did not drain: " << last_stats;
    test::HttpResponse first =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/sync/entries/bp/b-0");
    EXPECT_EQ(test::GetString(test::ParseJson(first.body), "state"), "done") << first.body;
    // Sent in steps no larger than the queue, so this client is not refused
    // again while the recovered entries drain.
    int next = 0;
    std::map<std::string, rapidjson::Document> all;
    std::vector<std::string> twice;
    constexpr int kTotal = kFirst + 40;
    while (next < kTotal) {
      int step = std::min(kQueueMax / 2, kTotal - next);
      for (int i = next; i < next + step; ++i) ASSERT_TRUE(client.Send(Entry("bp", "b-", i)));
      auto replies =
          test::CollectSyncReplies(client, static_cast<size_t>(step), Millis(10000), &twice);
      ASSERT_EQ(replies.size(), static_cast<size_t>(step));
      for (auto& [id, d] : replies) all.emplace(id, std::move(d));
      next += step;
    }
    EXPECT_TRUE(twice.empty());
    for (const auto& [id, d] : all) {
      EXPECT_EQ(test::GetString(d, "type"), "sync_ack")
          << id << " " << test::GetString(d, "reason") << " " << test::GetString(d, "detail");
      EXPECT_EQ(test::GetString(d, "outcome"), "applied") << id;
      // The first kQueueMax were applied on recovery: their resend is a duplicate.
      EXPECT_EQ(test::GetBool(d, "duplicate"), std::atoi(id.c_str() + 2) < kQueueMax) << id;
    }
    test::HttpResponse stats =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
    ASSERT_EQ(stats.status, 200);
    rapidjson::Document s = test::ParseJson(stats.body);
    EXPECT_EQ(test::GetInt2(s, "totals", "applied"), kTotal) << stats.body;
    EXPECT_EQ(test::GetInt2(s, "depth", "pending"), 0) << stats.body;
    EXPECT_EQ(test::GetInt2(s, "depth", "retry_wait"), 0) << stats.body;
    EXPECT_EQ(server.Terminate(), 0);
  }
}

}  // namespace
}  // namespace syncd::crash
