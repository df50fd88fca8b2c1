// Crash safety on the real binary (service.md durability rules 1 and 2,
// protocol.md idempotency): syncd is SIGKILLed after a random number of acks
// while ~2,000 pipelined entries are in flight, restarted on the same
// database, and every acknowledged change must be there; every entry of the
// round, sent again, is answered exactly once, and the ones acknowledged
// before the kill as duplicates with the same outcome and checksum.
//
// The seed is printed; SYNCD_CRASH_SEED=<n> replays a run's kill points.
// One suite for both engines: a SQLite file, or a database on the throwaway
// PostgreSQL server (only syncd is killed; PostgreSQL keeps running). The
// restarted process keeps its --instance-id, so it takes its unfinished rows
// back at once instead of waiting for the dead instance's heartbeat to age.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
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

constexpr int kRounds = 4;
constexpr int kEntriesPerRound = 2000;
constexpr int kEntitiesPerRound = 1000;  // each entity gets two entries: create, then update
constexpr int kConnections = 2;
constexpr const char* kTenant = "crash-tenant";

struct SentEntry {
  std::string id, entity_id, name, group, updated_at, json;
  int n = 0;
  int index = 0;  // position in the round; a later entry of an entity has a higher version
};

struct Reply {
  bool acked = false;
  bool duplicate = false;
  std::string outcome, checksum, reason;
};

// Replies of the round's connections, filled by one reader thread per connection.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  int acks = 0;
  std::map<std::string, Reply> replies;
  std::vector<std::string> problems;
  int target = -1;                  // when acks reaches it, on_target runs once
  std::function<void()> on_target;  // (on the reader thread, under the lock)

  void Add(const rapidjson::Document& d) {
    Reply r;
    r.acked = test::GetString(d, "type") == "sync_ack";
    r.duplicate = test::GetBool(d, "duplicate");
    r.outcome = test::GetString(d, "outcome");
    r.checksum = test::GetString(d, "checksum");
    r.reason = test::GetString(d, "reason");
    std::string id = test::GetString(d, "id");
    std::lock_guard<std::mutex> lock(mu);
    if (!replies.emplace(id, r).second) problems.push_back("entry " + id + " answered twice");
    if (!r.acked) problems.push_back("entry " + id + " NACKed " + r.reason);
    if (r.acked && ++acks == target && on_target) on_target();
    cv.notify_all();
  }
};

std::vector<SentEntry> MakeRound(int round) {
  std::vector<SentEntry> entries;
  const int64_t base_ms = 1764130000000LL + round * 100000000LL;
  for (int i = 0; i < kEntriesPerRound; ++i) {
    SentEntry e;
    int k = i % kEntitiesPerRound;
    e.index = i;
    e.id = "r" + std::to_string(round) + "-e" + std::to_string(i);
    e.entity_id = "r" + std::to_string(round) + "-acc-" + std::to_string(k);
    e.name = "account " + std::to_string(k) + " v" + std::to_string(i);
    e.group = "g-" + std::to_string(k % 7);
    e.n = i;
    int64_t version_ms = base_ms + i * 1000LL + (i % 1000);
    e.updated_at = test::IsoMs(version_ms);
    e.json = test::AccountEntryJson(kTenant, e.id, e.entity_id,
                                    i < kEntitiesPerRound ? "create" : "update", e.name, e.group,
                                    e.n, version_ms);
    entries.push_back(std::move(e));
  }
  return entries;
}

// Whether `stored` (an element of initial_data_load) holds exactly the data of `e`.
bool SameData(const rapidjson::Value& stored, const SentEntry& e, std::string* why) {
  auto str = [&](const char* key, const std::string& want) {
    if (test::GetString(stored, key) == want) return true;
    *why = std::string(key) + " is '" + test::GetString(stored, key) + "', want '" + want + "'";
    return false;
  };
  if (!str("id", e.entity_id) || !str("name", e.name) || !str("accountGroupId", e.group) ||
      !str("updated_at", e.updated_at)) {
    return false;
  }
  if (test::GetInt(stored, "n") != e.n) {
    *why = "n is " + std::to_string(test::GetInt(stored, "n")) + ", want " + std::to_string(e.n);
    return false;
  }
  return true;
}

std::string Tail(const std::string& text, size_t n = 2000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

class CrashTest : public ::testing::TestWithParam<test::Engine> {
 protected:
  void TearDown() override {
    if (!pg_url_.empty()) test::DropPostgresDatabase(pg_url_);
  }
  std::string pg_url_;
};

INSTANTIATE_TEST_SUITE_P(Engines, CrashTest,
                         ::testing::Values(test::Engine::kSqlite, test::Engine::kPostgres),
                         test::EngineParamName);

TEST_P(CrashTest, KillNineLosesNoAcknowledgedEntry) {
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("SYNCD_CRASH_SEED")) seed = static_cast<unsigned>(std::atoll(s));
  std::printf("[ crash    ] seed=%u (replay with SYNCD_CRASH_SEED=%u)\n", seed, seed);
  std::mt19937 rng(seed);
  auto test_start = std::chrono::steady_clock::now();

  test::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::vector<std::string> args = {"--db", dir.path() + "/syncd.db"};
  if (GetParam() == test::Engine::kPostgres) {
    SYNCD_POSTGRES_DATABASE_OR_SKIP(pg_url_);
    args = {"--db", pg_url_, "--instance-id", "crash-test"};
  }

  // Across rounds: each entity's final entry (every entry is answered by the
  // end of its round), checked again after every later crash.
  std::map<std::string, SentEntry> settled;
  int64_t acked_checked = 0, lost = 0, settled_checks = 0, resent = 0;

  test::SyncdProcess server;
  ASSERT_TRUE(server.Start(args, {})) << server.error();
  for (int round = 0; round < kRounds; ++round) {
    std::vector<SentEntry> entries = MakeRound(round);
    const int kill_after = std::uniform_int_distribution<int>(50, 1500)(rng);

    // ---- push, and kill -9 after `kill_after` acks ----
    Collector pushed;
    int sent_before_kill = 0;
    bool killed = false;
    pushed.target = kill_after;
    // The reader that sees the target ack kills at once (reaped below), so the
    // kill lands within one read of that ack, while later batches commit.
    const pid_t pid = server.pid();
    pushed.on_target = [pid, &killed] {
      ::kill(pid, SIGKILL);
      killed = true;
    };
    {
      std::vector<std::unique_ptr<test::WsClient>> clients;
      for (int c = 0; c < kConnections; ++c) {
        clients.push_back(std::make_unique<test::WsClient>());
        ASSERT_TRUE(test::ConnectOnline(*clients.back(), server.ws_url(kTenant)));
      }
      std::vector<std::thread> readers;
      for (auto& client : clients) {
        test::WsClient* c = client.get();
        readers.emplace_back([c, &pushed] {
          // Ends when the killed server's connection closes (or nothing comes for 20 s).
          while (std::optional<std::string> frame = c->Next(Millis(20000))) {
            rapidjson::Document d = test::ParseJson(*frame);
            if (!d.HasParseError() && test::IsSyncReply(d)) pushed.Add(d);
          }
        });
      }
      // Entity k's two entries go on the same connection, in version order.
      // A send fails only once the server has been killed (by a reader).
      for (const SentEntry& e : entries) {
        if (!clients[static_cast<size_t>(e.index % kConnections)]->Send(e.json)) break;
        ++sent_before_kill;
      }
      bool reached = false;
      {
        std::unique_lock<std::mutex> lock(pushed.mu);
        reached = pushed.cv.wait_for(lock, std::chrono::seconds(20), [&] { return killed; });
      }
      server.Kill9();
      for (std::thread& t : readers) t.join();
      ASSERT_TRUE(reached) << "round " << round << ": fewer than " << kill_after
                           << " acks within 20 s; syncd stderr (tail):\n"
                           << Tail(server.stderr_text());
    }
    EXPECT_TRUE(pushed.problems.empty()) << pushed.problems.front();
    std::map<std::string, Reply> acked;  // entry id -> the ack received before the kill
    for (const auto& [id, reply] : pushed.replies) {
      if (reply.acked) acked.emplace(id, reply);
    }
    std::printf(
        "[ crash    ] round %d: %d entries sent, SIGKILL at ack %d, %zu acks received in all\n",
        round, sent_before_kill, kill_after, acked.size());

    // ---- restart on the same database ----
    ASSERT_TRUE(server.Start(args, {})) << server.error();
    test::WsClient client;
    ASSERT_TRUE(test::ConnectOnline(client, server.ws_url(kTenant)));
    rapidjson::Document doc = test::RequestInitialData(client, kTenant, Millis(15000));
    ASSERT_FALSE(doc.IsNull()) << "no initial_data_load";
    std::map<std::string, const rapidjson::Value*> stored = test::AccountsById(doc);

    // Every acked entry: its entity holds that entry's data, or the data of a
    // later entry of the same entity (which may have been applied unacked).
    std::map<std::string, std::map<std::string, const SentEntry*>> by_version;
    for (const SentEntry& e : entries) by_version[e.entity_id][e.updated_at] = &e;
    for (const SentEntry& e : entries) {
      if (acked.count(e.id) == 0) continue;
      ++acked_checked;
      auto it = stored.find(e.entity_id);
      if (it == stored.end()) {
        ++lost;
        ADD_FAILURE() << "round " << round << ": acked entry " << e.id << " lost: entity "
                      << e.entity_id << " is missing";
        continue;
      }
      std::string version = test::GetString(*it->second, "updated_at");
      auto found = by_version[e.entity_id].find(version);
      std::string why;
      if (found == by_version[e.entity_id].end() || found->second->index < e.index ||
          !SameData(*it->second, *found->second, &why)) {
        ++lost;
        ADD_FAILURE() << "round " << round << ": acked entry " << e.id << " lost: entity "
                      << e.entity_id << " holds version " << version << " " << why;
      }
    }
    // Earlier rounds are unchanged by this crash.
    for (const auto& [entity_id, e] : settled) {
      ++settled_checks;
      auto it = stored.find(entity_id);
      std::string why;
      if (it == stored.end() || !SameData(*it->second, e, &why)) {
        ++lost;
        ADD_FAILURE() << "round " << round << ": entity " << entity_id
                      << " of an earlier round changed or vanished " << why;
      }
    }

    // ---- resend every entry of the round: each answered exactly once ----
    for (const SentEntry& e : entries) ASSERT_TRUE(client.Send(e.json));
    resent += static_cast<int64_t>(entries.size());
    Collector again;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (static_cast<int>(again.replies.size()) < kEntriesPerRound) {
      auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      std::optional<std::string> frame =
          client.WaitFor([](const rapidjson::Document& d) { return test::IsSyncReply(d); },
                         std::max(left, Millis(0)));
      if (!frame) break;
      again.Add(test::ParseJson(*frame));
    }
    // Flush: nothing more may come for these ids after a ping's pong.
    std::vector<std::string> before_pong;
    ASSERT_TRUE(test::FlushWithPing(&client, &before_pong, 42));
    for (const std::string& f : before_pong) {
      rapidjson::Document d = test::ParseJson(f);
      if (test::IsSyncReply(d)) again.Add(d);
    }
    EXPECT_EQ(static_cast<int>(again.replies.size()), kEntriesPerRound) << "round " << round;
    for (const std::string& p : again.problems) ADD_FAILURE() << "round " << round << ": " << p;
    int unacked_duplicates = 0;  // committed (before the kill or on recovery) but not acked
    for (const SentEntry& e : entries) {
      auto it = again.replies.find(e.id);
      if (it == again.replies.end()) continue;  // counted above
      auto first = acked.find(e.id);
      if (first == acked.end()) {
        if (it->second.duplicate) ++unacked_duplicates;
        continue;
      }
      const Reply& r = it->second;
      EXPECT_TRUE(r.acked && r.duplicate)
          << "round " << round << ": resent acked entry " << e.id << " not a duplicate ack";
      EXPECT_EQ(r.outcome, first->second.outcome) << e.id;
      EXPECT_EQ(r.checksum, first->second.checksum) << e.id;
    }

    std::printf(
        "[ crash    ]   resend: %zu answered; of %zu unacked, %d committed before the kill "
        "or on recovery (duplicate), %zu applied fresh\n",
        again.replies.size(), entries.size() - acked.size(), unacked_duplicates,
        entries.size() - acked.size() - static_cast<size_t>(unacked_duplicates));

    // Nothing is left unfinished.
    test::HttpResponse stats =
        test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats");
    ASSERT_EQ(stats.status, 200) << stats.body;
    rapidjson::Document s = test::ParseJson(stats.body);
    EXPECT_EQ(test::GetInt2(s, "depth", "pending"), 0) << stats.body;
    EXPECT_EQ(test::GetInt2(s, "depth", "in_flight"), 0) << stats.body;
    EXPECT_EQ(test::GetInt2(s, "depth", "retry_wait"), 0) << stats.body;
    EXPECT_EQ(test::GetInt2(s, "depth", "dead"), 0) << stats.body;

    // Every entry is answered now: each entity ends at its last entry.
    for (const SentEntry& e : entries) settled[e.entity_id] = e;
  }
  EXPECT_EQ(server.Terminate(), 0) << server.stderr_text();

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count();
  std::printf(
      "[ crash    ] totals: rounds=%d acked_entries_checked=%lld lost=%lld "
      "earlier_round_entities_rechecked=%lld resent=%lld seconds=%.1f\n",
      kRounds, static_cast<long long>(acked_checked), static_cast<long long>(lost),
      static_cast<long long>(settled_checks), static_cast<long long>(resent), seconds);
  RecordProperty("seed", std::to_string(seed));
  RecordProperty("rounds", kRounds);
  RecordProperty("acked_entries_checked", static_cast<int>(acked_checked));
  RecordProperty("lost", static_cast<int>(lost));
  EXPECT_EQ(lost, 0);
  EXPECT_GT(acked_checked, 0);
}

}  // namespace
}  // namespace syncd::crash
