// Private: runs WAL checkpoints on a thread of its own, so the pipeline
// thread's commits never pay for copying the log into the database file.
// The write connection's WAL hook calls Notify (on the pipeline thread).
#ifndef SYNCD_DB_SQLITE_CHECKPOINTER_H_
#define SYNCD_DB_SQLITE_CHECKPOINTER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "syncd/common/status.h"

namespace syncd::db {

using common::Status;

class Checkpointer {
 public:
  // Checkpoint once the log holds this many pages (SQLite's own default).
  static constexpr int kPagesPerCheckpoint = 1000;

  Checkpointer() = default;
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Opens its own connection (same synchronous setting) and starts the thread.
  Status Start(const std::string& path, const std::string& synchronous);
  void Stop();
  // Any thread: the log has `wal_pages` pages.
  void Notify(int wal_pages);

 private:
  void Run();

  void* db_ = nullptr;  // sqlite3*
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_CHECKPOINTER_H_
