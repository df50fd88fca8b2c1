// SQLite implementations of the stores, over SOCI. One file per database;
// WAL mode, so one WriteStore and any number of ReadStores can share it.
#ifndef SYNCD_DB_SQLITE_STORE_H_
#define SYNCD_DB_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "syncd/db/store.h"

namespace syncd::db {

struct SqliteOptions {
  std::string path;  // file; its folder is created if missing. ":memory:" is not shareable.
  // "FULL" (default): a commit survives power loss. "NORMAL" in WAL mode
  // can lose the last commits on power loss (not on a process crash).
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
  int64_t cache_kib = 32768;         // page cache per connection
  int64_t mmap_bytes = 256LL << 20;  // memory-mapped reads (0: off)
};

// Opens (creating the schema if needed) the write side. Only one process may
// write a database: a second OpenSqliteWriteStore on the same file fails.
std::unique_ptr<WriteStore> OpenSqliteWriteStore(const SqliteOptions& options, Status* status);
std::unique_ptr<ReadStore> OpenSqliteReadStore(const SqliteOptions& options, Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_STORE_H_
