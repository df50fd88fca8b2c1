#include "postgres/schema.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "postgres/sql.h"
#include "syncd/common/clock.h"

namespace syncd::db {

namespace {

Status Migrate(PgConnection* conn) {
  PgParams lock;
  lock.Int(postgres::kSchemaLockClass).Int(postgres::kSchemaLockObject);
  Status s = conn->ExecParams(postgres::kLockSchema, lock, "lock schema");
  if (s.ok()) s = conn->Exec(postgres::kCreateSchemaVersion, "create schema_version");
  PgResult version;
  if (s.ok()) s = conn->Exec(postgres::kSchemaVersion, "read schema_version", &version);
  if (!s.ok()) return s;
  int64_t have = version.rows() > 0 ? version.Int(0, 0) : 0;
  if (have > postgres::kCurrentSchemaVersion) {
    return Status::Permanent(
        "the database schema is version " + std::to_string(have) + ", newer than this syncd's " +
        std::to_string(postgres::kCurrentSchemaVersion) + "; run a newer syncd");
  }
  for (const postgres::Migration& m : postgres::kMigrations) {
    if (m.version <= have) continue;
    for (const char* const* stmt = m.statements; *stmt != nullptr; ++stmt) {
      s = conn->Exec(*stmt, "schema migration");
      if (!s.ok()) return s;
    }
    PgParams v;
    v.Int(m.version);
    s = conn->ExecParams(postgres::kRecordSchemaVersion, v, "record schema version");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Status EnsureSchema(PgConnection* conn) {
  Status s = conn->Exec(postgres::kBegin, "begin schema");
  if (!s.ok()) return s;
  s = Migrate(conn);
  if (s.ok()) s = conn->Exec(postgres::kCommit, "commit schema");
  if (!s.ok()) conn->Exec(postgres::kRollback, "rollback schema");
  return s;
}

Status Heartbeat::Start(const std::string& url, const std::string& what,
                        const std::string& instance_id, int64_t interval_ms,
                        std::function<int64_t()> connections) {
  instance_id_ = instance_id;
  interval_ms_ = interval_ms;
  connections_ = std::move(connections);
  Status s = conn_.Open(url, 5, what);
  if (s.ok()) s = conn_.Prepare("heartbeat", postgres::kHeartbeat);
  PgParams p;
  p.Text(instance_id_).Int(0);
  if (s.ok()) s = conn_.Run("heartbeat", p, "heartbeat");
  if (!s.ok()) return s;
  last_beat_us_ = common::MonotonicMicros();
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

int64_t Heartbeat::SilentForMs() const {
  return (common::MonotonicMicros() - last_beat_us_.load()) / 1000;
}

void Heartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  bool reported = false;
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stop_; })) {
    lock.unlock();
    Status s = conn_.broken() ? conn_.Reconnect() : Status::Ok();
    PgParams p;
    p.Text(instance_id_).Int(connections_ ? connections_() : 0);
    if (s.ok()) s = conn_.Run("heartbeat", p, "heartbeat");
    if (s.ok()) last_beat_us_ = common::MonotonicMicros();
    if (!s.ok() && !reported) {
      std::fprintf(stderr, "syncd: heartbeat failed: %s\n", s.message().c_str());
    }
    reported = !s.ok();
    lock.lock();
  }
}

}  // namespace syncd::db
