// Database faults as a client and an operator see them (hardening issue #8):
// a database file deleted under the running server must never lead to an
// ACK; NACK details and last_errors carry stable text, not SQLite's; and
// every NACK is counted exactly once, including those of entries nothing was
// written for. Driven step by step with a fake clock, on a real SQLite file.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capturing_sink.h"
#include "support/entry_builders.h"
#include "support/fake_clock.h"
#include "support/syncd_process.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/domain/entry.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {
namespace {

using domain::NackReason;

constexpr char kTenant[] = "tenant-1";
constexpr int64_t kT0 = 1764130000000;

// An Account create of entity a-<id>, version kT0.
domain::SyncEntry MakeEntry(const std::string& id) {
  return test::AccountEntry(kTenant, id, "a-" + id, "create", kT0, "n");
}

class DatabaseFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    db_options_.path = (dir_ / "syncd.db").string();
  }
  void TearDown() override { pipeline_.reset(); }

  void MakePipeline() {
    pipeline_.reset();
    sink_ = std::make_unique<CapturingSink>();
    common::Status s;
    std::unique_ptr<db::WriteStore> inner = db::OpenSqliteWriteStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto faulty = std::make_unique<db::FaultInjectingStore>(std::move(inner));
    faults_ = faulty.get();
    PipelineOptions options;
    options.retry = RetryPolicy{3, 20, 5000};
    pipeline_ = std::make_unique<Pipeline>(std::move(faulty), options, &clock_);
    pipeline_->AddSink(sink_.get());
    s = pipeline_->RecoverForTest();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Submit(const std::string& id) {
    EXPECT_TRUE(pipeline_->Submit(MakeEntry(id), common::MonotonicMicros()).accepted());
  }
  // Runs the worker until nothing is due, then past every backoff, a few times.
  void Settle() {
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < 1000 && pipeline_->RunOnceForTest(); ++i) {
      }
      clock_.Advance(5001);
    }
  }
  // The one reply for an entry id.
  Delivery Only(const std::string& id) {
    std::vector<Delivery> got = sink_->For(id);
    EXPECT_EQ(got.size(), 1u) << id;
    return got.empty() ? Delivery{} : got.front();
  }
  std::optional<db::QueueRow> Row(const std::string& id) {
    common::Status s;
    std::unique_ptr<db::ReadStore> read = db::OpenSqliteReadStore(db_options_, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::optional<db::QueueRow> row;
    if (read) {
      EXPECT_TRUE(read->FindEntry(kTenant, id, &row).ok());
    }
    return row;
  }
  // A global counter as the counters table holds it (-1 if absent).
  int64_t StoredCounter(const std::string& name) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_options_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    std::string sql = "SELECT value FROM counters WHERE scope = '' AND name = '" + name + "'";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    int64_t value = -1;
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
  }
  void ExpectNoInternals(const std::string& text) {
    for (const char* raw : {"disk is full", "SQLITE", "sqlite", "poisoned", "commit", ".db"}) {
      EXPECT_EQ(text.find(raw), std::string::npos) << "'" << raw << "' leaked in: " << text;
    }
  }

  test::TempDir temp_;  // removed with the fixture, after TearDown
  std::filesystem::path dir_;
  db::SqliteOptions db_options_;
  test::FakeClock clock_{kT0};
  std::unique_ptr<CapturingSink> sink_;
  db::FaultInjectingStore* faults_ = nullptr;
  std::unique_ptr<Pipeline> pipeline_;
};

// rm syncd.db* while the server runs: entries sent afterwards are NACKed
// system_error (never ACKed), /health stays degraded, and a restart on the
// same path finds every entry that was acknowledged.
TEST_F(DatabaseFaultTest, ADeletedDatabaseFileIsNeverAcknowledgedInto) {
  MakePipeline();
  for (int i = 0; i < 20; ++i) Submit("before-" + std::to_string(i));
  Settle();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Only("before-" + std::to_string(i)).result.acked);
  EXPECT_EQ(pipeline_->health(), Health::kOk);

  for (const char* suffix : {"", "-wal", "-shm"}) {
    ::unlink((db_options_.path + suffix).c_str());
  }
  for (int i = 0; i < 25; ++i) Submit("after-" + std::to_string(i));
  Settle();
  for (int i = 0; i < 25; ++i) {
    Delivery d = Only("after-" + std::to_string(i));
    EXPECT_FALSE(d.result.acked) << d.entry_id << " was acknowledged into a deleted file";
    EXPECT_EQ(d.result.reason, NackReason::kSystem);
    EXPECT_FALSE(domain::IsPermanent(d.result.reason));
    EXPECT_GT(d.result.retry_after_ms, 0);
    EXPECT_EQ(d.result.detail, kDatabaseUnavailable);
  }
  EXPECT_EQ(pipeline_->health(), Health::kDegraded);
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 25);

  // Later entries are answered at once, and the state does not heal.
  Submit("later");
  pipeline_->RunOnceForTest();
  EXPECT_FALSE(Only("later").result.acked);
  clock_.Advance(60000);
  Settle();
  EXPECT_EQ(pipeline_->health(), Health::kDegraded);

  MakePipeline();  // the restart
  for (int i = 0; i < 20; ++i) {
    std::optional<db::QueueRow> row = Row("before-" + std::to_string(i));
    ASSERT_TRUE(row.has_value()) << "acknowledged entry before-" << i << " lost by the restart";
    EXPECT_EQ(row->state, common::EntryState::kDone);
  }
  EXPECT_EQ(pipeline_->health(), Health::kOk);
}

// A full disk (SQLite "database or disk is full" on every commit): the
// clients get the stable text, the 3 NACKs are counted at once and reach the
// counters table with the first commit that works.
TEST_F(DatabaseFaultTest, AFullDiskNacksWithStableTextAndCountsEveryNack) {
  MakePipeline();
  faults_->SetFailAllCommits(true, common::Status::Transient("commit: database or disk is full"));
  for (int i = 0; i < 3; ++i) Submit("q-" + std::to_string(i));
  Settle();
  for (int i = 0; i < 3; ++i) {
    Delivery d = Only("q-" + std::to_string(i));
    EXPECT_FALSE(d.result.acked);
    EXPECT_EQ(d.result.reason, NackReason::kSystem);
    EXPECT_EQ(d.result.detail, kDatabaseUnavailable);
  }
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.nacked, 3) << "NACKs sent while the disk is full must be counted";
  EXPECT_EQ(counts.received, 3);
  EXPECT_EQ(pipeline_->TenantCounts(kTenant).nacked, 3);
  EXPECT_EQ(pipeline_->health(), Health::kDegraded);

  faults_->SetFailAllCommits(false);
  Submit("q-ok");
  Settle();
  EXPECT_TRUE(Only("q-ok").result.acked);
  counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.nacked, 3) << "counted once, not again when written";
  EXPECT_EQ(counts.received, 4);
  EXPECT_EQ(StoredCounter("total.nacked"), 3);
  EXPECT_EQ(StoredCounter("total.received"), 4);
}

// An entry the database refuses (a constraint; here a trigger) and one whose
// retries run out: NACK details and the entry's last_error are the stable
// texts, not the store's message.
TEST_F(DatabaseFaultTest, NackDetailsAndLastErrorsCarryNoDatabaseMessages) {
  MakePipeline();
  pipeline_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_options_.path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER poison BEFORE INSERT ON entities"
                           " WHEN NEW.entity_id = 'a-refused'"
                           " BEGIN SELECT RAISE(ABORT, 'poisoned row in sqlite'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  MakePipeline();
  faults_->AddPoisonEntity("a-exhausted");  // transient on every attempt
  Submit("refused");
  Submit("exhausted");
  Settle();

  Delivery refused = Only("refused");
  EXPECT_FALSE(refused.result.acked);
  EXPECT_EQ(refused.result.reason, NackReason::kConstraint);
  EXPECT_EQ(refused.result.detail, kDatabaseRefused);
  Delivery exhausted = Only("exhausted");
  EXPECT_FALSE(exhausted.result.acked);
  EXPECT_EQ(exhausted.result.reason, NackReason::kSystem);
  EXPECT_EQ(exhausted.result.detail, kRetriesExhausted);
  for (const char* id : {"refused", "exhausted"}) {
    std::optional<db::QueueRow> row = Row(id);
    ASSERT_TRUE(row.has_value());
    ExpectNoInternals(row->last_error);
    ASSERT_TRUE(row->result.has_value());
    ExpectNoInternals(row->result->detail);
  }
  EXPECT_EQ(Row("refused")->last_error, kDatabaseRefused);
  EXPECT_EQ(Row("exhausted")->last_error, kDatabaseUnavailable);
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 2);
}

// Entries refused before the queue show in the statistics at once, and are
// written to the counters table exactly once.
TEST_F(DatabaseFaultTest, RefusalsAreCountedAtOnceAndWrittenOnce) {
  MakePipeline();
  pipeline_->CountRejected(kTenant);  // a validation NACK
  pipeline_->CountRejected("");       // one whose tenant could not be read
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 2);
  EXPECT_EQ(pipeline_->TenantCounts(kTenant).nacked, 1);
  Settle();
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 2);
  EXPECT_EQ(pipeline_->GlobalCounts().received, 2);
  EXPECT_EQ(StoredCounter("total.nacked"), 2);
}

// Entries refused because the pipeline is stopping get a system_error NACK
// from the caller; they are counted too.
TEST_F(DatabaseFaultTest, EntriesRefusedWhileStoppingAreCounted) {
  MakePipeline();
  pipeline_->Stop(0);
  SubmitOutcome late = pipeline_->Submit(MakeEntry("late"), common::MonotonicMicros());
  ASSERT_FALSE(late.accepted());
  EXPECT_EQ(late.refused->result.detail, kShuttingDown);
  EXPECT_EQ(late.refused->state, FinalState::kRefused);
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.received, 1);
}

}  // namespace
}  // namespace syncd::pipeline
