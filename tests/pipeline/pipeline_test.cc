// The pipeline on a real SQLite file behind the fault-injecting store, driven
// step by step with a fake clock (RecoverForTest + RunOnceForTest), plus a few
// tests on the real worker thread. Each test checks what a client or an
// operator would see: the ACK/NACK, the stored entity, the queue row, the
// conflicts list and the statistics.
#include "syncd/pipeline/pipeline.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "capturing_sink.h"
#include "support/entry_builders.h"
#include "support/fake_clock.h"
#include "support/syncd_process.h"
#include "syncd/db/counters.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/domain/entry.h"

namespace syncd::pipeline {
namespace {

using common::EntryState;
using domain::NackReason;
using domain::Outcome;
using domain::SyncEntry;

constexpr char kTenant[] = "tenant-1";
constexpr int64_t kT0 = 1764130000000;

// A valid Account entry as the web client sends it; its version is `version_ms`.
SyncEntry MakeEntry(const std::string& id, const std::string& entity_id, const std::string& op,
                    int64_t version_ms, const std::string& name = "Cash",
                    const std::string& tenant = kTenant) {
  return test::AccountEntry(tenant, id, entity_id, op, version_ms, name);
}

// An ACK with that outcome. A NACK has no outcome, so a wrongly
// dead-lettered or refused entry fails here with its reason and detail.
::testing::AssertionResult IsAck(const Delivery& d, Outcome outcome) {
  if (!d.result.acked) {
    return ::testing::AssertionFailure()
           << d.entry_id << " was NACKed " << domain::NackReasonName(d.result.reason) << ": "
           << d.result.detail;
  }
  if (d.result.outcome != outcome) {
    return ::testing::AssertionFailure()
           << d.entry_id << " outcome "
           << (d.result.outcome ? domain::OutcomeName(*d.result.outcome) : "(none)")
           << ", expected " << domain::OutcomeName(outcome);
  }
  return ::testing::AssertionSuccess();
}

// A fixed jitter seed: full jitter may draw a zero delay, and with the fake
// clock standing still two zero draws would use up all three attempts inside
// one Drain(). Seeded, every run of a test draws the same delays.
constexpr uint64_t kRngSeed = 20251130;

PipelineOptions TestOptions() {
  PipelineOptions options;
  options.retry = RetryPolicy{3, 20, 5000};
  options.rng_seed = kRngSeed;
  return options;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    db_options_.path = (dir_ / "syncd.db").string();
  }
  void TearDown() override {
    pipeline_.reset();
    read_.reset();
  }

  // A pipeline on the test file behind a FaultInjectingStore (faults_), with
  // the sink attached and unfinished entries recovered.
  void MakePipeline(PipelineOptions options = TestOptions(), const common::Clock* clock = nullptr,
                    bool recover = true) {
    pipeline_.reset();
    common::Status s;
    std::unique_ptr<db::WriteStore> inner = db::OpenSqliteWriteStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto faulty = std::make_unique<db::FaultInjectingStore>(std::move(inner));
    faults_ = faulty.get();
    pipeline_ =
        std::make_unique<Pipeline>(std::move(faulty), options, clock != nullptr ? clock : &clock_);
    pipeline_->AddSink(&sink_);
    if (recover) {
      s = pipeline_->RecoverForTest();
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  void Submit(SyncEntry entry) {
    EXPECT_TRUE(pipeline_->Submit(std::move(entry), common::MonotonicMicros()).accepted());
  }
  // Runs the worker until it has nothing due.
  void Drain() {
    for (int i = 0; i < 10000 && pipeline_->RunOnceForTest(); ++i) {
    }
  }
  // Past any backoff of the test policy.
  void PastBackoff() { clock_.Advance(5001); }

  db::ReadStore& Read() {
    if (!read_) {
      common::Status s;
      read_ = db::OpenSqliteReadStore(db_options_, &s);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return *read_;
  }
  std::optional<db::QueueRow> Row(const std::string& entry_id,
                                  const std::string& tenant = kTenant) {
    std::optional<db::QueueRow> row;
    common::Status s = Read().FindEntry(tenant, entry_id, &row);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return row;
  }
  std::optional<db::StoredEntity> Entity(const std::string& entity_id,
                                         const std::string& tenant = kTenant) {
    std::vector<db::StoredEntity> all;
    EXPECT_TRUE(Read().ListEntities(tenant, {}, true, &all).ok());
    for (db::StoredEntity& e : all) {
      if (e.entity_id == entity_id) return e;
    }
    return std::nullopt;
  }
  // The only delivery for one entry id (fails the test if there is not exactly one).
  Delivery Only(const std::string& entry_id) {
    std::vector<Delivery> got = sink_.For(entry_id);
    EXPECT_EQ(got.size(), 1u) << entry_id;
    return got.empty() ? Delivery{} : got.front();
  }

  // One number from the database file through the sqlite3 C API.
  int64_t SqlCount(const std::string& query) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_options_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db) << " in " << query;
    int64_t value = -1;
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
  }

  test::TempDir temp_;  // removed with the fixture, after TearDown
  std::filesystem::path dir_;
  db::SqliteOptions db_options_;
  test::FakeClock clock_{kT0};
  CapturingSink sink_;
  db::FaultInjectingStore* faults_ = nullptr;  // owned by pipeline_
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<db::ReadStore> read_;
};

TEST(PipelineOptionsTest, DefaultsAreTheDocumentedOnes) {
  PipelineOptions options;
  EXPECT_EQ(options.batch_max, 512);
  EXPECT_EQ(options.batch_wait_ms, 2);
  EXPECT_EQ(options.queue_max, 100000);
  EXPECT_EQ(options.result_retention_ms, 168LL * 3600 * 1000);
  EXPECT_EQ(options.retry.max_attempts, 8);
  EXPECT_FALSE(options.rng_seed.has_value());  // production seeds from std::random_device
}

// ---- last-write-wins through the pipeline (protocol.md, conflict rule) ----

TEST_F(PipelineTest, LastWriteWinsAppliesSupersedesAndKeepsTombstones) {
  // The old tie rule (--lww-tie stored): a tie is superseded like an older
  // version. The default rule has its own test below.
  PipelineOptions options = TestOptions();
  options.lww_tie = domain::TieRule::kStored;
  MakePipeline(options);
  Submit(MakeEntry("q-create", "a-1", "create", kT0 + 10, "First"));
  Drain();
  Delivery created = Only("q-create");
  EXPECT_TRUE(created.result.acked);
  EXPECT_TRUE(IsAck(created, Outcome::kApplied));
  EXPECT_EQ(created.entity_type, domain::EntityType::kAccount);
  EXPECT_EQ(created.entity_id, "a-1");
  EXPECT_EQ(created.operation_type, domain::Operation::kCreate);
  EXPECT_FALSE(created.duplicate);
  std::optional<db::StoredEntity> stored = Entity("a-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(created.result.checksum, domain::Md5Hex(stored->data));
  EXPECT_EQ(created.entity_data, stored->data);
  EXPECT_NE(stored->data.find("\"First\""), std::string::npos);
  EXPECT_EQ(stored->version_ms, kT0 + 10);
  EXPECT_EQ(stored->source_entry_id, "q-create");

  // Older and equal versions lose; the stored state is sent back.
  Submit(MakeEntry("q-older", "a-1", "update", kT0 + 5, "Older"));
  Submit(MakeEntry("q-tie", "a-1", "update", kT0 + 10, "Tie"));
  Drain();
  for (const char* id : {"q-older", "q-tie"}) {
    Delivery d = Only(id);
    EXPECT_TRUE(d.result.acked) << id;
    EXPECT_TRUE(IsAck(d, Outcome::kSuperseded)) << id;
    EXPECT_EQ(d.result.checksum, stored->checksum) << id;
    EXPECT_EQ(d.entity_data, stored->data) << id;
    EXPECT_FALSE(d.entity_deleted) << id;
  }
  EXPECT_NE(Entity("a-1")->data.find("\"First\""), std::string::npos);
  std::vector<db::ConflictRecord> conflicts;
  ASSERT_TRUE(Read().ListConflicts(kTenant, 10, &conflicts).ok());
  ASSERT_EQ(conflicts.size(), 2u);
  EXPECT_EQ(conflicts[0].entry_id, "q-tie");  // newest first
  EXPECT_EQ(conflicts[1].entry_id, "q-older");
  EXPECT_EQ(conflicts[1].entity_id, "a-1");
  EXPECT_EQ(conflicts[1].incoming_version_ms, kT0 + 5);
  EXPECT_EQ(conflicts[1].stored_version_ms, kT0 + 10);
  EXPECT_EQ(conflicts[1].stored_checksum, stored->checksum);
  EXPECT_EQ(conflicts[1].incoming_checksum,
            domain::Md5Hex(MakeEntry("q-older", "a-1", "update", kT0 + 5, "Older").data));
  EXPECT_EQ(conflicts[1].resolution, "server_wins");
  EXPECT_EQ(conflicts[1].detected_at_ms, kT0);

  // Delete: a tombstone with the delete's version.
  Submit(MakeEntry("q-delete", "a-1", "delete", kT0 + 20));
  Drain();
  Delivery deleted = Only("q-delete");
  EXPECT_TRUE(IsAck(deleted, Outcome::kApplied));
  EXPECT_EQ(deleted.result.checksum, "");
  EXPECT_TRUE(deleted.entity_deleted);
  stored = Entity("a-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->deleted);
  EXPECT_EQ(stored->version_ms, kT0 + 20);
  std::vector<db::StoredEntity> live;
  ASSERT_TRUE(Read().ListEntities(kTenant, {}, false, &live).ok());
  EXPECT_TRUE(live.empty());

  // A late update older than the delete does not bring it back.
  Submit(MakeEntry("q-late", "a-1", "update", kT0 + 15, "Late"));
  Drain();
  Delivery late = Only("q-late");
  EXPECT_TRUE(IsAck(late, Outcome::kSuperseded));
  EXPECT_TRUE(late.entity_deleted);
  EXPECT_TRUE(Entity("a-1")->deleted);

  // A newer one does.
  Submit(MakeEntry("q-newer", "a-1", "update", kT0 + 30, "Back"));
  Drain();
  EXPECT_TRUE(IsAck(Only("q-newer"), Outcome::kApplied));
  stored = Entity("a-1");
  EXPECT_FALSE(stored->deleted);
  EXPECT_NE(stored->data.find("\"Back\""), std::string::npos);

  // Deleting a missing entity is applied and leaves a tombstone.
  Submit(MakeEntry("q-delete-missing", "a-404", "delete", kT0 + 1));
  Drain();
  EXPECT_TRUE(IsAck(Only("q-delete-missing"), Outcome::kApplied));
  ASSERT_TRUE(Entity("a-404").has_value());
  EXPECT_TRUE(Entity("a-404")->deleted);

  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.applied, 4);
  EXPECT_EQ(counts.superseded, 3);
  EXPECT_EQ(counts.received, 7);
  std::optional<db::Checkpoint> checkpoint;
  ASSERT_TRUE(Read().GetCheckpoint(kTenant, &checkpoint).ok());
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->last_entry_id, "q-delete-missing");
}

// --lww-tie incoming (the default): a tie with a differing state is won by
// the incoming change, which replaces the stored state, is fanned out and
// records the replaced state as a client_wins_tie conflict; the same state
// on a tie is acked applied with nothing written and nothing to fan out.
TEST_F(PipelineTest, ATieIsWonByADifferingIncomingStateAndChangesNothingWhenTheSame) {
  EXPECT_EQ(TestOptions().lww_tie, domain::TieRule::kIncoming);
  MakePipeline();
  Submit(MakeEntry("q-create", "a-1", "create", kT0 + 10, "First"));
  Drain();
  std::optional<db::StoredEntity> first = Entity("a-1");
  ASSERT_TRUE(first.has_value());

  Submit(MakeEntry("q-same", "a-1", "update", kT0 + 10, "First"));
  Drain();
  Delivery same = Only("q-same");
  EXPECT_TRUE(IsAck(same, Outcome::kApplied));
  EXPECT_EQ(same.result.checksum, first->checksum);
  EXPECT_TRUE(same.entity_data.empty());                  // nothing for the other connections
  EXPECT_EQ(Entity("a-1")->source_entry_id, "q-create");  // not written again

  Submit(MakeEntry("q-tie", "a-1", "update", kT0 + 10, "Tie"));
  Drain();
  Delivery tie = Only("q-tie");
  EXPECT_TRUE(IsAck(tie, Outcome::kApplied));
  std::optional<db::StoredEntity> stored = Entity("a-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_NE(stored->data.find("\"Tie\""), std::string::npos);
  EXPECT_EQ(stored->source_entry_id, "q-tie");
  EXPECT_EQ(tie.result.checksum, stored->checksum);
  EXPECT_EQ(tie.entity_data, stored->data);  // fanned out

  std::vector<db::ConflictRecord> conflicts;
  ASSERT_TRUE(Read().ListConflicts(kTenant, 10, &conflicts).ok());
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].entry_id, "q-tie");
  EXPECT_EQ(conflicts[0].resolution, "client_wins_tie");
  EXPECT_EQ(conflicts[0].stored_checksum, first->checksum);
  EXPECT_EQ(conflicts[0].incoming_checksum, stored->checksum);
  EXPECT_EQ(conflicts[0].incoming_version_ms, kT0 + 10);
  EXPECT_EQ(conflicts[0].stored_version_ms, kT0 + 10);

  // A tie between a tombstone and a differing update revives the entity.
  Submit(MakeEntry("q-delete", "a-1", "delete", kT0 + 20));
  Submit(MakeEntry("q-revive", "a-1", "update", kT0 + 20, "Back"));
  Drain();
  EXPECT_TRUE(IsAck(Only("q-revive"), Outcome::kApplied));
  EXPECT_FALSE(Entity("a-1")->deleted);

  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.applied, 5);
  EXPECT_EQ(counts.superseded, 0);
}

// A delete goes through last-write-wins like an update: an older one loses
// and leaves the entity alone, a newer one wins and leaves a tombstone.
TEST_F(PipelineTest, ADeleteIsDecidedByItsVersionLikeAnUpdate) {
  MakePipeline();
  Submit(MakeEntry("q-create", "a-1", "create", kT0 + 10, "Live"));
  Drain();
  ASSERT_TRUE(IsAck(Only("q-create"), Outcome::kApplied));

  Submit(MakeEntry("q-old-delete", "a-1", "delete", kT0 + 5));
  Drain();
  EXPECT_TRUE(IsAck(Only("q-old-delete"), Outcome::kSuperseded));
  std::optional<db::StoredEntity> stored = Entity("a-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->deleted);
  EXPECT_EQ(stored->version_ms, kT0 + 10);

  Submit(MakeEntry("q-new-delete", "a-1", "delete", kT0 + 20));
  Drain();
  Delivery deleted = Only("q-new-delete");
  EXPECT_TRUE(IsAck(deleted, Outcome::kApplied));
  EXPECT_EQ(deleted.operation_type, domain::Operation::kDelete);
  EXPECT_TRUE(deleted.entity_deleted);
  stored = Entity("a-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->deleted);
  EXPECT_EQ(stored->version_ms, kT0 + 20);
}

TEST_F(PipelineTest, EntriesOfOneEntityInOneBatchApplyInArrivalOrder) {
  MakePipeline();
  Submit(MakeEntry("q-1", "a-1", "update", kT0 + 100, "A"));
  Submit(MakeEntry("q-2", "a-1", "update", kT0 + 300, "B"));
  Submit(MakeEntry("q-3", "a-1", "update", kT0 + 200, "C"));  // older than q-2
  Submit(MakeEntry("q-4", "a-2", "create", kT0 + 1, "Other"));
  ASSERT_TRUE(pipeline_->RunOnceForTest());

  std::vector<Delivery> all = sink_.All();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].entry_id, "q-1");
  EXPECT_EQ(all[1].entry_id, "q-2");
  EXPECT_EQ(all[2].entry_id, "q-3");
  EXPECT_TRUE(IsAck(all[0], Outcome::kApplied));
  EXPECT_TRUE(IsAck(all[1], Outcome::kApplied));
  EXPECT_TRUE(IsAck(all[2], Outcome::kSuperseded));
  EXPECT_NE(Entity("a-1")->data.find("\"B\""), std::string::npos);
  Metrics::Snapshot m = pipeline_->metrics().Take();
  EXPECT_EQ(m.batch_count, 1);
  EXPECT_EQ(m.batch_max_size, 4);
}

// ---- idempotency (protocol.md) ----

TEST_F(PipelineTest, AFinishedIdSentAgainGetsTheSameResultMarkedDuplicate) {
  MakePipeline();
  Submit(MakeEntry("q-1", "a-1", "create", kT0 + 10, "First"));
  Drain();
  Delivery first = Only("q-1");
  sink_.Clear();

  clock_.Advance(1000);
  // Same id, different content: never applied twice.
  Submit(MakeEntry("q-1", "a-1", "update", kT0 + 99, "Changed"));
  Drain();
  Delivery again = Only("q-1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.result.acked, first.result.acked);
  EXPECT_EQ(again.result.outcome, first.result.outcome);
  EXPECT_EQ(again.result.checksum, first.result.checksum);
  EXPECT_EQ(again.result.server_timestamp_ms, first.result.server_timestamp_ms);
  EXPECT_EQ(again.entity_id, "a-1");
  EXPECT_EQ(again.operation_type, domain::Operation::kCreate);  // the first entry's
  EXPECT_NE(Entity("a-1")->data.find("\"First\""), std::string::npos);

  // The same id from another tenant is another entry.
  Submit(MakeEntry("q-1", "a-1", "create", kT0 + 10, "T2", "tenant-2"));
  Drain();
  std::vector<Delivery> t2 = sink_.For("q-1");
  ASSERT_EQ(t2.size(), 2u);
  EXPECT_EQ(t2[1].tenant_id, "tenant-2");
  EXPECT_FALSE(t2[1].duplicate);

  QueueCounts counts = pipeline_->TenantCounts(kTenant);
  EXPECT_EQ(counts.received, 2);
  EXPECT_EQ(counts.duplicates, 1);
  EXPECT_EQ(counts.applied, 1);
}

TEST_F(PipelineTest, ADeadLetteredIdSentAgainGetsItsNackAgain) {
  MakePipeline();
  faults_->AddPoisonEntity("a-1");
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  for (int i = 0; i < 3; ++i) {
    pipeline_->RunOnceForTest();
    PastBackoff();
  }
  Delivery nack = Only("q-1");
  ASSERT_FALSE(nack.result.acked);
  sink_.Clear();
  faults_->ClearPoison();
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  Drain();
  Delivery again = Only("q-1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.result.acked);
  EXPECT_EQ(again.result.reason, NackReason::kSystem);
  EXPECT_EQ(again.result.detail, nack.result.detail);
  EXPECT_FALSE(Entity("a-1").has_value());  // still not applied
}

TEST_F(PipelineTest, AnIdSentAgainWhileUnfinishedIsAnsweredOnce) {
  MakePipeline();
  // Twice before the worker runs.
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  Drain();
  EXPECT_FALSE(Only("q-1").duplicate);

  // Again while it waits for a retry.
  faults_->AddPoisonEntity("a-2");
  Submit(MakeEntry("q-2", "a-2", "create", kT0));
  Drain();
  ASSERT_EQ(Row("q-2")->state, EntryState::kRetryWait);
  Submit(MakeEntry("q-2", "a-2", "create", kT0));
  Drain();
  EXPECT_TRUE(sink_.For("q-2").empty());
  faults_->ClearPoison();
  PastBackoff();
  Drain();
  Delivery d = Only("q-2");
  EXPECT_TRUE(d.result.acked);
  EXPECT_TRUE(IsAck(d, Outcome::kApplied));
  EXPECT_FALSE(d.duplicate);

  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.duplicates, 2);
  EXPECT_EQ(counts.applied, 2);
  EXPECT_EQ(counts.pending + counts.in_flight + counts.retry_wait, 0);
}

// ---- retries and dead-lettering (service.md, durability rule 4) ----

// SYNCD_FAULT_COMMIT_RATE=1: every apply commit fails.
TEST_F(PipelineTest, FailedApplyCommitsCountAttemptsThenDeadLetterOnce) {
  MakePipeline();
  faults_->SetApplyCommitFailureRate(1.0, 7);
  Submit(MakeEntry("q-1", "a-1", "create", kT0));

  for (int attempt = 1; attempt <= 2; ++attempt) {
    int64_t now = clock_.NowMs();
    ASSERT_TRUE(pipeline_->RunOnceForTest());
    std::optional<db::QueueRow> row = Row("q-1");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->attempts, attempt);
    EXPECT_EQ(row->state, EntryState::kRetryWait);
    // The store's own message goes to the log; clients see the stable text.
    EXPECT_EQ(row->last_error, kDatabaseUnavailable);
    // The next attempt waits within the backoff ceiling of this attempt.
    EXPECT_GE(row->next_attempt_at_ms, now);
    EXPECT_LE(row->next_attempt_at_ms, now + BackoffCeilingMs(TestOptions().retry, attempt));
    EXPECT_TRUE(sink_.All().empty()) << "no reply before the last attempt";
    EXPECT_EQ(pipeline_->GlobalCounts().retry_wait, 1);
    PastBackoff();
  }
  ASSERT_TRUE(pipeline_->RunOnceForTest());
  std::optional<db::QueueRow> row = Row("q-1");
  EXPECT_EQ(row->attempts, 3);
  EXPECT_EQ(row->state, EntryState::kDead);
  Delivery nack = Only("q-1");
  EXPECT_FALSE(nack.result.acked);
  EXPECT_EQ(nack.result.reason, NackReason::kSystem);
  EXPECT_FALSE(domain::IsPermanent(nack.result.reason));
  EXPECT_GT(nack.result.retry_after_ms, 0);
  ASSERT_TRUE(row->result.has_value());
  EXPECT_FALSE(row->result->acked);
  EXPECT_EQ(row->result->reason, NackReason::kSystem);
  EXPECT_FALSE(Entity("a-1").has_value());

  // Nothing more, however long we wait.
  for (int i = 0; i < 3; ++i) {
    PastBackoff();
    Drain();
  }
  EXPECT_EQ(sink_.size(), 1u);
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(counts.dead_lettered, 1);
  EXPECT_EQ(counts.retries, 2);  // attempts 1 and 2 were followed by a retry
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.applied, 0);
  EXPECT_EQ(counts.pending + counts.in_flight + counts.retry_wait, 0);
  EXPECT_EQ(pipeline_->TenantCounts(kTenant).dead, 1);
}

// A full disk: no commit of any kind succeeds, so nothing can be queued.
// The client must still get one system_error NACK (retryable) rather than
// silence, and the id must stay usable once the disk has room again.
TEST_F(PipelineTest, WhenNoCommitSucceedsTheEntryIsNackedSystemErrorOnce) {
  MakePipeline();
  faults_->SetFailAllCommits(true);
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    pipeline_->RunOnceForTest();
    if (attempt < 3) {
      EXPECT_TRUE(sink_.All().empty()) << "attempt " << attempt;
    }
    PastBackoff();
  }
  for (const Delivery& d : sink_.All()) {
    EXPECT_EQ(d.entry_id, "q-1") << "a NACK for tenant '" << d.tenant_id << "' entity '"
                                 << d.entity_id << "': " << d.result.detail;
  }
  Delivery nack = Only("q-1");
  EXPECT_FALSE(nack.result.acked);
  EXPECT_EQ(nack.result.reason, NackReason::kSystem);
  EXPECT_FALSE(domain::IsPermanent(nack.result.reason));
  EXPECT_GT(nack.result.retry_after_ms, 0);
  for (int i = 0; i < 3; ++i) {
    PastBackoff();
    Drain();
  }
  EXPECT_EQ(sink_.size(), 1u);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM sync_queue"), 0);

  faults_->SetFailAllCommits(false);
  sink_.Clear();
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  PastBackoff();  // the NACK's count kept trying to reach the counters table
  Drain();
  Delivery ack = Only("q-1");
  EXPECT_TRUE(ack.result.acked);
  EXPECT_FALSE(ack.duplicate);
  EXPECT_TRUE(IsAck(ack, Outcome::kApplied));
}

// An entry refused as it was read, with the fields a client could read.
domain::EntryError Refusal(const std::string& id) {
  domain::EntryError e;
  e.reason = NackReason::kValidation;
  e.detail = "payload.name is required";
  e.id = id;
  e.entity_id = "a-1";
  e.entity_type = "Account";
  e.operation_type = "create";
  return e;
}

// protocol.md, remembered NACKs: the refusal is durable, so a resend after a
// restart (valid this time) is answered with it, marked duplicate, and not
// applied; the counters say one NACK and one duplicate.
TEST_F(PipelineTest, ARefusedIdIsRememberedAcrossARestart) {
  MakePipeline();
  EXPECT_TRUE(pipeline_->SubmitRefused(kTenant, Refusal("q-bad"), 1).accepted());
  Drain();
  Delivery first = Only("q-bad");
  EXPECT_FALSE(first.result.acked);
  EXPECT_EQ(first.result.reason, NackReason::kValidation);
  EXPECT_EQ(first.state, FinalState::kDone);
  ASSERT_TRUE(first.refused.has_value());
  EXPECT_FALSE(first.duplicate);

  MakePipeline();  // a restart on the same file
  sink_.Clear();
  Submit(MakeEntry("q-bad", "a-1", "create", kT0));
  Drain();
  Delivery again = Only("q-bad");
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.result.acked);
  EXPECT_EQ(again.result.detail, first.result.detail);
  EXPECT_EQ(again.result.server_timestamp_ms, first.result.server_timestamp_ms);
  ASSERT_TRUE(again.refused.has_value());
  EXPECT_EQ(again.refused->entity_type, std::optional<std::string>("Account"));
  EXPECT_FALSE(Entity("a-1").has_value());
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.received, 2);
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.duplicates, 1);
  EXPECT_EQ(counts.applied, 0);
  EXPECT_EQ(counts.in_flight + counts.pending, 0);
}

// Not remembered: an id that is no identifier, and any refusal while the
// database takes no commit (answered with its own NACK, not system_error).
TEST_F(PipelineTest, ARefusalThatCannotBeRememberedIsAnsweredWithItsOwnNack) {
  MakePipeline();
  domain::EntryError bad_id = Refusal(std::string(200, 'x'));
  SubmitOutcome now = pipeline_->SubmitRefused(kTenant, bad_id, 1);
  ASSERT_FALSE(now.accepted());
  EXPECT_EQ(now.refused->result.reason, NackReason::kValidation);
  EXPECT_EQ(now.refused->state, FinalState::kRefused);

  faults_->SetFailAllCommits(true);
  EXPECT_TRUE(pipeline_->SubmitRefused(kTenant, Refusal("q-bad"), 1).accepted());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    pipeline_->RunOnceForTest();
    PastBackoff();
  }
  Delivery nack = Only("q-bad");
  EXPECT_EQ(nack.result.reason, NackReason::kValidation);
  EXPECT_EQ(nack.state, FinalState::kRefused);
  EXPECT_FALSE(nack.duplicate);
  faults_->SetFailAllCommits(false);
  Drain();
  EXPECT_EQ(SqlCount("SELECT count(*) FROM sync_queue"), 0);
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 2);
}

// One failed ingest commit (e.g. a busy or briefly full disk): the entries
// are persisted on the next try, unchanged, and applied.
TEST_F(PipelineTest, AnEntryWhoseIngestCommitFailedOnceIsAppliedUnchanged) {
  MakePipeline();
  faults_->SetFailAllCommits(true);
  SyncEntry entry = MakeEntry("q-1", "a-1", "create", kT0, "Kept");
  Submit(entry);
  pipeline_->RunOnceForTest();
  EXPECT_TRUE(sink_.All().empty());
  faults_->SetFailAllCommits(false);
  PastBackoff();
  Drain();
  std::vector<Delivery> all = sink_.All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].entry_id, "q-1");
  EXPECT_EQ(all[0].tenant_id, kTenant);
  EXPECT_EQ(all[0].entity_id, "a-1");
  EXPECT_TRUE(all[0].result.acked);
  EXPECT_TRUE(IsAck(all[0], Outcome::kApplied));
  std::optional<db::QueueRow> row = Row("q-1");
  ASSERT_TRUE(row.has_value()) << "the entry was not persisted under its id";
  // A done entry keeps its result, not its payload: the entity holds that.
  EXPECT_EQ(row->state, common::EntryState::kDone);
  EXPECT_EQ(row->entry.entity_id, "a-1");
  ASSERT_TRUE(Entity("a-1").has_value());
  EXPECT_EQ(Entity("a-1")->data, entry.data);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM sync_queue WHERE entry_id = '' OR tenant_id = ''"), 0);
}

// Queued entries whose claim cannot be committed are retried with backoff,
// not in a tight loop (service.md rule 4: transient errors are retried with
// backoff), and are applied once commits work again.
TEST_F(PipelineTest, FailedClaimCommitsAreRetriedWithBackoff) {
  {
    common::Status s;
    auto store = db::OpenSqliteWriteStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(store->Begin(db::TxnKind::kIngest).ok());
    int64_t seq = 0;
    bool inserted = false;
    ASSERT_TRUE(store
                    ->InsertEntry(MakeEntry("q-1", "a-1", "create", kT0), kT0 - 10,
                                  EntryState::kPending, 0, &seq, &inserted)
                    .ok());
    ASSERT_TRUE(store
                    ->AddCounters({{{"", db::counters::kPending}, 1},
                                   {{kTenant, db::counters::kPending}, 1},
                                   {{"", db::counters::kReceived}, 1},
                                   {{kTenant, db::counters::kReceived}, 1}})
                    .ok());
    ASSERT_TRUE(store->Commit().ok());
  }
  PipelineOptions options = TestOptions();
  options.retry.base_ms = 1000;  // a zero-length jittered delay is very unlikely
  MakePipeline(options);
  faults_->SetFailAllCommits(true);
  pipeline_->RunOnceForTest();  // the claim fails
  const int64_t failures = faults_->injected_failures();
  ASSERT_GE(failures, 1);
  // Same instant: the failed claim waits for its backoff. (One maintenance
  // commit may fail too; it has its own interval.)
  for (int i = 0; i < 50; ++i) pipeline_->RunOnceForTest();
  EXPECT_LE(faults_->injected_failures() - failures, 2)
      << "the worker retried a failed commit " << faults_->injected_failures() - failures
      << " times without waiting";

  faults_->SetFailAllCommits(false);
  PastBackoff();
  Drain();
  EXPECT_TRUE(Only("q-1").result.acked);
  EXPECT_EQ(Row("q-1")->state, EntryState::kDone);
}

TEST_F(PipelineTest, AnEntryThatSucceedsOnItsThirdAttemptIsAckedNotNacked) {
  MakePipeline();
  faults_->SetApplyCommitFailureRate(1.0, 3);
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  ASSERT_TRUE(pipeline_->RunOnceForTest());
  PastBackoff();
  ASSERT_TRUE(pipeline_->RunOnceForTest());
  EXPECT_EQ(Row("q-1")->attempts, 2);
  faults_->SetApplyCommitFailureRate(0, 3);
  PastBackoff();
  Drain();
  std::vector<Delivery> got = sink_.For("q-1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].result.acked);
  EXPECT_TRUE(IsAck(got[0], Outcome::kApplied));
  std::optional<db::QueueRow> row = Row("q-1");
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->attempts, 3);
  ASSERT_TRUE(Entity("a-1").has_value());
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.retries, 2);
  EXPECT_EQ(counts.applied, 1);
  EXPECT_EQ(counts.nacked, 0);
  EXPECT_EQ(counts.dead, 0);
}

TEST_F(PipelineTest, OnePoisonEntryAmong500FailsAloneAndEndsDead) {
  MakePipeline();
  faults_->AddPoisonEntity("poison");
  for (int i = 0; i < 500; ++i) {
    if (i == 250) {
      Submit(MakeEntry("q-poison", "poison", "create", kT0));
    } else {
      Submit(MakeEntry("q-" + std::to_string(i), "a-" + std::to_string(i), "create", kT0));
    }
  }
  ASSERT_TRUE(pipeline_->RunOnceForTest());
  std::vector<Delivery> first = sink_.All();
  ASSERT_EQ(first.size(), 499u);
  for (const Delivery& d : first) {
    EXPECT_TRUE(d.result.acked) << d.entry_id;
    EXPECT_TRUE(IsAck(d, Outcome::kApplied)) << d.entry_id;
  }
  EXPECT_EQ(Row("q-poison")->state, EntryState::kRetryWait);
  EXPECT_EQ(pipeline_->metrics().Take().batch_count, 1);  // one transaction for all 500

  for (int i = 0; i < 4; ++i) {
    PastBackoff();
    Drain();
  }
  std::vector<Delivery> all = sink_.All();
  ASSERT_EQ(all.size(), 500u);
  int nacks = 0;
  for (const Delivery& d : all) {
    if (!d.result.acked) {
      ++nacks;
      EXPECT_EQ(d.entry_id, "q-poison");
      EXPECT_EQ(d.result.reason, NackReason::kSystem);
    }
  }
  EXPECT_EQ(nacks, 1);
  std::optional<db::QueueRow> poison = Row("q-poison");
  EXPECT_EQ(poison->state, EntryState::kDead);
  EXPECT_EQ(poison->attempts, 3);
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.applied, 499);
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(counts.retries, 2);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM entities WHERE deleted = 0"), 499);
}

// service.md rule 4: a permanent error is answered at once and never retried.
TEST_F(PipelineTest, APermanentErrorNacksConstraintErrorAtOnceAndIsNeverRetried) {
  MakePipeline();
  faults_->AddPermanentPoisonEntity("a-1");
  Submit(MakeEntry("q-1", "a-1", "create", kT0));
  Submit(MakeEntry("q-2", "a-2", "create", kT0));
  ASSERT_TRUE(pipeline_->RunOnceForTest());  // one batch: no second attempt needed
  Delivery d = Only("q-1");
  EXPECT_FALSE(d.result.acked);
  EXPECT_FALSE(d.result.outcome.has_value());
  EXPECT_EQ(d.result.reason, NackReason::kConstraint);
  EXPECT_TRUE(domain::IsPermanent(d.result.reason));
  // The stable text; the database's own goes to the log only.
  EXPECT_EQ(d.result.detail, kDatabaseRefused) << d.result.detail;
  EXPECT_TRUE(IsAck(Only("q-2"), Outcome::kApplied));  // its neighbour is unaffected
  std::optional<db::QueueRow> row = Row("q-1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->attempts, 1);

  // Nothing comes back for it later, even once the error is gone.
  faults_->ClearPoison();
  PastBackoff();
  Drain();
  EXPECT_EQ(sink_.For("q-1").size(), 1u);
  EXPECT_EQ(Row("q-1")->attempts, 1);
  EXPECT_FALSE(Entity("a-1").has_value());
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.retries, 0);
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.applied, 1);
}

// The jitter comes from PipelineOptions::rng_seed: the same seed, the same
// retry times; so a test run is repeatable.
TEST_F(PipelineTest, TheSameRngSeedGivesTheSameBackoffDelays) {
  int run = 0;
  // Each run uses its own entity, so the entries left by earlier runs (which
  // the next pipeline recovers) succeed without drawing from the generator.
  auto retry_times = [this, &run](uint64_t seed) {
    PipelineOptions options = TestOptions();
    options.retry = RetryPolicy{8, 1000, 1000000};
    options.rng_seed = seed;
    MakePipeline(options);
    std::string entity = "a-run-" + std::to_string(++run);
    std::string id = "q-run-" + std::to_string(run);
    faults_->AddPoisonEntity(entity);
    Submit(MakeEntry(id, entity, "create", kT0));
    std::vector<int64_t> delays;
    for (int i = 0; i < 4; ++i) {
      int64_t now = clock_.NowMs();
      pipeline_->RunOnceForTest();
      std::optional<db::QueueRow> row = Row(id);
      if (!row || row->state != EntryState::kRetryWait) break;
      delays.push_back(row->next_attempt_at_ms - now);
      clock_.Advance(row->next_attempt_at_ms - now + 1);
    }
    faults_->ClearPoison();
    return delays;
  };
  std::vector<int64_t> first = retry_times(1);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(retry_times(1), first) << "the same seed drew other delays";
  EXPECT_NE(retry_times(2), first) << "the seed is not used";
}

TEST_F(PipelineTest, ATransientFailureDelaysLaterEntriesOfTheSameEntity) {
  MakePipeline();
  faults_->AddPoisonEntity("a-1");
  Submit(MakeEntry("q-1", "a-1", "update", kT0 + 100, "Old"));
  Submit(MakeEntry("q-2", "a-1", "update", kT0 + 200, "New"));
  Submit(MakeEntry("q-3", "a-2", "create", kT0, "Unrelated"));
  Drain();
  EXPECT_TRUE(IsAck(Only("q-3"), Outcome::kApplied));
  EXPECT_TRUE(sink_.For("q-2").empty()) << "q-2 must not overtake q-1";
  faults_->ClearPoison();
  PastBackoff();
  Drain();
  std::vector<Delivery> all = sink_.All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].entry_id, "q-1");
  EXPECT_EQ(all[2].entry_id, "q-2");
  EXPECT_TRUE(IsAck(all[1], Outcome::kApplied));
  EXPECT_TRUE(IsAck(all[2], Outcome::kApplied));
  EXPECT_NE(Entity("a-1")->data.find("\"New\""), std::string::npos);
}

// ---- crash recovery (service.md, durability rule 2) ----

TEST_F(PipelineTest, EntriesLeftByADeadProcessAreAppliedOnceAfterRestart) {
  {
    // What a process that died mid-batch leaves behind.
    common::Status s;
    auto store = db::OpenSqliteWriteStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(store->Begin(db::TxnKind::kIngest).ok());
    auto insert = [&](const std::string& id, EntryState state, int64_t lease) {
      int64_t seq = 0;
      bool inserted = false;
      EXPECT_TRUE(store
                      ->InsertEntry(MakeEntry(id, "e-" + id, "create", kT0), kT0 - 60000, state,
                                    lease, &seq, &inserted)
                      .ok());
      EXPECT_TRUE(inserted);
      return seq;
    };
    insert("in-flight-1", EntryState::kInFlight, kT0 - 30000);  // lease long expired
    insert("in-flight-2", EntryState::kInFlight, kT0 - 1);
    insert("pending", EntryState::kPending, 0);
    int64_t due = insert("retry-due", EntryState::kPending, 0);
    int64_t later = insert("retry-later", EntryState::kPending, 0);
    ASSERT_TRUE(store->ScheduleRetry(due, 1, kT0 - 5, "database is locked").ok());
    ASSERT_TRUE(store->ScheduleRetry(later, 1, kT0 + 1000, "database is locked").ok());
    db::CounterMap deltas;
    for (const std::string scope : {"", kTenant}) {
      deltas[{scope, db::counters::kReceived}] = 5;
      deltas[{scope, db::counters::kInFlight}] = 2;
      deltas[{scope, db::counters::kPending}] = 1;
      deltas[{scope, db::counters::kRetryWait}] = 2;
      deltas[{scope, db::counters::kRetries}] = 2;
    }
    ASSERT_TRUE(store->AddCounters(deltas).ok());
    ASSERT_TRUE(store->Commit().ok());
  }  // the store is destroyed: the writer lock is released, as when a process dies

  MakePipeline();
  QueueCounts before = pipeline_->GlobalCounts();
  EXPECT_EQ(before.in_flight, 2);
  EXPECT_EQ(before.pending, 1);
  EXPECT_EQ(before.retry_wait, 2);
  Drain();
  for (const char* id : {"in-flight-1", "in-flight-2", "pending", "retry-due"}) {
    Delivery d = Only(id);
    EXPECT_TRUE(d.result.acked) << id;
    EXPECT_TRUE(IsAck(d, Outcome::kApplied)) << id;
    EXPECT_EQ(d.received_us, 0) << id;  // receipt time unknown after a restart
    EXPECT_EQ(Row(id)->state, EntryState::kDone) << id;
  }
  EXPECT_TRUE(sink_.For("retry-later").empty()) << "applied before its backoff ended";
  EXPECT_EQ(Row("retry-later")->state, EntryState::kRetryWait);

  clock_.Advance(1000);
  Drain();
  EXPECT_TRUE(Only("retry-later").result.acked);
  clock_.Advance(60000);
  Drain();
  EXPECT_EQ(sink_.size(), 5u);  // each exactly once
  EXPECT_EQ(SqlCount("SELECT count(*) FROM entities"), 5);

  QueueCounts after = pipeline_->GlobalCounts();
  EXPECT_EQ(after.applied, 5);
  EXPECT_EQ(after.pending + after.in_flight + after.retry_wait + after.dead, 0);

  // A client that resends after the restart gets the stored result.
  sink_.Clear();
  Submit(MakeEntry("in-flight-1", "e-in-flight-1", "create", kT0));
  Drain();
  EXPECT_TRUE(Only("in-flight-1").duplicate);
}

// The statistics' oldest_pending_age_ms comes from memory: the receipt time
// of the oldest unfinished entry, also after a restart, and 0 once drained.
TEST_F(PipelineTest, OldestUnfinishedEntryIsKnownWithoutAQuery) {
  PipelineOptions options = TestOptions();
  options.batch_max = 2;
  MakePipeline(options);
  EXPECT_EQ(pipeline_->OldestUnfinishedReceivedMs(), 0);
  const int64_t first_received = clock_.NowMs();
  Submit(MakeEntry("o-0", "o-0", "create", kT0));
  clock_.Advance(5);
  for (int i = 1; i < 6; ++i) {
    Submit(MakeEntry("o-" + std::to_string(i), "o-" + std::to_string(i), "create", kT0));
  }
  ASSERT_TRUE(pipeline_->RunOnceForTest());  // o-0 and o-1 applied, four wait
  EXPECT_EQ(pipeline_->OldestUnfinishedReceivedMs(), first_received + 5);

  MakePipeline(options);  // recovered from the queue table
  EXPECT_EQ(pipeline_->OldestUnfinishedReceivedMs(), first_received + 5);
  ASSERT_TRUE(pipeline_->RunOnceForTest());  // o-2, o-3 applied
  EXPECT_EQ(pipeline_->OldestUnfinishedReceivedMs(), first_received + 5);
  Drain();
  EXPECT_EQ(pipeline_->OldestUnfinishedReceivedMs(), 0);
}

TEST_F(PipelineTest, UnfinishedEntriesSurviveAPipelineRestart) {
  PipelineOptions options = TestOptions();
  options.batch_max = 2;
  MakePipeline(options);
  for (int i = 0; i < 6; ++i) {
    Submit(MakeEntry("q-" + std::to_string(i), "a-" + std::to_string(i), "create", kT0));
  }
  // One batch of 2; the other 4 were written already claimed (in_flight,
  // leased) and wait in memory for the next batch.
  ASSERT_TRUE(pipeline_->RunOnceForTest());
  EXPECT_EQ(sink_.size(), 2u);
  EXPECT_EQ(pipeline_->GlobalCounts().in_flight, 4);

  MakePipeline(options);  // the old one is destroyed first (a crash, for the queue)
  EXPECT_EQ(pipeline_->GlobalCounts().in_flight, 4);
  Drain();
  EXPECT_EQ(sink_.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(sink_.For("q-" + std::to_string(i)).size(), 1u) << i;
}

// ---- backpressure ----

TEST_F(PipelineTest, AFullQueueRefusesNewEntriesUntilItDrains) {
  PipelineOptions options = TestOptions();
  options.queue_max = 5;
  MakePipeline(options);
  for (int i = 0; i < 5; ++i) {
    Submit(MakeEntry("q-" + std::to_string(i), "a-" + std::to_string(i), "create", kT0));
  }
  // Full: a new entry is refused (rate_limit_error, nothing persisted), but a
  // resent id is still a duplicate, answered once when it finishes.
  Submit(MakeEntry("q-5", "a-5", "create", kT0));
  Submit(MakeEntry("q-0", "a-0", "create", kT0));
  EXPECT_GT(pipeline_->RetryAfterMs(), 0);
  Drain();
  EXPECT_EQ(sink_.size(), 6u);
  const Delivery& refused = Only("q-5");
  EXPECT_FALSE(refused.result.acked);
  EXPECT_EQ(refused.result.reason, domain::NackReason::kRateLimit);
  EXPECT_GT(refused.result.retry_after_ms, 0);
  EXPECT_FALSE(Row("q-5").has_value()) << "a refused entry is not persisted";
  EXPECT_TRUE(Only("q-0").result.acked);

  sink_.Clear();
  Submit(MakeEntry("q-5", "a-5", "create", kT0));
  Drain();
  EXPECT_TRUE(Only("q-5").result.acked);
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.received, 8);  // 5 + the refused one + the resent q-0 + the resend of q-5
  EXPECT_EQ(counts.duplicates, 1);
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.applied, 6);
}

// ---- operator actions (REST /api/v1/sync/acknowledge) ----

class OperatorTest : public PipelineTest {
 protected:
  // Dead-letters `id` (max_attempts = 1, its entity failing), then heals the entity.
  void MakeDead(const std::string& id, const std::string& entity_id) {
    faults_->AddPoisonEntity(entity_id);
    Submit(MakeEntry(id, entity_id, "create", kT0 + 1, "Dead"));
    Drain();
    ASSERT_EQ(Row(id)->state, EntryState::kDead);
    faults_->ClearPoison();
    sink_.Clear();
  }
  OperatorResult Operate(const std::string& id, OperatorAction action,
                         const std::string& detail = "") {
    std::future<OperatorResult> future = pipeline_->Operate(kTenant, id, action, detail);
    pipeline_->RunOnceForTest();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    return future.get();
  }
  void SetUp() override {
    PipelineTest::SetUp();
    PipelineOptions options = TestOptions();
    options.retry.max_attempts = 1;
    MakePipeline(options);
  }
};

TEST_F(OperatorTest, AckFinishesADeadEntryAsManual) {
  MakeDead("q-1", "a-1");
  EXPECT_EQ(pipeline_->GlobalCounts().dead, 1);
  OperatorResult result = Operate("q-1", OperatorAction::kAck);
  EXPECT_EQ(result.code, OperatorResult::Code::kOk) << result.message;
  EXPECT_EQ(result.state, "done");
  Delivery d = Only("q-1");
  EXPECT_TRUE(d.result.acked);
  EXPECT_TRUE(IsAck(d, Outcome::kManual));
  std::optional<db::QueueRow> row = Row("q-1");
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->result->outcome, Outcome::kManual);
  EXPECT_FALSE(Entity("a-1").has_value()) << "ack does not apply the change";
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.manual, 1);
  // A resend now gets the manual ACK.
  sink_.Clear();
  Submit(MakeEntry("q-1", "a-1", "create", kT0 + 1));
  Drain();
  EXPECT_TRUE(Only("q-1").duplicate);
  EXPECT_TRUE(IsAck(Only("q-1"), Outcome::kManual));
}

TEST_F(OperatorTest, RetryRequeuesADeadEntryWhichIsThenApplied) {
  MakeDead("q-1", "a-1");
  OperatorResult result = Operate("q-1", OperatorAction::kRetry);
  EXPECT_EQ(result.code, OperatorResult::Code::kOk) << result.message;
  EXPECT_EQ(result.state, "pending");
  Drain();
  Delivery d = Only("q-1");
  EXPECT_TRUE(d.result.acked);
  EXPECT_TRUE(IsAck(d, Outcome::kApplied));
  EXPECT_EQ(Row("q-1")->state, EntryState::kDone);
  ASSERT_TRUE(Entity("a-1").has_value());
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.pending, 0);
  EXPECT_EQ(counts.applied, 1);
}

TEST_F(OperatorTest, NackFinishesADeadEntryAsAPermanentNack) {
  MakeDead("q-1", "a-1");
  OperatorResult result = Operate("q-1", OperatorAction::kNack, "bad data, dropped");
  EXPECT_EQ(result.code, OperatorResult::Code::kOk) << result.message;
  EXPECT_EQ(result.state, "done");
  Delivery d = Only("q-1");
  EXPECT_FALSE(d.result.acked);
  EXPECT_TRUE(domain::IsPermanent(d.result.reason));
  EXPECT_EQ(d.result.detail, "bad data, dropped");
  EXPECT_EQ(Row("q-1")->state, EntryState::kDone);
  EXPECT_EQ(pipeline_->GlobalCounts().dead, 0);
}

TEST_F(OperatorTest, OnlyDeadEntriesCanBeActedOn) {
  Submit(MakeEntry("q-done", "a-1", "create", kT0));
  Drain();
  sink_.Clear();
  OperatorResult done = Operate("q-done", OperatorAction::kRetry);
  EXPECT_EQ(done.code, OperatorResult::Code::kNotDead);
  EXPECT_EQ(done.state, "done");
  EXPECT_EQ(Operate("q-done", OperatorAction::kAck).code, OperatorResult::Code::kNotDead);
  OperatorResult unknown = Operate("nope", OperatorAction::kAck);
  EXPECT_EQ(unknown.code, OperatorResult::Code::kNotFound);
  EXPECT_TRUE(sink_.All().empty());
  EXPECT_EQ(Row("q-done")->result->outcome, Outcome::kApplied);
}

// ---- statistics are exact (service.md: depth matches the database) ----

class CountersTest : public PipelineTest {
 protected:
  // The numbers the database says, for one tenant or ("" ) all.
  QueueCounts FromDb(const std::string& tenant) {
    std::string where = tenant.empty() ? "1" : "tenant_id = '" + tenant + "'";
    auto count = [&](const std::string& cond) {
      return SqlCount("SELECT count(*) FROM sync_queue WHERE " + where + " AND " + cond);
    };
    QueueCounts c;
    c.pending = count("state = 'pending'");
    c.in_flight = count("state = 'in_flight'");
    c.retry_wait = count("state = 'retry_wait'");
    c.dead = count("state = 'dead'");
    c.applied = count("result_kind = 1 AND result_outcome = 'applied'");
    c.superseded = count("result_kind = 1 AND result_outcome = 'superseded'");
    c.nacked = count("result_kind = 2");
    c.dead_lettered = c.dead;  // no operator action in this workload
    c.retries = SqlCount(
        "SELECT coalesce(sum(CASE state WHEN 'retry_wait' THEN attempts WHEN 'pending' THEN 0"
        " ELSE attempts - 1 END), 0) FROM sync_queue WHERE " +
        where);
    c.received = count("1");
    return c;
  }
  void ExpectEqual(const QueueCounts& got, const QueueCounts& want, const std::string& what) {
    EXPECT_EQ(got.pending, want.pending) << what;
    EXPECT_EQ(got.in_flight, want.in_flight) << what;
    EXPECT_EQ(got.retry_wait, want.retry_wait) << what;
    EXPECT_EQ(got.dead, want.dead) << what;
    EXPECT_EQ(got.received, want.received) << what;
    EXPECT_EQ(got.applied, want.applied) << what;
    EXPECT_EQ(got.superseded, want.superseded) << what;
    EXPECT_EQ(got.duplicates, want.duplicates) << what;
    EXPECT_EQ(got.nacked, want.nacked) << what;
    EXPECT_EQ(got.retries, want.retries) << what;
    EXPECT_EQ(got.dead_lettered, want.dead_lettered) << what;
  }
  // Database numbers plus what never reaches the queue table.
  QueueCounts Expected(const std::string& tenant, int64_t duplicates, int64_t rejected) {
    QueueCounts c = FromDb(tenant);
    c.duplicates = duplicates;
    c.received += duplicates + rejected;
    c.nacked += rejected;
    return c;
  }
  void CheckAll(int64_t dup_a, int64_t dup_b, int64_t rejected_b, const std::string& when) {
    ExpectEqual(pipeline_->GlobalCounts(), Expected("", dup_a + dup_b, rejected_b), when);
    ExpectEqual(pipeline_->TenantCounts("t-a"), Expected("t-a", dup_a, 0), when + " t-a");
    ExpectEqual(pipeline_->TenantCounts("t-b"), Expected("t-b", dup_b, rejected_b), when + " t-b");
  }
};

TEST_F(CountersTest, CountersMatchTheDatabaseThroughAMixedWorkloadAndARestart) {
  PipelineOptions options = TestOptions();
  options.batch_max = 8;
  MakePipeline(options);
  faults_->AddPoisonEntity("poison");
  for (int i = 0; i < 6; ++i) {
    Submit(MakeEntry("a-c" + std::to_string(i), "a-" + std::to_string(i), "create", kT0 + 10, "A",
                     "t-a"));
  }
  Submit(MakeEntry("a-stale0", "a-0", "update", kT0 + 1, "Stale", "t-a"));
  Submit(MakeEntry("a-stale1", "a-1", "update", kT0 + 1, "Stale", "t-a"));
  Submit(MakeEntry("a-del2", "a-2", "delete", kT0 + 20, "", "t-a"));
  for (int i = 0; i < 4; ++i) {
    Submit(
        MakeEntry("b-c" + std::to_string(i), "b-" + std::to_string(i), "create", kT0, "B", "t-b"));
  }
  Submit(MakeEntry("b-poison", "poison", "create", kT0, "P", "t-b"));
  pipeline_->CountRejected("t-b");  // e.g. a validation NACK

  ASSERT_TRUE(pipeline_->RunOnceForTest());  // one batch of 8; the rest claimed, waiting
  CheckAll(0, 0, 1, "after one batch");
  EXPECT_GT(pipeline_->GlobalCounts().in_flight, 0);

  Drain();
  Submit(MakeEntry("a-c0", "a-0", "create", kT0 + 10, "A", "t-a"));  // duplicates
  Submit(MakeEntry("b-c0", "b-0", "create", kT0, "B", "t-b"));
  Drain();
  CheckAll(1, 1, 1, "after draining");
  EXPECT_EQ(pipeline_->GlobalCounts().superseded, 2);

  for (int i = 0; i < 4; ++i) {
    PastBackoff();
    Drain();
  }
  CheckAll(1, 1, 1, "after dead-lettering");
  QueueCounts final_counts = pipeline_->GlobalCounts();
  EXPECT_EQ(final_counts.dead, 1);
  EXPECT_EQ(final_counts.applied, 11);
  EXPECT_EQ(pipeline_->TenantCount(), 2);

  // Same numbers from a new pipeline on the same file.
  MakePipeline(options);
  CheckAll(1, 1, 1, "after restart");
  EXPECT_EQ(pipeline_->GlobalCounts().applied, final_counts.applied);
}

// ---- tenant delete and reset (accounts.md) ----

class TenantPurgeTest : public PipelineTest {
 protected:
  OperatorResult Purge(const std::string& tenant, bool remove_tenant) {
    std::future<OperatorResult> future = pipeline_->PurgeTenant(tenant, remove_tenant);
    pipeline_->RunOnceForTest();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    return future.get();
  }
  int64_t Rows(const std::string& table, const std::string& tenant) {
    return SqlCount("SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenant + "'");
  }
  // The in-memory depth equals the queue rows, globally and per tenant.
  void ExpectDepthMatchesRows(const std::string& when) {
    for (const std::string scope : {"", "t-a", "t-b"}) {
      QueueCounts c = scope.empty() ? pipeline_->GlobalCounts() : pipeline_->TenantCounts(scope);
      std::string where = scope.empty() ? "" : " AND tenant_id = '" + scope + "'";
      auto count = [&](const char* state) {
        return SqlCount(std::string("SELECT count(*) FROM sync_queue WHERE state = '") + state +
                        "'" + where);
      };
      EXPECT_EQ(c.pending, count("pending")) << when << " scope '" << scope << "'";
      EXPECT_EQ(c.in_flight, count("in_flight")) << when << " scope '" << scope << "'";
      EXPECT_EQ(c.retry_wait, count("retry_wait")) << when << " scope '" << scope << "'";
      EXPECT_EQ(c.dead, count("dead")) << when << " scope '" << scope << "'";
    }
  }
};

TEST_F(TenantPurgeTest, AResetDropsTheTenantsWaitingEntriesAndLeavesOthersToApply) {
  MakePipeline();
  // t-a: an applied entity, a superseded update (a conflict), an entry waiting
  // for a retry, a later entry of its entity held behind it.
  faults_->AddPoisonEntity("a-poison");
  faults_->AddPoisonEntity("b-poison");
  Submit(MakeEntry("a-create", "a-1", "create", kT0 + 10, "A", "t-a"));
  Submit(MakeEntry("a-older", "a-1", "update", kT0 + 1, "Older", "t-a"));
  Submit(MakeEntry("a-wait", "a-poison", "create", kT0, "P", "t-a"));
  Submit(MakeEntry("b-create", "b-1", "create", kT0, "B", "t-b"));
  Submit(MakeEntry("b-wait", "b-poison", "create", kT0, "P", "t-b"));
  Drain();
  Submit(MakeEntry("a-held", "a-poison", "update", kT0 + 5, "P2", "t-a"));
  Drain();
  ASSERT_EQ(Row("a-wait", "t-a")->state, EntryState::kRetryWait);
  ASSERT_EQ(Row("a-held", "t-a")->state, EntryState::kPending);
  ASSERT_EQ(Row("b-wait", "t-b")->state, EntryState::kRetryWait);
  ASSERT_EQ(Rows("conflicts", "t-a"), 1);
  // Arrived, not yet written when the purge runs.
  Submit(MakeEntry("a-new", "a-2", "create", kT0, "New", "t-a"));
  pipeline_->CountRejected("t-a");  // a refusal counted, not yet written
  sink_.Clear();

  OperatorResult r = Purge("t-a", /*remove_tenant=*/false);
  ASSERT_EQ(r.code, OperatorResult::Code::kOk) << r.message;
  ASSERT_TRUE(r.purged.has_value());
  EXPECT_EQ(r.purged->entities, 1);
  EXPECT_EQ(r.purged->queue_entries, 4);  // a-create, a-older, a-wait, a-held
  EXPECT_EQ(r.purged->conflicts, 1);
  EXPECT_EQ(r.purged->sync_log, 2);

  // Each waiting entry of t-a is answered once: system_error, not permanent.
  for (const char* id : {"a-wait", "a-held", "a-new"}) {
    Delivery d = Only(id);
    EXPECT_FALSE(d.result.acked) << id;
    EXPECT_EQ(d.result.reason, NackReason::kSystem) << id;
    EXPECT_FALSE(domain::IsPermanent(d.result.reason)) << id;
    EXPECT_EQ(d.result.detail, kTenantReset) << id;
    EXPECT_EQ(d.state, FinalState::kRefused) << id;
  }
  EXPECT_EQ(sink_.size(), 3u);
  for (const char* table : {"entities", "sync_queue", "conflicts", "sync_log"}) {
    EXPECT_EQ(Rows(table, "t-a"), 0) << table;
  }
  EXPECT_EQ(SqlCount("SELECT count(*) FROM counters WHERE scope = 't-a'"), 0);
  QueueCounts a = pipeline_->TenantCounts("t-a");
  EXPECT_EQ(a.received, 0);
  EXPECT_EQ(a.nacked, 0);
  EXPECT_EQ(a.retry_wait + a.pending + a.in_flight + a.dead, 0);
  EXPECT_EQ(pipeline_->TenantCount(), 1);
  ExpectDepthMatchesRows("after the reset");

  // Nothing of t-a comes back; t-b's entry applies once its entity heals.
  faults_->ClearPoison();
  for (int i = 0; i < 3; ++i) {
    PastBackoff();
    Drain();
  }
  EXPECT_EQ(sink_.size(), 4u);
  EXPECT_TRUE(IsAck(Only("b-wait"), Outcome::kApplied));
  EXPECT_EQ(Rows("sync_queue", "t-a"), 0);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM counters WHERE scope = 't-a'"), 0);
  EXPECT_TRUE(Entity("b-poison", "t-b").has_value());
  EXPECT_TRUE(Entity("b-1", "t-b").has_value());
  ExpectDepthMatchesRows("after draining");
  EXPECT_EQ(pipeline_->GlobalCounts().pending + pipeline_->GlobalCounts().retry_wait, 0);

  // The database's counters say the same after a restart.
  QueueCounts before = pipeline_->GlobalCounts();
  QueueCounts before_b = pipeline_->TenantCounts("t-b");
  MakePipeline();
  QueueCounts after = pipeline_->GlobalCounts();
  EXPECT_EQ(after.received, before.received);
  EXPECT_EQ(after.applied, before.applied);
  EXPECT_EQ(after.nacked, before.nacked);
  EXPECT_EQ(after.retry_wait, before.retry_wait);
  EXPECT_EQ(pipeline_->TenantCounts("t-b").applied, before_b.applied);
  EXPECT_EQ(pipeline_->TenantCount(), 1);
  // Every entry received has an outcome in the global totals.
  EXPECT_EQ(after.received, after.applied + after.superseded + after.nacked + after.duplicates);
}

TEST_F(TenantPurgeTest, AFailedPurgeRemovesNothingAndKeepsTheEntries) {
  MakePipeline();
  faults_->AddPoisonEntity("a-poison");
  Submit(MakeEntry("a-wait", "a-poison", "create", kT0, "P", "t-a"));
  Drain();
  ASSERT_EQ(Row("a-wait", "t-a")->state, EntryState::kRetryWait);
  sink_.Clear();
  faults_->SetFailAllCommits(true);
  OperatorResult r = Purge("t-a", /*remove_tenant=*/true);
  EXPECT_EQ(r.code, OperatorResult::Code::kError);
  EXPECT_FALSE(r.purged.has_value());
  EXPECT_EQ(sink_.size(), 0u);
  faults_->SetFailAllCommits(false);
  faults_->ClearPoison();
  PastBackoff();
  Drain();
  EXPECT_TRUE(IsAck(Only("a-wait"), Outcome::kApplied));
  ExpectDepthMatchesRows("after the failed purge");
}

// ---- the real worker thread ----

TEST_F(PipelineTest, TheWorkerThreadAnswersEveryEntryOnce) {
  common::SystemClock clock;
  MakePipeline(TestOptions(), &clock, /*recover=*/false);
  ASSERT_TRUE(pipeline_->Start().ok());
  constexpr int kPerThread = 150;
  auto submit = [&](const std::string& prefix) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string id = prefix + std::to_string(i);
      EXPECT_TRUE(pipeline_->Submit(MakeEntry(id, id, "create", kT0), common::MonotonicMicros())
                      .accepted());
    }
  };
  std::thread a(submit, "x-"), b(submit, "y-");
  a.join();
  b.join();
  ASSERT_TRUE(sink_.WaitFor(2 * kPerThread, std::chrono::seconds(20)));
  pipeline_->Stop();
  std::map<std::string, int> seen;
  for (const Delivery& d : sink_.All()) {
    seen[d.entry_id]++;
    EXPECT_TRUE(d.result.acked) << d.entry_id;
    EXPECT_TRUE(IsAck(d, Outcome::kApplied)) << d.entry_id;
    EXPECT_GT(d.received_us, 0);
  }
  EXPECT_EQ(seen.size(), 2u * kPerThread);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.applied, 2 * kPerThread);
  EXPECT_EQ(counts.pending + counts.in_flight + counts.retry_wait, 0);
}

TEST_F(PipelineTest, StopAnswersEverythingQueuedAndThenRefuses) {
  common::SystemClock clock;
  MakePipeline(TestOptions(), &clock, /*recover=*/false);
  ASSERT_TRUE(pipeline_->Start().ok());
  for (int i = 0; i < 100; ++i) {
    std::string id = "q-" + std::to_string(i);
    Submit(MakeEntry(id, id, "create", kT0));
  }
  pipeline_->Stop();
  EXPECT_EQ(sink_.size(), 100u) << "Stop() must drain what was accepted";
  SubmitOutcome late =
      pipeline_->Submit(MakeEntry("late", "late", "create", kT0), common::MonotonicMicros());
  ASSERT_FALSE(late.accepted());
  EXPECT_EQ(late.refused->entry_id, "late");
  EXPECT_EQ(late.refused->result.reason, domain::NackReason::kSystem);
  EXPECT_EQ(late.refused->result.retry_after_ms, kShuttingDownRetryAfterMs);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM sync_queue WHERE state = 'done'"), 100);
}

TEST_F(PipelineTest, TheWorkerThreadRetriesFailedCommitsUntilApplied) {
  common::SystemClock clock;
  PipelineOptions options;
  options.retry = RetryPolicy{12, 1, 4};
  MakePipeline(options, &clock, /*recover=*/false);
  faults_->SetApplyCommitFailureRate(0.3, 11);
  ASSERT_TRUE(pipeline_->Start().ok());
  for (int i = 0; i < 100; ++i) {
    std::string id = "q-" + std::to_string(i);
    Submit(MakeEntry(id, id, "create", kT0));
  }
  ASSERT_TRUE(sink_.WaitFor(100, std::chrono::seconds(20)));
  pipeline_->Stop();
  EXPECT_EQ(sink_.size(), 100u);
  for (const Delivery& d : sink_.All()) {
    EXPECT_TRUE(d.result.acked) << d.entry_id << ": " << d.result.detail;
  }
  EXPECT_GT(faults_->injected_failures(), 0);
  EXPECT_EQ(pipeline_->GlobalCounts().applied, 100);
  EXPECT_EQ(SqlCount("SELECT count(*) FROM entities"), 100);
}

}  // namespace
}  // namespace syncd::pipeline
