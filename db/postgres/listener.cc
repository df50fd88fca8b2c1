// The PostgreSQL listener (postgres_store.h, StartPostgresListener): LISTEN
// on its own connection, read back what the other instances announce, catch
// up from the table after the connection was down. Its SQL is in
// postgres/sql.h.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "postgres/pg_connection.h"
#include "postgres/rows.h"
#include "postgres/sql.h"
#include "syncd/common/clock.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {
namespace {

// Rows of kReadFinished / kCatchUpFinished.
std::vector<FinishedEntry> FinishedRows(const PgResult& r) {
  std::vector<FinishedEntry> out;
  for (int i = 0; i < r.rows(); ++i) {
    FinishedEntry f;
    f.row = QueueRowAt(r, i);
    if (r.Text(i, 23) == "t") {
      StoredEntity& e = f.entity.emplace();
      e.tenant_id = f.row.entry.tenant_id;
      e.type = f.row.entry.entity_type;
      e.entity_id = f.row.entry.entity_id;
      e.version_ms = r.Int(i, 24);
      e.deleted = r.Int(i, 25) != 0;
      e.data.assign(r.Text(i, 26));
      e.checksum.assign(r.Text(i, 27));
      e.modified_at_ms = r.Int(i, 28);
      e.source_entry_id.assign(r.Text(i, 29));
    }
    out.push_back(std::move(f));
  }
  return out;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PostgresListener final : public FinishedListener {
 public:
  // The catch-up reads back this much before the last moment the listener
  // was known connected: instances' clocks (result times) may differ.
  static constexpr int64_t kCatchUpMarginMs = 5000;
  // Results remembered so that a catch-up never hands one over twice.
  static constexpr size_t kRemembered = 200000;

  PostgresListener(PostgresOptions options, FinishedCallback callback)
      : options_(std::move(options)), callback_(std::move(callback)) {}
  ~PostgresListener() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  Status Start() {
    Status s = conn_.Open(options_.url, options_.connect_timeout_s, RedactedUrl(options_.url));
    if (s.ok()) s = conn_.Prepare("read_finished", postgres::kReadFinished);
    if (s.ok()) s = conn_.Prepare("catch_up", postgres::kCatchUpFinished);
    if (s.ok()) s = conn_.Exec(postgres::kListen, "listen");
    if (!s.ok()) return s;
    connected_at_ms_ = WallMs();
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

 private:
  void Run() {
    while (!stop_) {
      if (conn_.broken()) {
        Status s = conn_.Reconnect();  // backs off by itself
        if (s.ok()) s = conn_.Exec(postgres::kListen, "listen");
        if (s.ok()) s = CatchUp(last_connected_ms_ - kCatchUpMarginMs);
        if (!s.ok()) {
          Pause();
          continue;
        }
      }
      pollfd fd{PQsocket(conn_.raw()), POLLIN, 0};
      if (fd.fd < 0) {
        Pause();
        continue;
      }
      ::poll(&fd, 1, 200);
      if (PQconsumeInput(conn_.raw()) == 0) continue;  // broken: reconnect above
      last_connected_ms_ = WallMs();
      while (PGnotify* n = PQnotifies(conn_.raw())) {
        std::string payload = n->extra;
        PQfreemem(n);
        Status s = Announced(payload);
        if (!s.ok()) break;  // the connection broke while reading: catch up later
      }
    }
  }

  void Pause() {
    for (int i = 0; i < 10 && !stop_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // "<instance>\n<tenant>\n<seq>,<seq>,…"
  Status Announced(const std::string& payload) {
    size_t a = payload.find('\n');
    size_t b = a == std::string::npos ? a : payload.find('\n', a + 1);
    if (b == std::string::npos) return Status::Ok();
    if (std::string_view(payload).substr(0, a) == options_.instance_id) return Status::Ok();
    PgParams p;
    p.Text(std::string_view(payload).substr(a + 1, b - a - 1))
        .Text("{" + payload.substr(b + 1) + "}");
    PgResult r;
    Status s = conn_.Run("read_finished", p, "read finished", &r);
    if (!s.ok()) return s;
    HandOver(FinishedRows(r));
    return Status::Ok();
  }

  Status CatchUp(int64_t since_ms) {
    if (since_ms <= 0) since_ms = connected_at_ms_ - kCatchUpMarginMs;
    PgParams p;
    p.Text(options_.instance_id).Int(since_ms);
    PgResult r;
    Status s = conn_.Run("catch_up", p, "catch up finished", &r);
    if (!s.ok()) return s;
    HandOver(FinishedRows(r));
    return Status::Ok();
  }

  void HandOver(std::vector<FinishedEntry> rows) {
    std::vector<FinishedEntry> fresh;
    for (FinishedEntry& f : rows) {
      // A row can finish twice (dead, then an operator's action): the key is
      // the result, not the row.
      std::string key = std::to_string(f.row.seq) + ":" + std::string(EntryStateName(f.row.state)) +
                        ":" + std::to_string(f.row.result ? f.row.result->server_timestamp_ms : 0);
      if (!seen_.insert(key).second) continue;
      order_.push_back(std::move(key));
      if (order_.size() > kRemembered) {
        seen_.erase(order_.front());
        order_.pop_front();
      }
      fresh.push_back(std::move(f));
    }
    if (!fresh.empty()) callback_(std::move(fresh));
  }

  const PostgresOptions options_;
  const FinishedCallback callback_;
  PgConnection conn_;
  std::atomic<bool> stop_{false};
  int64_t connected_at_ms_ = 0;
  int64_t last_connected_ms_ = 0;
  std::unordered_set<std::string> seen_;  // results handed over (seq:state:time)
  std::deque<std::string> order_;
  std::thread thread_;
};

// LISTEN syncd_accounts: a call of `changed` per burst of notifications, and
// one after every reconnection (what was announced meanwhile is lost).
class AccountsListener final : public FinishedListener {
 public:
  AccountsListener(PostgresOptions options, std::function<void()> changed)
      : options_(std::move(options)), changed_(std::move(changed)) {}
  ~AccountsListener() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  AccountsListener(const AccountsListener&) = delete;
  AccountsListener& operator=(const AccountsListener&) = delete;

  Status Start() {
    Status s = conn_.Open(options_.url, options_.connect_timeout_s, RedactedUrl(options_.url));
    if (s.ok()) s = Listen();
    if (!s.ok()) return s;
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

 private:
  Status Listen() {
    std::string listen = std::string("LISTEN ") + postgres::kAccountsChannel;
    return conn_.Exec(listen.c_str(), "listen accounts");
  }

  void Run() {
    // What changed between the caller's first read and this LISTEN.
    changed_();
    while (!stop_) {
      if (conn_.broken()) {
        Status s = conn_.Reconnect();  // backs off by itself
        if (s.ok()) s = Listen();
        if (!s.ok()) {
          for (int i = 0; i < 10 && !stop_; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        changed_();
      }
      pollfd fd{PQsocket(conn_.raw()), POLLIN, 0};
      if (fd.fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      ::poll(&fd, 1, 200);
      if (PQconsumeInput(conn_.raw()) == 0) continue;  // broken: reconnect above
      bool any = false;
      while (PGnotify* n = PQnotifies(conn_.raw())) {
        PQfreemem(n);
        any = true;
      }
      if (any) changed_();
    }
  }

  const PostgresOptions options_;
  const std::function<void()> changed_;
  PgConnection conn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<FinishedListener> StartPostgresAccountsListener(const PostgresOptions& options,
                                                                std::function<void()> changed,
                                                                Status* status) {
  auto listener = std::make_unique<AccountsListener>(options, std::move(changed));
  *status = listener->Start();
  if (!status->ok()) return nullptr;
  return listener;
}

std::unique_ptr<FinishedListener> StartPostgresListener(const PostgresOptions& options,
                                                        FinishedCallback callback, Status* status) {
  auto listener = std::make_unique<PostgresListener>(options, std::move(callback));
  *status = listener->Start();
  if (!status->ok()) return nullptr;
  return listener;
}

}  // namespace syncd::db
