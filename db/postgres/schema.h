// Private: creating and upgrading the PostgreSQL schema (postgres/sql.h,
// kMigrations) at open, and the heartbeat that says this instance is alive.
#ifndef SYNCD_DB_POSTGRES_SCHEMA_H_
#define SYNCD_DB_POSTGRES_SCHEMA_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "postgres/pg_connection.h"

namespace syncd::db {

// In one transaction under pg_advisory_xact_lock: reads schema_version and
// runs every migration newer than it, so instances that start together do
// not race and an upgrade is all or nothing. A database whose schema is
// newer than this binary's is refused (permanent), and left untouched.
Status EnsureSchema(PgConnection* conn);

// Renews this instance's row in `instances` every interval on a connection
// and thread of its own, so a busy pipeline thread never makes it look dead.
// Owned by the write store; Start/Stop from its owner's thread.
class Heartbeat {
 public:
  Heartbeat() = default;
  ~Heartbeat() { Stop(); }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Writes the first heartbeat before returning (rows are claimed after it).
  Status Start(const std::string& url, const std::string& what, const std::string& instance_id,
               int64_t interval_ms, std::function<int64_t()> connections);
  void Stop();
  // How long since the last heartbeat that reached the database.
  int64_t SilentForMs() const;

 private:
  void Run();

  PgConnection conn_;
  std::string instance_id_;
  int64_t interval_ms_ = 1000;
  std::function<int64_t()> connections_;
  std::atomic<int64_t> last_beat_us_{0};  // steady clock
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_SCHEMA_H_
