// The console store's migration on a database file that predates it, and
// the conflict capture it installs (db/schema.cc, kSqliteAddedColumns and
// kSqliteConsoleSchema).
#include "syncd/db/console_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "syncd/db/postgres_store.h"
#include "syncd/db/sqlite_store.h"

namespace syncd::db {
namespace {

constexpr int64_t kT0 = 1764130000000;

class ConsoleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    options_.path = dir_ + "/syncd.db";
    options_.synchronous = "NORMAL";
  }

  // One superseded change as the pipeline writes it: the queue row (with its
  // payload), then the conflict, then the finish that clears the payload.
  static void WriteConflict(WriteStore& w, const std::string& entry_id, const std::string& name,
                            const char* resolution = kServerWins) {
    domain::SyncEntry e;
    e.id = entry_id;
    e.tenant_id = "t1";
    e.entity_type = domain::EntityType::kTag;
    e.entity_id = "tag-1";
    e.operation = domain::Operation::kUpdate;
    e.data = R"({"id":"tag-1","name":")" + name + R"("})";
    e.version_ms = kT0;
    int64_t seq = 0;
    bool inserted = false;
    ASSERT_TRUE(w.Begin(TxnKind::kApply).ok());
    ASSERT_TRUE(w.InsertEntry(e, kT0, EntryState::kPending, 0, &seq, &inserted).ok());
    StoredEntity stored;
    stored.tenant_id = "t1";
    stored.type = domain::EntityType::kTag;
    stored.entity_id = "tag-1";
    stored.version_ms = kT0 + 5;
    stored.data = R"({"id":"tag-1","name":"Stored"})";
    stored.checksum = "c";
    ASSERT_TRUE(w.PutEntity(stored).ok());
    ConflictRecord c;
    c.tenant_id = "t1";
    c.type = domain::EntityType::kTag;
    c.entity_id = "tag-1";
    c.entry_id = entry_id;
    c.incoming_version_ms = kT0;
    c.stored_version_ms = kT0 + 5;
    c.detected_at_ms = kT0 + 10;
    c.resolution = resolution;
    ASSERT_TRUE(w.InsertConflict(c).ok());
    domain::EntryResult r;
    r.outcome = domain::Outcome::kSuperseded;
    ASSERT_TRUE(w.FinishEntry(seq, EntryState::kDone, r, kT0 + 10, "").ok());
    ASSERT_TRUE(w.Commit().ok());
  }

  test::TempDir temp_;
  std::string dir_;
  SqliteOptions options_;
};

TEST_F(ConsoleStoreTest, MigratesAnExistingFileAndCapturesLaterConflicts) {
  Status s;
  auto writes = OpenSqliteWriteStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  WriteConflict(*writes, "before", "Before");  // the file as an older syncd left it

  auto console = OpenSqliteConsoleStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  WriteConflict(*writes, "after", "After");
  // Opening again finds every column present (idempotent).
  auto again = OpenSqliteConsoleStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::vector<ConsoleConflict> rows;
  int64_t total = 0;
  ConflictFilter all;
  ASSERT_TRUE(again->ListConflicts(all, &rows, &total).ok());
  ASSERT_EQ(total, 2);
  EXPECT_EQ(rows[0].record.entry_id, "after");  // newest first
  EXPECT_EQ(rows[0].incoming_data, R"({"id":"tag-1","name":"After"})");
  EXPECT_EQ(rows[0].incoming_operation, "update");
  EXPECT_EQ(rows[0].stored_data, R"({"id":"tag-1","name":"Stored"})");
  EXPECT_EQ(rows[1].record.entry_id, "before");
  EXPECT_EQ(rows[1].incoming_data, "");  // not recorded before the migration
  EXPECT_EQ(rows[1].resolved_at_ms, 0);

  bool changed = false;
  ASSERT_TRUE(again->ResolveConflict(rows[1].id, "keep_stored", "ann", kT0, "", &changed).ok());
  EXPECT_TRUE(changed);
  ASSERT_TRUE(again->ResolveConflict(rows[1].id, "keep_stored", "bob", kT0, "", &changed).ok());
  EXPECT_FALSE(changed);  // once only
  std::optional<ConsoleConflict> one;
  ASSERT_TRUE(again->GetConflict(rows[1].id, &one).ok());
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->resolved_by, "ann");
  EXPECT_EQ(one->resolved_action, "keep_stored");
  EXPECT_EQ(one->record.resolution, "server_wins");  // the kind stays

  // Re-opened: open again, still its kind.
  ASSERT_TRUE(again->ReopenConflict(rows[1].id).ok());
  ASSERT_TRUE(again->GetConflict(rows[1].id, &one).ok());
  EXPECT_EQ(one->resolved_at_ms, 0);
  EXPECT_EQ(one->resolved_action, "");
  EXPECT_EQ(one->record.resolution, "server_wins");
}

// An older syncd wrote the operator's action into `resolution`: opening the
// console store moves it to resolved_action, and a client_wins_tie conflict
// keeps its kind through resolve and re-open.
TEST_F(ConsoleStoreTest, KeepsTheKindOfAConflictApartFromTheOperatorsAction) {
  Status s;
  auto writes = OpenSqliteWriteStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto console = OpenSqliteConsoleStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  WriteConflict(*writes, "old", "Old");
  WriteConflict(*writes, "tie", "Tie");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE conflicts SET resolution = 'take_incoming', resolved_by = 'ann',"
                         " resolved_at_ms = 1 WHERE entry_id = 'old';"
                         "UPDATE conflicts SET resolution = 'client_wins_tie'"
                         " WHERE entry_id = 'tie'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  console = OpenSqliteConsoleStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<ConsoleConflict> rows;
  int64_t total = 0;
  ASSERT_TRUE(console->ListConflicts(ConflictFilter(), &rows, &total).ok());
  ASSERT_EQ(total, 2);
  const ConsoleConflict& old = rows[1];
  EXPECT_EQ(old.record.entry_id, "old");
  EXPECT_EQ(old.record.resolution, "server_wins");
  EXPECT_EQ(old.resolved_action, "take_incoming");
  EXPECT_EQ(old.resolved_by, "ann");

  const int64_t tie = rows[0].id;
  bool changed = false;
  ASSERT_TRUE(console->ResolveConflict(tie, "restore_replaced", "bob", kT0, "e", &changed).ok());
  ASSERT_TRUE(changed);
  ASSERT_TRUE(console->ReopenConflict(tie).ok());
  std::optional<ConsoleConflict> one;
  ASSERT_TRUE(console->GetConflict(tie, &one).ok());
  EXPECT_EQ(one->record.resolution, "client_wins_tie");
  EXPECT_EQ(one->resolved_at_ms, 0);
  EXPECT_EQ(one->resolution_entry_id, "");
}

// PostgreSQL's console store: the operator's action in resolved_action, the
// conflict's kind kept through a resolve and a reopen, both states captured.
TEST_F(ConsoleStoreTest, OnPostgresTheKindOfAConflictStaysApartFromTheOperatorsAction) {
  PostgresOptions pg;
  SYNCD_POSTGRES_DATABASE_OR_SKIP(pg.url);
  pg.instance_id = "console-test";
  {
    Status s;
    auto writes = OpenPostgresWriteStore(pg, &s);
    ASSERT_TRUE(writes) << s.ToString();
    auto console = OpenPostgresConsoleStore(pg, &s);
    ASSERT_TRUE(console) << s.ToString();
    WriteConflict(*writes, "tie", "Tie", kClientWinsTie);
    std::vector<ConsoleConflict> rows;
    int64_t total = 0;
    ASSERT_TRUE(console->ListConflicts(ConflictFilter(), &rows, &total).ok());
    ASSERT_EQ(total, 1);
    EXPECT_EQ(rows[0].incoming_data, R"({"id":"tag-1","name":"Tie"})");
    const int64_t id = rows[0].id;
    bool changed = false;
    ASSERT_TRUE(console->ResolveConflict(id, "keep_stored", "bob", kT0, "", &changed).ok());
    ASSERT_TRUE(changed);
    std::optional<ConsoleConflict> one;
    ASSERT_TRUE(console->GetConflict(id, &one).ok());
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(one->record.resolution, "client_wins_tie");
    EXPECT_EQ(one->resolved_action, "keep_stored");
    EXPECT_EQ(one->resolved_by, "bob");
    ASSERT_TRUE(console->ResolveConflict(id, "take_incoming", "ann", kT0, "", &changed).ok());
    EXPECT_FALSE(changed);  // already resolved
    ASSERT_TRUE(console->ReopenConflict(id).ok());
    one.reset();
    ASSERT_TRUE(console->GetConflict(id, &one).ok());
    EXPECT_EQ(one->record.resolution, "client_wins_tie");
    EXPECT_EQ(one->resolved_action, "");
    EXPECT_EQ(one->resolved_at_ms, 0);
  }
  test::DropPostgresDatabase(pg.url);
}

TEST_F(ConsoleStoreTest, RecordsEachFailedAttemptButNotTheFastPath) {
  Status s;
  auto writes = OpenSqliteWriteStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto console = OpenSqliteConsoleStore(options_, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  domain::SyncEntry e;
  e.tenant_id = "t1";
  e.entity_type = domain::EntityType::kTag;
  e.entity_id = "tag-1";
  e.data = R"({"id":"tag-1","name":"x"})";
  domain::EntryResult ok;
  auto insert = [&](const std::string& id, int64_t* seq) {
    e.id = id;
    bool inserted = false;
    ASSERT_TRUE(
        writes->InsertEntry(e, kT0, EntryState::kInFlight, kT0 + 1000, seq, &inserted).ok());
  };
  int64_t fast = 0, slow = 0;
  ASSERT_TRUE(writes->Begin(TxnKind::kApply).ok());
  insert("fast", &fast);
  insert("slow", &slow);
  ASSERT_TRUE(writes->FinishEntry(fast, EntryState::kDone, ok, kT0 + 1, "").ok());
  ASSERT_TRUE(writes->ScheduleRetry(slow, 1, kT0 + 50, "disk I/O error").ok());
  ASSERT_TRUE(writes->ClaimEntry(slow, 2, kT0 + 2000).ok());
  domain::EntryResult failed;
  failed.acked = false;
  failed.reason = domain::NackReason::kSystem;
  failed.server_timestamp_ms = kT0 + 60;
  ASSERT_TRUE(writes->FinishEntry(slow, EntryState::kDead, failed, kT0 + 60, "busy").ok());
  ASSERT_TRUE(writes->RequeueEntry(slow).ok());  // an operator's retry
  ASSERT_TRUE(writes->Commit().ok());

  std::vector<AttemptRow> rows;
  ASSERT_TRUE(console->EntryAttempts("t1", "fast", &rows).ok());
  EXPECT_TRUE(rows.empty());
  ASSERT_TRUE(console->EntryAttempts("t1", "slow", &rows).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attempt, 1);
  EXPECT_EQ(rows[0].state, "retry_wait");
  EXPECT_EQ(rows[0].error, "disk I/O error");
  EXPECT_EQ(rows[0].next_attempt_at_ms, kT0 + 50);
  EXPECT_EQ(rows[1].attempt, 2);
  EXPECT_EQ(rows[1].state, "dead");
  EXPECT_EQ(rows[1].error, "busy");
  EXPECT_EQ(rows[1].at_ms, kT0 + 60);
}

}  // namespace
}  // namespace syncd::db
