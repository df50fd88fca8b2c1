// A database file deleted (`rm syncd.db*`) or replaced under a running
// writer: SQLite keeps writing to the open, unlinked file, so without a check
// every later commit would be acknowledged into a file no restart sees. The
// write store must report such a commit as failed (Unavailable), stay failed,
// and leave what it had committed where the next start finds it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "support/entry_builders.h"
#include "support/syncd_process.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/db/store.h"
#include "syncd/domain/entry.h"

namespace syncd::db {
namespace {

constexpr char kTenant[] = "tenant-1";
constexpr int64_t kT0 = 1764130000000;

// An Account create of entity a-<id>, version kT0.
domain::SyncEntry MakeEntry(const std::string& id) {
  return test::AccountEntry(kTenant, id, "a-" + id, "create", kT0, "n");
}

class LostDatabaseFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    options_.path = (dir_ / "syncd.db").string();
    Status s;
    write_ = OpenSqliteWriteStore(options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override { write_.reset(); }

  // Inserts one entry in its own transaction; returns the commit's status.
  Status InsertAndCommit(const std::string& id) {
    Status s = write_->Begin(TxnKind::kIngest);
    if (!s.ok()) return s;
    int64_t seq = 0;
    bool inserted = false;
    s = write_->InsertEntry(MakeEntry(id), kT0, EntryState::kPending, 0, &seq, &inserted);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return write_->Commit();
  }

  void RemoveDatabaseFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      ::unlink((options_.path + suffix).c_str());
    }
  }

  // Whether the database at `path` holds entry `id` (a new writer, as a restart would open).
  bool Holds(const std::string& path, const std::string& id) {
    SqliteOptions options = options_;
    options.path = path;
    Status s;
    std::unique_ptr<ReadStore> read = OpenSqliteReadStore(options, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!read) return false;
    std::optional<QueueRow> row;
    EXPECT_TRUE(read->FindEntry(kTenant, id, &row).ok());
    return row.has_value();
  }

  test::TempDir temp_;  // removed with the fixture, after TearDown
  std::filesystem::path dir_;
  SqliteOptions options_;
  std::unique_ptr<WriteStore> write_;
};

TEST_F(LostDatabaseFileTest, ACommitAfterTheFileWasDeletedFailsAndTheStoreStaysFailed) {
  ASSERT_TRUE(InsertAndCommit("before").ok());
  RemoveDatabaseFiles();

  Status commit = InsertAndCommit("after");
  EXPECT_TRUE(commit.unavailable()) << commit.ToString();
  EXPECT_TRUE(commit.transient()) << "the client may send it again, to a restarted server";
  // Failed for good: nothing else is written to the lost file.
  Status begin = write_->Begin(TxnKind::kApply);
  EXPECT_TRUE(begin.unavailable()) << begin.ToString();
  EXPECT_TRUE(write_->Commit().unavailable());

  // What the store had committed (everything acknowledged before the delete)
  // is back at the path for the restart.
  write_.reset();
  EXPECT_TRUE(Holds(options_.path, "before"));
}

TEST_F(LostDatabaseFileTest, ADeletedWalAloneIsNoticedToo) {
  ASSERT_TRUE(InsertAndCommit("before").ok());
  ASSERT_EQ(::unlink((options_.path + "-wal").c_str()), 0);
  Status commit = InsertAndCommit("after");
  EXPECT_TRUE(commit.unavailable()) << commit.ToString();
  // The database file is still there, so the copy is left beside it.
  std::string copy = options_.path + ".rescued-" + std::to_string(::getpid());
  write_.reset();
  EXPECT_TRUE(Holds(copy, "before"));
  EXPECT_TRUE(Holds(copy, "after"));
}

TEST_F(LostDatabaseFileTest, AFileMovedOverThePathIsNeverOverwritten) {
  ASSERT_TRUE(InsertAndCommit("before").ok());
  // Another database moved over the path (an operator restoring a backup).
  SqliteOptions other = options_;
  other.path = (dir_ / "other.db").string();
  {
    Status s;
    std::unique_ptr<ReadStore> created = OpenSqliteReadStore(other, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::filesystem::rename(other.path, options_.path);
  // The old file's log and shared memory would be read as the new file's.
  ::unlink((options_.path + "-wal").c_str());
  ::unlink((options_.path + "-shm").c_str());

  Status commit = InsertAndCommit("after");
  EXPECT_TRUE(commit.unavailable()) << commit.ToString();
  write_.reset();
  EXPECT_FALSE(Holds(options_.path, "before")) << "the file at the path must stay untouched";
  EXPECT_TRUE(Holds(options_.path + ".rescued-" + std::to_string(::getpid()), "before"));
}

TEST_F(LostDatabaseFileTest, AnUntouchedFileCommitsNormally) {
  for (int i = 0; i < 3; ++i) {
    Status s = InsertAndCommit("q-" + std::to_string(i));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

}  // namespace
}  // namespace syncd::db
