// Three instances on one PostgreSQL database, clients spread over them, one
// instance SIGKILLed under pipelined load (scale.md 1 and 2): its clients
// reconnect to the survivors and send again everything that got no answer.
// Then every acknowledged entry is in initial_data_load, every client got
// exactly one answer per entry id (a resend of an entry committed before the
// kill answered as a duplicate), and the dead instance's unfinished rows
// were claimed by the survivors within --instance-timeout-ms (plus a margin
// for the orphan scan and the apply).
//
// Each round kills another instance and starts it again under a new id. The
// seed is printed; SYNCD_KILL_SEED=<n> replays a run's kill points.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
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
using Clock = std::chrono::steady_clock;

constexpr int kInstances = 3;
constexpr int kRounds = 3;
constexpr int kClientsPerInstance = 2;
constexpr int kEntriesPerClient = 300;
constexpr int kHeartbeatMs = 100;
constexpr int kInstanceTimeoutMs = 1000;
// Claimed again within the timeout, plus a few orphan scans and applies.
constexpr int kReclaimMarginMs = 3000;
constexpr const char* kTenant = "kill-tenant";

struct Entry {
  std::string id, entity_id, name, json;
};

struct Reply {
  bool acked = false;
  bool duplicate = false;
};

// One client (a device): its entries, and the answers it got on any of its
// connections. A connection's reader thread fills it.
struct Client {
  std::vector<Entry> entries;
  std::unique_ptr<test::WsClient> conn;
  int instance = 0;
  std::mutex mu;
  std::map<std::string, Reply> replies;
  std::vector<std::string> problems;  // an id answered twice, a NACK

  void Add(const rapidjson::Document& d) {
    std::string id = test::GetString(d, "id");
    Reply r;
    r.acked = test::GetString(d, "type") == "sync_ack";
    r.duplicate = test::GetBool(d, "duplicate");
    std::lock_guard<std::mutex> lock(mu);
    if (!replies.emplace(id, r).second) problems.push_back(id + " answered twice");
    if (!r.acked) problems.push_back(id + " NACKed " + test::GetString(d, "reason"));
  }
  size_t answered() {
    std::lock_guard<std::mutex> lock(mu);
    return replies.size();
  }
};

std::vector<std::string> InstanceArgs(const std::string& url, const std::string& id) {
  return {"--db",
          url,
          "--instance-id",
          id,
          "--heartbeat-ms",
          std::to_string(kHeartbeatMs),
          "--instance-timeout-ms",
          std::to_string(kInstanceTimeoutMs)};
}

rapidjson::Document Stats(const test::SyncdProcess& server) {
  return test::ParseJson(
      test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/api/v1/queue/stats").body);
}

// The `in_flight` of instance `id` in the statistics' instances list; 0 when
// it is not listed (a dead instance is listed only while it holds rows).
int64_t InFlightOf(const rapidjson::Document& stats, const std::string& id) {
  if (!stats.IsObject() || !stats.HasMember("instances") || !stats["instances"].IsArray()) {
    return -1;
  }
  for (const rapidjson::Value& i : stats["instances"].GetArray()) {
    if (test::GetString(i, "id") == id) return test::GetInt(i, "in_flight");
  }
  return 0;
}

// Unfinished queue rows that instance `id` holds, straight from the database
// (any state: in_flight, retry_wait); -1 when the query failed.
int64_t HeldBy(PGconn* db, const std::string& id) {
  const char* params[] = {id.c_str()};
  PGresult* r = PQexecParams(db,
                             "SELECT count(*) FROM sync_queue WHERE owner = $1"
                             " AND finished_at_ms = 0 AND state <> 'dead'",
                             1, nullptr, params, nullptr, nullptr, 0);
  int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? std::atoll(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  return n;
}

class InstanceKillTest : public ::testing::Test {
 protected:
  void SetUp() override { SYNCD_POSTGRES_DATABASE_OR_SKIP(url_); }
  void TearDown() override {
    if (!url_.empty()) test::DropPostgresDatabase(url_);
  }
  std::string url_;
};

TEST_F(InstanceKillTest, KillNineOfOneInstanceLosesNothingAndItsRowsAreClaimedByTheOthers) {
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("SYNCD_KILL_SEED")) seed = static_cast<unsigned>(std::atoll(s));
  std::printf("[ kill -9  ] seed=%u (replay with SYNCD_KILL_SEED=%u)\n", seed, seed);
  std::mt19937 rng(seed);
  const auto test_start = Clock::now();

  std::array<test::SyncdProcess, kInstances> servers;
  std::array<std::string, kInstances> ids;
  for (int k = 0; k < kInstances; ++k) {
    ids[k] = "i" + std::to_string(k);
    ASSERT_TRUE(servers[k].Start(InstanceArgs(url_, ids[k]), {})) << servers[k].error();
  }

  int64_t acked_checked = 0, lost = 0, resent_total = 0, held_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    const int victim = round % kInstances;
    const int kill_after = std::uniform_int_distribution<int>(20, 120)(rng);

    std::vector<std::unique_ptr<Client>> clients;
    for (int k = 0; k < kInstances; ++k) {
      for (int j = 0; j < kClientsPerInstance; ++j) {
        auto c = std::make_unique<Client>();
        c->instance = k;
        const int64_t base_ms = 1764130000000LL + round * 10000000LL;
        for (int i = 0; i < kEntriesPerClient; ++i) {
          Entry e;
          std::string tag = "r" + std::to_string(round) + "-c" + std::to_string(clients.size()) +
                            "-" + std::to_string(i);
          e.id = "e-" + tag;
          e.entity_id = "acc-" + tag;
          e.name = "account " + tag;
          e.json = test::AccountEntryJson(kTenant, e.id, e.entity_id, "create", e.name, "g", i,
                                          base_ms + i);
          c->entries.push_back(std::move(e));
        }
        c->conn = std::make_unique<test::WsClient>();
        ASSERT_TRUE(test::ConnectOnline(*c->conn, servers[k].ws_url(kTenant)));
        clients.push_back(std::move(c));
      }
    }

    // Readers: each connection's replies into its client, counting the
    // victim's clients' acks.
    std::atomic<int> victim_acks{0};
    std::atomic<bool> killed{false}, stop{false};
    std::mutex kill_mu;
    std::condition_variable kill_cv;
    const pid_t victim_pid = servers[victim].pid();
    auto read = [&](Client* c, test::WsClient* conn, bool on_victim) {
      while (!stop.load()) {
        std::optional<std::string> frame = conn->Next(Millis(100));
        if (!frame) {
          if (conn->closed()) return;
          continue;
        }
        rapidjson::Document d = test::ParseJson(*frame);
        if (d.HasParseError() || !test::IsSyncReply(d)) continue;
        c->Add(d);
        if (on_victim && test::GetString(d, "type") == "sync_ack") ++victim_acks;
      }
    };
    // The killer: once the victim's clients have `kill_after` acks, SIGKILL
    // as soon as the database shows it holding unfinished rows (entries it
    // persisted and claimed, not yet applied), so that there is something
    // to take over; or when its clients are all answered (nothing held).
    PGconn* db = PQconnectdb(url_.c_str());
    ASSERT_EQ(PQstatus(db), CONNECTION_OK) << PQerrorMessage(db);
    const int victim_entries = kClientsPerInstance * kEntriesPerClient;
    std::thread killer([&] {
      const auto give_up = Clock::now() + std::chrono::seconds(20);
      while (Clock::now() < give_up) {
        if (victim_acks.load() < kill_after) {
          std::this_thread::yield();
          continue;
        }
        if (HeldBy(db, ids[victim]) > 0 || victim_acks.load() >= victim_entries) break;
      }
      if (victim_acks.load() < kill_after) return;  // the wait below fails
      ::kill(victim_pid, SIGKILL);
      std::lock_guard<std::mutex> lock(kill_mu);
      killed = true;
      kill_cv.notify_all();
    });
    std::vector<std::thread> readers;
    for (auto& c : clients) {
      readers.emplace_back(read, c.get(), c->conn.get(), c->instance == victim);
    }
    // Pipelined: every client's entries interleaved, without waiting for
    // answers. A send to the killed instance fails once its socket is gone.
    std::vector<bool> open(clients.size(), true);
    for (int i = 0; i < kEntriesPerClient; ++i) {
      for (size_t c = 0; c < clients.size(); ++c) {
        if (open[c] && !clients[c]->conn->Send(clients[c]->entries[i].json)) open[c] = false;
      }
    }
    killer.join();
    if (!killed.load()) {
      stop = true;
      for (std::thread& t : readers) t.join();
      PQfinish(db);
    }
    ASSERT_TRUE(killed.load()) << "round " << round << ": the victim's clients got fewer than "
                               << kill_after << " acks; its stderr:\n"
                               << servers[victim].stderr_text();
    const auto killed_at = Clock::now();
    servers[victim].Kill9();

    // What the dead instance held: the first look is before any takeover
    // can happen (its heartbeat is younger than the timeout).
    const int survivor = (victim + 1) % kInstances;
    const int64_t held = HeldBy(db, ids[victim]);
    ASSERT_GE(held, 0) << PQerrorMessage(db);
    held_total += held;

    // The victim's clients reconnect to the survivors and resend what got
    // no answer (including what was never sent).
    std::vector<std::thread> resend_readers;
    std::vector<std::unique_ptr<test::WsClient>> retired;  // until their readers are joined
    int resent = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      Client* c = clients[i].get();
      if (c->instance != victim) continue;
      const int to = (victim + 1 + static_cast<int>(i % 2)) % kInstances;
      ASSERT_TRUE(c->conn->WaitClosed(Millis(5000)));
      auto conn = std::make_unique<test::WsClient>();
      ASSERT_TRUE(test::ConnectOnline(*conn, servers[to].ws_url(kTenant)));
      std::vector<const Entry*> unanswered;
      {
        std::lock_guard<std::mutex> lock(c->mu);
        for (const Entry& e : c->entries) {
          if (c->replies.count(e.id) == 0) unanswered.push_back(&e);
        }
      }
      resend_readers.emplace_back(read, c, conn.get(), false);
      for (const Entry* e : unanswered) ASSERT_TRUE(conn->Send(e->json));
      resent += static_cast<int>(unanswered.size());
      retired.push_back(std::move(c->conn));
      c->conn = std::move(conn);
      c->instance = to;
    }
    resent_total += resent;

    // The dead instance's rows are claimed by the survivors in time.
    int64_t reclaim_ms = -1;
    auto reclaim_deadline = killed_at + Millis(kInstanceTimeoutMs + kReclaimMarginMs);
    while (Clock::now() < reclaim_deadline) {
      if (HeldBy(db, ids[victim]) == 0 && InFlightOf(Stats(servers[survivor]), ids[victim]) == 0) {
        reclaim_ms = std::chrono::duration_cast<Millis>(Clock::now() - killed_at).count();
        break;
      }
    }
    EXPECT_GE(reclaim_ms, 0) << "round " << round << ": " << ids[victim] << "'s " << held
                             << " unfinished rows not claimed within "
                             << kInstanceTimeoutMs + kReclaimMarginMs << " ms";

    // Every client's every entry is answered.
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (auto& c : clients) {
      while (c->answered() < c->entries.size() && Clock::now() < deadline) {
        std::this_thread::yield();
        std::unique_lock<std::mutex> lock(kill_mu);
        kill_cv.wait_for(lock, Millis(20));
      }
    }
    stop = true;
    for (std::thread& t : readers) t.join();
    for (std::thread& t : resend_readers) t.join();
    // Nothing more arrives for them: flush each live connection with a ping.
    int duplicates = 0, victim_acked = 0;
    for (auto& c : clients) {
      std::vector<std::string> before;
      ASSERT_TRUE(test::FlushWithPing(c->conn.get(), &before, 7));
      for (const std::string& f : before) {
        rapidjson::Document d = test::ParseJson(f);
        if (test::IsSyncReply(d)) c->Add(d);
      }
      EXPECT_EQ(c->replies.size(), c->entries.size()) << "round " << round << ": unanswered";
      for (const std::string& p : c->problems) ADD_FAILURE() << "round " << round << ": " << p;
      for (const auto& [id, r] : c->replies) duplicates += r.duplicate ? 1 : 0;
    }
    victim_acked = victim_acks.load();

    // Every acknowledged entry is stored (all are acknowledged by now).
    test::WsClient reader;
    ASSERT_TRUE(test::ConnectOnline(reader, servers[survivor].ws_url(kTenant)));
    rapidjson::Document load = test::RequestInitialData(reader, kTenant, Millis(15000));
    ASSERT_FALSE(load.IsNull()) << "no initial_data_load";
    std::map<std::string, const rapidjson::Value*> stored = test::AccountsById(load);
    for (auto& c : clients) {
      for (const Entry& e : c->entries) {
        auto r = c->replies.find(e.id);
        if (r == c->replies.end() || !r->second.acked) continue;
        ++acked_checked;
        auto it = stored.find(e.entity_id);
        if (it == stored.end() || test::GetString(*it->second, "name") != e.name) {
          ++lost;
          ADD_FAILURE() << "round " << round << ": acknowledged entry " << e.id << " is not stored";
        }
      }
    }
    rapidjson::Document stats = Stats(servers[survivor]);
    EXPECT_EQ(test::GetInt2(stats, "depth", "pending"), 0);
    EXPECT_EQ(test::GetInt2(stats, "depth", "in_flight"), 0);
    EXPECT_EQ(test::GetInt2(stats, "depth", "retry_wait"), 0);
    EXPECT_EQ(test::GetInt2(stats, "depth", "dead"), 0);

    std::printf(
        "[ kill -9  ] round %d: SIGKILL %s (its clients got %d acks in all); it held %lld "
        "unfinished rows, "
        "claimed by the others %lld ms after the kill; %d resent to the survivors, %d answered "
        "as duplicates\n",
        round, ids[victim].c_str(), victim_acked, static_cast<long long>(held),
        static_cast<long long>(reclaim_ms), resent, duplicates);
    clients.clear();
    PQfinish(db);

    // The killed machine comes back as a new instance.
    ids[victim] = "i" + std::to_string(victim) + "-r" + std::to_string(round + 1);
    ASSERT_TRUE(servers[victim].Start(InstanceArgs(url_, ids[victim]), {}))
        << servers[victim].error();
  }
  for (test::SyncdProcess& s : servers) EXPECT_EQ(s.Terminate(), 0) << s.stderr_text();

  const double seconds = std::chrono::duration<double>(Clock::now() - test_start).count();
  std::printf(
      "[ kill -9  ] totals: rounds=%d acked_entries_checked=%lld lost=%lld "
      "held_by_killed=%lld resent=%lld seconds=%.1f\n",
      kRounds, static_cast<long long>(acked_checked), static_cast<long long>(lost),
      static_cast<long long>(held_total), static_cast<long long>(resent_total), seconds);
  RecordProperty("seed", std::to_string(seed));
  RecordProperty("rounds", kRounds);
  RecordProperty("acked_entries_checked", static_cast<int>(acked_checked));
  RecordProperty("lost", static_cast<int>(lost));
  EXPECT_EQ(lost, 0);
  EXPECT_GT(held_total, 0) << "no kill found the victim holding unfinished rows";
  EXPECT_EQ(acked_checked, int64_t{kRounds} * kInstances * kClientsPerInstance * kEntriesPerClient);
}

}  // namespace
}  // namespace syncd::crash
