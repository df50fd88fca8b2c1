// Private: only one process may write a database file. An advisory lock on
// a file next to it (<db>.lock), released by the kernel when the process
// dies (kill -9 included). Owned by the write store; one thread.
#ifndef SYNCD_DB_SQLITE_WRITER_LOCK_H_
#define SYNCD_DB_SQLITE_WRITER_LOCK_H_

#include <string>

#include "syncd/common/status.h"

namespace syncd::db {

using common::Status;

class WriterLock {
 public:
  WriterLock() = default;
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

  // Permanent when another process holds the lock (or the lock file cannot
  // be opened). Held until destruction.
  Status Acquire(const std::string& db_path);

 private:
  int fd_ = -1;
};

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_WRITER_LOCK_H_
