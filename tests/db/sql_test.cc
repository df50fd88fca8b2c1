// The SQLite engine's statements (db/sqlite/sql.h, private to db/) checked
// against the schema they run on: a typo in a constant fails here, by name,
// instead of as a transient-looking error on some rarely used path.
#include "sqlite/sql.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sqlite/writer_lock.h"

namespace syncd::db {
namespace {

class SqliteSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    for (const char* stmt : sqlite::kSchema) {
      if (stmt != nullptr) Exec(stmt);
    }
    for (const char* stmt : sqlite::kSchemaAfterColumns) {
      if (stmt != nullptr) Exec(stmt);
    }
    for (const sqlite::AddedColumn* c = sqlite::kAddedColumns; c->table != nullptr; ++c) {
      Exec(std::string(sqlite::kAlterTable) + c->table + sqlite::kAddColumn + c->column + " " +
           c->definition);
    }
    for (const char* stmt : sqlite::kConsoleSchema) {
      if (stmt != nullptr) Exec(stmt);
    }
  }
  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }

  // Compiles `sql` against the schema (names of tables, columns, functions).
  void ExpectPrepares(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
  }

  sqlite3* db_ = nullptr;
};

TEST_F(SqliteSqlTest, EveryStoreStatementCompilesAgainstTheSchema) {
  for (const char* sql : {
           sqlite::kCountTables,
           sqlite::kPing,
           sqlite::kFindEntry,
           sqlite::kLoadUnfinished,
           sqlite::kInsertEntry,
           sqlite::kClaimEntry,
           sqlite::kScheduleRetry,
           sqlite::kRequeueEntry,
           sqlite::kFinishEntry,
           sqlite::kOldestUnfinishedOfTenant,
           sqlite::kOldestUnfinished,
           sqlite::kGetEntity,
           sqlite::kSetChange,
           sqlite::kBackfillTenantChanges,
           sqlite::kPutEntity,
           sqlite::kGetChangePosition,
           sqlite::kLoadLiveOfType,
           sqlite::kLoadChangedOfType,
           sqlite::kListEntities,
           sqlite::kListLiveEntities,
           sqlite::kInsertConflict,
           sqlite::kListConflicts,
           sqlite::kInsertSyncLog,
           sqlite::kPutCheckpoint,
           sqlite::kGetCheckpoint,
           sqlite::kAddCounter,
           sqlite::kLoadCounters,
           sqlite::kInsertMetricSnapshot,
           sqlite::kDeleteMetricSnapshotsBefore,
           sqlite::kDeleteFinishedEntries,
           sqlite::kDeleteSyncLogBefore,
           sqlite::kDeleteConflictsBefore,
       }) {
    ExpectPrepares(sql);
  }
}

TEST_F(SqliteSqlTest, EveryConsoleStatementCompilesWithEachFilter) {
  using std::string;
  for (const char* sql : {
           sqlite::kResolveConflict,
           sqlite::kReopenConflict,
           sqlite::kCountLiveEntitiesByTenantAndType,
           sqlite::kTenantsWithCounters,
           sqlite::kCountDeadByTenant,
           sqlite::kCountOpenConflictsByTenant,
           sqlite::kLastAppliedByTenant,
           sqlite::kConsoleGetEntity,
           sqlite::kMaxSyncLogId,
           sqlite::kEntryReceivedAt,
           sqlite::kEntryAttempts,
           sqlite::kInsertOperatorLog,
           sqlite::kMetricSnapshotsSince,
       }) {
    ExpectPrepares(sql);
  }
  const string dead = string(sqlite::kDeadFrom) + sqlite::kAndTenantIs + sqlite::kAndEntityTypeIs +
                      sqlite::kAndLastErrorLike;
  ExpectPrepares(sqlite::kSelectCount + dead);
  ExpectPrepares(sqlite::kSelectDeadColumns + dead + sqlite::kDeadPage);
  for (const char* status : {sqlite::kAndConflictOpen, sqlite::kAndConflictResolved}) {
    const string conflicts = string(sqlite::kConflictsFrom) + sqlite::kAndTenantIs + status;
    ExpectPrepares(sqlite::kSelectCount + conflicts);
    ExpectPrepares(sqlite::kSelectConsoleConflictColumns + conflicts + sqlite::kConflictPage);
  }
  ExpectPrepares(string(sqlite::kSelectConsoleConflictColumns) + sqlite::kConflictById);
  const string entities =
      string(sqlite::kEntitiesOfTenantFrom) + sqlite::kAndEntityTypeIs + sqlite::kAndEntityMatches;
  ExpectPrepares(sqlite::kSelectCount + entities);
  ExpectPrepares(sqlite::kSelectEntityColumns + entities + sqlite::kEntityPage);
  ExpectPrepares(sqlite::kSelectHistoryFrom + (sqlite::kEntityHistoryWhere + string("20")));
  ExpectPrepares(string(sqlite::kSelectHistoryFrom) + sqlite::kEntryHistoryWhere);
  ExpectPrepares(sqlite::kCountColumnOf + string("conflicts") + sqlite::kCountColumnNamed +
                 "resolved_by'");
}

// Only one process may write a file; flock makes a second lock on the same
// file fail even inside one process (each open is its own lock holder).
TEST(WriterLockTest, ASecondWriterOfTheSameFileIsRefused) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("syncd-writer-lock-" + std::to_string(::getpid()) + ".db"))
                         .string();
  {
    WriterLock first;
    ASSERT_TRUE(first.Acquire(path).ok());
    WriterLock second;
    Status refused = second.Acquire(path);
    EXPECT_TRUE(refused.permanent());
    EXPECT_NE(refused.message().find("in use by another syncd process"), std::string::npos);
  }
  WriterLock after;  // released with its holder
  EXPECT_TRUE(after.Acquire(path).ok());
  std::filesystem::remove(path + ".lock");
}

}  // namespace
}  // namespace syncd::db
