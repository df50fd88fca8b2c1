// PostgreSQL restarted (pg_ctl stop -m fast, then start on the same files
// and port) under load from clients of two instances (scale.md, Start, and
// 6): no entry is acknowledged that is not in the database afterwards; what
// could not be persisted is NACKed system_error with retry_after; each
// instance's /health goes degraded and back to ok by itself, and new
// entries are acknowledged again without any restart of syncd. The test
// runs a server of its own (support/postgres_server.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

constexpr const char* kTenant = "pg-restart";
constexpr int kInstances = 2;
constexpr int kWindow = 100;  // unanswered entries per connection at most

// /health of one instance, polled by a thread of its own; the transitions
// of its status (including "" when it did not answer) with their times.
class HealthWatch {
 public:
  explicit HealthWatch(int port) : port_(port), thread_([this] { Run(); }) {}
  ~HealthWatch() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::string> Transitions() {
    std::lock_guard<std::mutex> lock(mu_);
    return transitions_;
  }
  // Whether the statuses went ... degraded ... ok (in that order).
  bool WentDegradedAndBack() {
    std::lock_guard<std::mutex> lock(mu_);
    bool degraded = false;
    for (const std::string& t : transitions_) {
      if (t == "degraded") degraded = true;
      if (degraded && t == "ok") return true;
    }
    return false;
  }
  std::string Text() {
    std::string s;
    for (const std::string& t : Transitions()) s += (s.empty() ? "" : " -> ") + t;
    return s;
  }

 private:
  void Run() {
    std::string last = "-";
    while (!stop_) {
      test::HttpResponse r =
          test::HttpRequest("127.0.0.1", port_, "GET", "/health", "", Millis(2000));
      std::string status = test::GetString(test::ParseJson(r.body), "status");
      if (status != last) {
        std::lock_guard<std::mutex> lock(mu_);
        transitions_.push_back(status);
        last = status;
      }
      // A poll every few milliseconds; the wait is the pace, not a sync.
      std::this_thread::sleep_for(Millis(5));
    }
  }
  const int port_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> transitions_;
  std::thread thread_;
};

// One connection sending entries as fast as its window allows; every reply
// is recorded per entry id (a NACKed entry may be sent again later).
struct Sender {
  std::unique_ptr<test::WsClient> conn;
  std::mutex mu;
  std::condition_variable cv;
  int sent = 0, answered = 0;
  std::map<std::string, std::vector<rapidjson::Document>> replies;
  void Add(rapidjson::Document d) {
    std::string id = test::GetString(d, "id");
    std::lock_guard<std::mutex> lock(mu);
    replies[id].push_back(std::move(d));
    ++answered;
    cv.notify_all();
  }
};

TEST(PostgresRestartTest, UnderLoadNothingAcknowledgedIsLostAndSyncdRecoversByItself) {
  test::PostgresServer pg;
  SYNCD_POSTGRES_SERVER_OR_SKIP(pg);
  std::vector<std::unique_ptr<test::SyncdProcess>> servers;
  for (int k = 0; k < kInstances; ++k) {
    servers.push_back(std::make_unique<test::SyncdProcess>());
    ASSERT_TRUE(servers.back()->Start(
        {"--db", pg.url(), "--instance-id", "r" + std::to_string(k), "--heartbeat-ms", "100",
         "--instance-timeout-ms", "5000", "--retry-base-ms", "10", "--retry-max-ms", "200"},
        {}))
        << servers.back()->error();
  }
  std::vector<std::unique_ptr<HealthWatch>> health;
  for (auto& s : servers) health.push_back(std::make_unique<HealthWatch>(s->http_port()));

  // Entry n: its own entity, so "in the database" is "its entity holds it".
  const int64_t t0 = 1764130000000LL;
  auto entry = [&](int n) {
    std::string id = "p-" + std::to_string(n);
    return test::AccountEntryJson(kTenant, id, "acc-" + id, "create", "name " + id, "g", n, t0 + n);
  };
  std::vector<std::unique_ptr<Sender>> senders;
  for (auto& s : servers) {
    senders.push_back(std::make_unique<Sender>());
    senders.back()->conn = std::make_unique<test::WsClient>();
    ASSERT_TRUE(test::ConnectOnline(*senders.back()->conn, s->ws_url(kTenant)));
  }
  std::atomic<bool> stop_sending{false}, stop_reading{false};
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (auto& sp : senders) {
    Sender* s = sp.get();
    threads.emplace_back([s, &stop_reading] {
      while (!stop_reading.load()) {
        std::optional<std::string> frame = s->conn->Next(Millis(100));
        if (!frame) continue;
        rapidjson::Document d = test::ParseJson(*frame);
        if (!d.HasParseError() && test::IsSyncReply(d)) s->Add(std::move(d));
      }
    });
    threads.emplace_back([s, &stop_sending, &next, &entry] {
      while (!stop_sending.load()) {
        {
          std::unique_lock<std::mutex> lock(s->mu);
          if (!s->cv.wait_for(lock, Millis(100), [s] { return s->sent - s->answered < kWindow; })) {
            continue;
          }
          ++s->sent;
        }
        if (!s->conn->Send(entry(next.fetch_add(1)))) return;
      }
    });
  }
  auto acks = [&] {
    int n = 0;
    for (auto& s : senders) {
      std::lock_guard<std::mutex> lock(s->mu);
      for (const auto& [id, rs] : s->replies) {
        for (const rapidjson::Document& d : rs) n += test::GetString(d, "type") == "sync_ack";
      }
    }
    return n;
  };
  auto wait_until = [](const std::function<bool()>& done, Millis timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(Millis(10));  // a poll's pace
    }
    return true;
  };
  auto finish = [&] {
    stop_sending = true;
    stop_reading = true;
    for (std::thread& t : threads) t.join();
    threads.clear();
  };

  // Load first, then the restart in the middle of it.
  bool loaded = wait_until([&] { return acks() >= 300; }, Millis(20000));
  if (!loaded) finish();
  ASSERT_TRUE(loaded) << "no load: " << acks() << " acks";
  const int acks_before = acks();
  const auto restart_at = Clock::now();
  const bool restarted = pg.Stop() && pg.Start();
  if (!restarted) finish();
  ASSERT_TRUE(restarted) << pg.why();
  const double restart_s = std::chrono::duration<double>(Clock::now() - restart_at).count();

  // Each instance noticed (degraded) and recovered (ok) by itself, and
  // entries sent after the restart are acknowledged again.
  bool recovered = wait_until(
      [&] {
        for (auto& h : health) {
          if (!h->WentDegradedAndBack()) return false;
        }
        return true;
      },
      Millis(30000));
  const double recovered_s = std::chrono::duration<double>(Clock::now() - restart_at).count();
  const int acks_at_recovery = acks();
  bool acking_again = wait_until([&] { return acks() >= acks_at_recovery + 300; }, Millis(20000));
  stop_sending = true;
  // Every entry sent is answered once.
  bool all_answered = wait_until(
      [&] {
        for (auto& s : senders) {
          std::lock_guard<std::mutex> lock(s->mu);
          if (s->answered < s->sent) return false;
        }
        return true;
      },
      Millis(30000));
  finish();
  for (size_t k = 0; k < health.size(); ++k) {
    EXPECT_TRUE(health[k]->WentDegradedAndBack())
        << "instance r" << k << "'s /health: " << health[k]->Text();
  }
  ASSERT_TRUE(recovered);
  EXPECT_TRUE(acking_again) << "no acks after the restart; stderr:\n" << servers[0]->stderr_text();
  EXPECT_TRUE(all_answered);

  // Acknowledged, NACKed (system_error, retry_after: to be sent again).
  std::map<std::string, std::string> acked;  // id -> entity
  std::vector<std::string> nacked;
  for (auto& s : senders) {
    for (const auto& [id, rs] : s->replies) {
      EXPECT_EQ(rs.size(), 1u) << id << " answered " << rs.size() << " times";
      const rapidjson::Document& d = rs.front();
      if (test::GetString(d, "type") == "sync_ack") {
        acked[id] = "acc-" + id;
      } else {
        EXPECT_EQ(test::GetString(d, "reason"), "system_error") << id;
        EXPECT_GT(test::GetInt(d, "retry_after"), 0) << id;
        nacked.push_back(id);
      }
    }
  }
  // The NACKed ones, sent again, are acknowledged.
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, servers[1]->ws_url(kTenant)));
  for (const std::string& id : nacked) {
    ASSERT_TRUE(client.Send(entry(std::stoi(id.substr(2)))));
  }
  std::vector<std::string> twice;
  std::map<std::string, rapidjson::Document> resent =
      test::CollectSyncReplies(client, nacked.size(), Millis(20000), &twice);
  EXPECT_EQ(resent.size(), nacked.size());
  EXPECT_TRUE(twice.empty());
  for (const auto& [id, d] : resent) {
    EXPECT_EQ(test::GetString(d, "type"), "sync_ack") << id;
    acked[id] = "acc-" + id;
  }

  // Every acknowledged entry is in the database.
  rapidjson::Document load = test::RequestInitialData(client, kTenant, Millis(15000));
  ASSERT_FALSE(load.IsNull()) << "no initial_data_load";
  std::map<std::string, const rapidjson::Value*> stored = test::AccountsById(load);
  int lost = 0;
  for (const auto& [id, entity] : acked) {
    auto it = stored.find(entity);
    if (it == stored.end() || test::GetString(*it->second, "name") != "name " + id) {
      ++lost;
      ADD_FAILURE() << "acknowledged entry " << id << " is not in the database";
    }
  }
  std::printf(
      "[ pg restart ] restart took %.1f s; both instances ok again %.1f s after it began; "
      "%d acks before, %zu acknowledged in all, %zu NACKed system_error (acknowledged when sent "
      "again), lost=%d\n",
      restart_s, recovered_s, acks_before, acked.size(), nacked.size(), lost);
  for (size_t k = 0; k < health.size(); ++k) {
    std::printf("[ pg restart ] r%zu /health: %s\n", k, health[k]->Text().c_str());
  }
  EXPECT_EQ(lost, 0);
  health.clear();
  for (auto& s : servers) EXPECT_EQ(s->Terminate(), 0) << s->stderr_text();
}

}  // namespace
}  // namespace syncd::crash
