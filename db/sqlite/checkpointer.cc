#include "sqlite/checkpointer.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdio>

#include "sqlite/native_statement.h"
#include "sqlite/sql.h"

namespace syncd::db {

namespace {
sqlite_api::sqlite3* Db(void* p) { return static_cast<sqlite_api::sqlite3*>(p); }
}  // namespace

Checkpointer::~Checkpointer() { Stop(); }

Status Checkpointer::Start(const std::string& path, const std::string& synchronous) {
  sqlite_api::sqlite3* db = nullptr;
  int rc = sqlite_api::sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    sqlite_api::sqlite3_close(db);
    return StatusFromSqliteCode(rc, "open checkpoint connection to " + path);
  }
  sqlite_api::sqlite3_busy_timeout(db, 5000);
  // The checkpoint's fsync of the database file follows this connection's setting.
  std::string pragma = sqlite::kPragmaSynchronous + synchronous;
  sqlite_api::sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
  db_ = db;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (db_ != nullptr) {
    sqlite_api::sqlite3_close(Db(db_));
    db_ = nullptr;
  }
}

void Checkpointer::Notify(int wal_pages) {
  if (wal_pages < kPagesPerCheckpoint) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (requested_) return;
    requested_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    requested_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never blocks the writer.
    int rc = sqlite_api::sqlite3_wal_checkpoint_v2(Db(db_), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                   nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      std::fprintf(stderr, "syncd: WAL checkpoint failed: %s\n", sqlite_api::sqlite3_errstr(rc));
    }
    lock.lock();
  }
}

}  // namespace syncd::db
