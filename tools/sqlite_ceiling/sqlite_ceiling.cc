// syncd_sqlite_ceiling: the fastest syncd could possibly be on this disk with
// SQLite. It does only the durable work syncd does per entry, nothing else:
// WAL, synchronous=FULL, and per batch of N entries
//   1. one transaction inserting N queue rows (the entries are accepted), commit;
//   2. one transaction upserting N entity rows and marking the N queue rows
//      done (the entries are applied), commit.
// No JSON parsing, no checksums, no network. syncd's pipelined throughput
// divided by this number is how close it gets to the disk (scripts/bench.sh).
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/tool_args.h"

namespace {

struct Options {
  long long entries = 100000;
  int batch = 256;
  int payload_bytes = 400;
  std::string db;  // empty: a temporary file, removed afterwards
  bool json = false;
};

constexpr const char* kUsage =
    "Usage: syncd_sqlite_ceiling [--entries N] [--batch N] [--payload-bytes N] [--db PATH] "
    "[--json]\n"
    "  --entries N        entries to write (default 100000)\n"
    "  --batch N          entries per transaction pair (default 256)\n"
    "  --payload-bytes N  payload size (default 400)\n"
    "  --db PATH          database file (default: a temporary file, removed afterwards)\n"
    "  --json             print one JSON object\n";

// The queue and entity tables as db/schema.cc lays them out (same columns
// and indexes, so rows and index maintenance cost the same), without the
// audit tables syncd also fills (sync_log, counters, conflicts).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sync_queue (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL, entry_id TEXT NOT NULL,
  entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, operation TEXT NOT NULL,
  data TEXT NOT NULL, version_ms INTEGER NOT NULL, client_ts_ms INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  lease_until_ms INTEGER NOT NULL DEFAULT 0, next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  received_at_ms INTEGER NOT NULL, finished_at_ms INTEGER NOT NULL DEFAULT 0,
  result_kind INTEGER NOT NULL DEFAULT 0, result_outcome TEXT NOT NULL DEFAULT '',
  result_reason TEXT NOT NULL DEFAULT '', result_detail TEXT NOT NULL DEFAULT '',
  result_retry_after_ms INTEGER NOT NULL DEFAULT 0, result_checksum TEXT NOT NULL DEFAULT '',
  result_server_ts_ms INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS sync_queue_entry ON sync_queue(tenant_id, entry_id);
CREATE INDEX IF NOT EXISTS sync_queue_open ON sync_queue(tenant_id, seq)
  WHERE finished_at_ms = 0 AND state <> 'dead';
CREATE INDEX IF NOT EXISTS sync_queue_finished ON sync_queue(finished_at_ms)
  WHERE finished_at_ms > 0;
CREATE TABLE IF NOT EXISTS entities (
  tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
  version_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, data TEXT NOT NULL,
  checksum TEXT NOT NULL, modified_at_ms INTEGER NOT NULL,
  source_entry_id TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, entity_type, entity_id)) WITHOUT ROWID;
)sql";

constexpr const char* kInsertQueue =
    "INSERT INTO sync_queue (tenant_id, entry_id, entity_type, entity_id, operation, data, "
    "version_ms, client_ts_ms, state, received_at_ms) "
    "VALUES (?1, ?2, 'Transaction', ?3, 'create', ?4, ?5, ?5, 'pending', ?6)";
constexpr const char* kUpsertEntity =
    "INSERT INTO entities (tenant_id, entity_type, entity_id, version_ms, deleted, data, "
    "checksum, modified_at_ms, source_entry_id) "
    "VALUES (?1, 'Transaction', ?2, ?4, 0, ?3, ?5, ?6, ?7) "
    "ON CONFLICT (tenant_id, entity_type, entity_id) DO UPDATE SET "
    "version_ms = excluded.version_ms, deleted = 0, data = excluded.data, "
    "checksum = excluded.checksum, modified_at_ms = excluded.modified_at_ms, "
    "source_entry_id = excluded.source_entry_id WHERE excluded.version_ms > entities.version_ms";
constexpr const char* kFinishQueue =
    "UPDATE sync_queue SET state = 'done', finished_at_ms = ?3, result_kind = 1, "
    "result_outcome = ?4, result_checksum = ?5, result_server_ts_ms = ?3 "
    "WHERE tenant_id = ?1 AND entry_id = ?2";

using syncd::tools::NowMs;

[[noreturn]] void Die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "syncd_sqlite_ceiling: %s: %s\n", what,
               db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  std::exit(1);
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "syncd_sqlite_ceiling: %s: %s\n", sql, err != nullptr ? err : "?");
    sqlite3_free(err);
    std::exit(1);
  }
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    Die(db, sql);
  }
  return stmt;
}

void Step(sqlite3* db, sqlite3_stmt* stmt) {
  if (sqlite3_step(stmt) != SQLITE_DONE) Die(db, sqlite3_sql(stmt));
  sqlite3_reset(stmt);
}

void BindText(sqlite3_stmt* stmt, int i, std::string_view text) {
  sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

bool ParseArgs(int argc, char** argv, Options* o) {
  using syncd::tools::Assign;
  using syncd::tools::PositiveInt;
  return syncd::tools::WalkArgs(argc, argv, kUsage, {"--json"},
                                [o](std::string_view arg, const char* v) {
                                  if (arg == "--json") return o->json = true;
                                  if (arg == "--entries")
                                    return Assign(PositiveInt(v, LLONG_MAX), &o->entries);
                                  if (arg == "--batch")
                                    return Assign(PositiveInt(v, 100000), &o->batch);
                                  if (arg == "--payload-bytes")
                                    return Assign(PositiveInt(v, 1 << 20), &o->payload_bytes);
                                  if (arg == "--db" && *v != '\0') {
                                    o->db = v;
                                    return true;
                                  }
                                  return false;
                                });
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr, "syncd_sqlite_ceiling: bad arguments (see --help)\n");
    return 2;
  }
  const bool temporary = o.db.empty();
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/syncd-ceiling-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) {
      std::perror("syncd_sqlite_ceiling: mkstemp");
      return 1;
    }
    close(fd);
    o.db = pattern;
  }

  sqlite3* db = nullptr;
  if (sqlite3_open(o.db.c_str(), &db) != SQLITE_OK) Die(db, o.db.c_str());
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=FULL");
  Exec(db, "PRAGMA busy_timeout=5000");
  Exec(db, kSchema);
  sqlite3_stmt* insert_queue = Prepare(db, kInsertQueue);
  sqlite3_stmt* upsert_entity = Prepare(db, kUpsertEntity);
  sqlite3_stmt* finish_queue = Prepare(db, kFinishQueue);
  sqlite3_stmt* begin = Prepare(db, "BEGIN IMMEDIATE");
  sqlite3_stmt* commit = Prepare(db, "COMMIT");

  // Unique ids per run, so a reused --db file does not collide.
  const std::string run = "c" + std::to_string(NowMs());
  const std::string tenant = "ceiling";
  std::string payload(static_cast<size_t>(o.payload_bytes), 'x');
  const std::string checksum = "0123456789abcdef0123456789abcdef";
  std::string entry_id, entity_id;
  long long commits = 0;

  const auto start = std::chrono::steady_clock::now();
  for (long long first = 0; first < o.entries; first += o.batch) {
    const long long last = std::min(o.entries, first + o.batch);
    const int64_t now = NowMs();
    // 1. Accept: persist the batch in the queue.
    Step(db, begin);
    for (long long i = first; i < last; ++i) {
      entry_id = run + "-" + std::to_string(i);
      entity_id = run + "-e" + std::to_string(i);
      std::memcpy(payload.data(), entry_id.data(), std::min(entry_id.size(), payload.size()));
      BindText(insert_queue, 1, tenant);
      BindText(insert_queue, 2, entry_id);
      BindText(insert_queue, 3, entity_id);
      BindText(insert_queue, 4, payload);
      sqlite3_bind_int64(insert_queue, 5, now + i);
      sqlite3_bind_int64(insert_queue, 6, now);
      Step(db, insert_queue);
    }
    Step(db, commit);
    // 2. Apply: upsert the entities and finish the queue rows.
    Step(db, begin);
    for (long long i = first; i < last; ++i) {
      entry_id = run + "-" + std::to_string(i);
      entity_id = run + "-e" + std::to_string(i);
      BindText(upsert_entity, 1, tenant);
      BindText(upsert_entity, 2, entity_id);
      BindText(upsert_entity, 3, payload);
      sqlite3_bind_int64(upsert_entity, 4, now + i);
      BindText(upsert_entity, 5, checksum);
      sqlite3_bind_int64(upsert_entity, 6, now);
      BindText(upsert_entity, 7, entry_id);
      Step(db, upsert_entity);
      BindText(finish_queue, 1, tenant);
      BindText(finish_queue, 2, entry_id);
      sqlite3_bind_int64(finish_queue, 3, now);
      BindText(finish_queue, 4, "applied");
      BindText(finish_queue, 5, checksum);
      Step(db, finish_queue);
    }
    Step(db, commit);
    commits += 2;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? static_cast<double>(o.entries) / seconds : 0;

  for (sqlite3_stmt* s : {insert_queue, upsert_entity, finish_queue, begin, commit}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  if (temporary) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((o.db + suffix).c_str());
  }

  if (o.json) {
    std::printf(
        "{\"entries\":%lld,\"batch\":%d,\"payload_bytes\":%d,\"commits\":%lld,\"seconds\":%.3f,"
        "\"entries_per_s\":%.1f,\"commits_per_s\":%.1f,\"synchronous\":\"FULL\","
        "\"journal_mode\":\"WAL\"}\n",
        o.entries, o.batch, o.payload_bytes, commits, seconds, rate,
        seconds > 0 ? commits / seconds : 0);
  } else {
    std::printf(
        "syncd_sqlite_ceiling: %lld entries in %.3f s = %.0f entries/s (batch %d, %lld commits = "
        "%.0f commits/s, WAL, synchronous=FULL, db %s)\n",
        o.entries, seconds, rate, o.batch, commits, seconds > 0 ? commits / seconds : 0,
        temporary ? "temporary" : o.db.c_str());
  }
  return 0;
}
