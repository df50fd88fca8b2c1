// The stores on both engines, one parametrised suite (StoreTest: a SQLite
// file, or a fresh PostgreSQL database): what the pipeline, the WebSocket
// reads and the REST routes rely on (queue states and results, entities and
// tombstones, conflicts, counters, retention). SqliteStoreTest: what only
// the SQLite file has (its folder, the writer lock, busy files).
#include "syncd/db/sqlite_store.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "support/entry_builders.h"
#include "support/postgres_server.h"
#include "syncd/db/counters.h"
#include "syncd/db/postgres_store.h"
#include "syncd/db/store.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/domain/entry.h"

namespace syncd::db {
namespace {

using domain::EntityType;
using domain::NackReason;
using domain::Operation;
using domain::Outcome;
using domain::SyncEntry;

constexpr char kTenant[] = "tenant-1";
constexpr int64_t kT0 = 1764130000000;

// A stored `applied` ACK (a default EntryResult is a NACK).
domain::EntryResult AppliedAck() {
  domain::EntryResult r;
  r.acked = true;
  r.outcome = Outcome::kApplied;
  return r;
}

StoredEntity MakeEntity(const std::string& tenant, EntityType type, const std::string& id,
                        int64_t version_ms, bool deleted) {
  StoredEntity e;
  e.tenant_id = tenant;
  e.type = type;
  e.entity_id = id;
  e.version_ms = version_ms;
  e.deleted = deleted;
  e.data = deleted ? R"({"id":")" + id + R"("})"
                   : R"({"id":")" + id + R"(","name":"n","updated_at":"x"})";
  e.checksum = deleted ? "" : domain::ChecksumOfCanonical(e.data);
  e.modified_at_ms = kT0 + 5;
  e.source_entry_id = "src-" + id;
  return e;
}

// A store of either engine; SQLite unless a subclass says otherwise.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "syncd-db-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    options_.path = (dir_ / "syncd.db").string();
    if (engine_ == test::Engine::kPostgres) {
      SYNCD_POSTGRES_DATABASE_OR_SKIP(pg_.url);
      pg_.instance_id = "store-test";
    }
  }
  void TearDown() override {
    write_.reset();
    if (!pg_.url.empty()) test::DropPostgresDatabase(pg_.url);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<WriteStore> OpenWrite() {
    Status s;
    auto store = engine_ == test::Engine::kPostgres ? OpenPostgresWriteStore(pg_, &s)
                                                    : OpenSqliteWriteStore(options_, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }
  std::unique_ptr<ReadStore> OpenRead() {
    Status s;
    auto store = engine_ == test::Engine::kPostgres ? OpenPostgresReadStore(pg_, &s)
                                                    : OpenSqliteReadStore(options_, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }

  // Inserts one entry in its own transaction and returns its seq.
  int64_t Insert(const SyncEntry& entry, EntryState state = EntryState::kPending,
                 int64_t received_ms = kT0, int64_t lease_ms = 0) {
    int64_t seq = 0;
    bool inserted = false;
    EXPECT_TRUE(write_->Begin(TxnKind::kIngest).ok());
    Status s = write_->InsertEntry(entry, received_ms, state, lease_ms, &seq, &inserted);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(inserted);
    EXPECT_TRUE(write_->Commit().ok());
    return seq;
  }

  std::optional<QueueRow> Find(const std::string& tenant, const std::string& id) {
    std::optional<QueueRow> row;
    Status s = write_->FindEntry(tenant, id, &row);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return row;
  }

  // Runs `body` inside one committed write transaction.
  template <typename F>
  void InTxn(F body) {
    ASSERT_TRUE(write_->Begin(TxnKind::kMaintenance).ok());
    body();
    Status s = write_->Commit();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  test::Engine engine_ = test::Engine::kSqlite;
  std::filesystem::path dir_;
  SqliteOptions options_;
  PostgresOptions pg_;
  std::unique_ptr<WriteStore> write_;
};

// Behaviour both engines share: every test runs on each.
class StoreTest : public StoreFixture, public ::testing::WithParamInterface<test::Engine> {
 protected:
  void SetUp() override {
    engine_ = GetParam();
    StoreFixture::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest,
                         ::testing::Values(test::Engine::kSqlite, test::Engine::kPostgres),
                         test::EngineParamName);

// What only a SQLite file has.
class SqliteStoreTest : public StoreFixture {};

TEST_P(StoreTest, InsertEntryIgnoresADuplicateIdOfTheSameTenant) {
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  SyncEntry entry = test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0);
  int64_t seq = Insert(entry);
  EXPECT_GT(seq, 0);

  SyncEntry again = test::AccountEntry(kTenant, "q-1", "a-OTHER", "update", kT0 + 99);
  int64_t seq2 = -1;
  bool inserted = true;
  ASSERT_TRUE(write_->Begin(TxnKind::kIngest).ok());
  ASSERT_TRUE(write_->InsertEntry(again, kT0, EntryState::kPending, 0, &seq2, &inserted).ok());
  ASSERT_TRUE(write_->Commit().ok());
  EXPECT_FALSE(inserted);

  // The first version is kept: a resent id is never applied twice.
  std::optional<QueueRow> row = Find(kTenant, "q-1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->seq, seq);
  EXPECT_EQ(row->entry.entity_id, "a-1");

  // The same entry id from another tenant is a different entry.
  int64_t other = Insert(test::AccountEntry("tenant-2", "q-1", "a-1", "create", kT0));
  EXPECT_GT(other, seq);
}

// protocol.md, remembered NACKs: an entry refused as it was read is a
// finished row holding its NACK and the fields as they were read; it takes
// its id like any entry.
TEST_P(StoreTest, ARefusedEntryIsAFinishedRowWithItsNackAndTakesItsId) {
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  domain::EntryError error;
  error.reason = domain::NackReason::kValidation;
  error.detail = "entityType must be one of the nine entity types";
  error.id = "q-bad";
  error.entity_type = "Nope";  // as sent
  domain::EntryResult nack;
  nack.reason = error.reason;
  nack.detail = error.detail;
  nack.server_timestamp_ms = kT0 + 5;
  bool inserted = false;
  ASSERT_TRUE(write_->Begin(TxnKind::kIngest).ok());
  ASSERT_TRUE(write_->InsertRefusedEntry(kTenant, error, nack, kT0, &inserted).ok());
  ASSERT_TRUE(write_->Commit().ok());
  EXPECT_TRUE(inserted);

  std::optional<QueueRow> row = Find(kTenant, "q-bad");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->finished_at_ms, kT0 + 5);
  ASSERT_TRUE(row->result.has_value());
  EXPECT_FALSE(row->result->acked);
  EXPECT_EQ(row->result->reason, domain::NackReason::kValidation);
  EXPECT_EQ(row->result->detail, error.detail);
  EXPECT_EQ(row->result->server_timestamp_ms, kT0 + 5);
  ASSERT_TRUE(row->refused.has_value());
  EXPECT_EQ(row->refused->id, std::optional<std::string>("q-bad"));
  EXPECT_EQ(row->refused->entity_type, std::optional<std::string>("Nope"));
  EXPECT_FALSE(row->refused->entity_id.has_value());
  EXPECT_FALSE(row->refused->operation_type.has_value());

  // The id is taken: a valid entry with it is not inserted, nor a second refusal.
  int64_t seq = -1;
  ASSERT_TRUE(write_->Begin(TxnKind::kIngest).ok());
  SyncEntry valid = test::AccountEntry(kTenant, "q-bad", "a-1", "create", kT0);
  ASSERT_TRUE(write_->InsertEntry(valid, kT0, EntryState::kPending, 0, &seq, &inserted).ok());
  EXPECT_FALSE(inserted);
  ASSERT_TRUE(write_->InsertRefusedEntry(kTenant, error, nack, kT0, &inserted).ok());
  EXPECT_FALSE(inserted);
  ASSERT_TRUE(write_->Commit().ok());
  // An accepted entry is not mistaken for a refused one.
  Insert(test::AccountEntry(kTenant, "q-ok", "a-1", "create", kT0));
  EXPECT_FALSE(Find(kTenant, "q-ok")->refused.has_value());
}

TEST_P(StoreTest, FindEntryRoundTripsEveryFieldAndTheStoredResult) {
  write_ = OpenWrite();
  SyncEntry entry = test::AccountEntry(kTenant, "q-ack", "a-1", "update", kT0 + 7, "Wallet");
  int64_t seq = Insert(entry, EntryState::kInFlight, kT0 + 1, kT0 + 30000);

  std::optional<QueueRow> row = Find(kTenant, "q-ack");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->seq, seq);
  EXPECT_EQ(row->entry.id, "q-ack");
  EXPECT_EQ(row->entry.tenant_id, kTenant);
  EXPECT_EQ(row->entry.entity_type, EntityType::kAccount);
  EXPECT_EQ(row->entry.entity_id, "a-1");
  EXPECT_EQ(row->entry.operation, Operation::kUpdate);
  EXPECT_EQ(row->entry.data, entry.data);
  EXPECT_EQ(row->entry.version_ms, kT0 + 7);
  EXPECT_EQ(row->entry.client_timestamp_ms, entry.client_timestamp_ms);
  EXPECT_EQ(row->state, EntryState::kInFlight);
  EXPECT_EQ(row->attempts, 1);  // inserted already claimed
  EXPECT_EQ(row->lease_until_ms, kT0 + 30000);
  EXPECT_EQ(row->received_at_ms, kT0 + 1);
  EXPECT_EQ(row->finished_at_ms, 0);
  EXPECT_FALSE(row->result.has_value());

  domain::EntryResult ack;
  ack.acked = true;
  ack.outcome = Outcome::kSuperseded;
  ack.checksum = "0123456789abcdef0123456789abcdef";
  ack.server_timestamp_ms = kT0 + 50;
  InTxn([&] { EXPECT_TRUE(write_->FinishEntry(seq, EntryState::kDone, ack, kT0 + 51, "").ok()); });
  row = Find(kTenant, "q-ack");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->finished_at_ms, kT0 + 51);
  EXPECT_EQ(row->lease_until_ms, 0);
  ASSERT_TRUE(row->result.has_value());
  EXPECT_TRUE(row->result->acked);
  EXPECT_EQ(row->result->outcome, Outcome::kSuperseded);
  EXPECT_EQ(row->result->checksum, ack.checksum);
  EXPECT_EQ(row->result->server_timestamp_ms, kT0 + 50);

  // A NACK keeps reason, detail and retry_after; dead rows are not "finished"
  // for retention.
  int64_t seq2 = Insert(test::AccountEntry(kTenant, "q-nack", "a-2", "delete", kT0));
  domain::EntryResult nack;
  nack.acked = false;
  nack.reason = NackReason::kSystem;
  nack.detail = "retries exhausted: disk I/O error";
  nack.retry_after_ms = 5000;
  nack.server_timestamp_ms = kT0 + 60;
  InTxn([&] {
    EXPECT_TRUE(write_->FinishEntry(seq2, EntryState::kDead, nack, kT0 + 61, "disk I/O").ok());
  });
  row = Find(kTenant, "q-nack");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->entry.operation, Operation::kDelete);
  EXPECT_EQ(row->state, EntryState::kDead);
  EXPECT_EQ(row->last_error, "disk I/O");
  EXPECT_EQ(row->finished_at_ms, 0);
  ASSERT_TRUE(row->result.has_value());
  EXPECT_FALSE(row->result->acked);
  EXPECT_EQ(row->result->reason, NackReason::kSystem);
  EXPECT_EQ(row->result->detail, nack.detail);
  EXPECT_EQ(row->result->retry_after_ms, 5000);
  EXPECT_EQ(row->result->server_timestamp_ms, kT0 + 60);

  // The read side sees the same row.
  auto read = OpenRead();
  std::optional<QueueRow> seen;
  ASSERT_TRUE(read->FindEntry(kTenant, "q-nack", &seen).ok());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->result->detail, nack.detail);
  ASSERT_TRUE(read->FindEntry(kTenant, "missing", &seen).ok());
  EXPECT_FALSE(seen.has_value());
}

TEST_P(StoreTest, ClaimRetryFinishAndRequeueMoveTheState) {
  write_ = OpenWrite();
  int64_t seq = Insert(test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0));
  EXPECT_EQ(Find(kTenant, "q-1")->state, EntryState::kPending);
  EXPECT_EQ(Find(kTenant, "q-1")->attempts, 0);

  InTxn([&] { EXPECT_TRUE(write_->ClaimEntry(seq, 1, kT0 + 30000).ok()); });
  auto row = Find(kTenant, "q-1");
  EXPECT_EQ(row->state, EntryState::kInFlight);
  EXPECT_EQ(row->attempts, 1);
  EXPECT_EQ(row->lease_until_ms, kT0 + 30000);

  InTxn([&] { EXPECT_TRUE(write_->ScheduleRetry(seq, 1, kT0 + 40, "database is locked").ok()); });
  row = Find(kTenant, "q-1");
  EXPECT_EQ(row->state, EntryState::kRetryWait);
  EXPECT_EQ(row->attempts, 1);
  EXPECT_EQ(row->next_attempt_at_ms, kT0 + 40);
  EXPECT_EQ(row->lease_until_ms, 0);
  EXPECT_EQ(row->last_error, "database is locked");

  InTxn([&] { EXPECT_TRUE(write_->ClaimEntry(seq, 2, kT0 + 30040).ok()); });
  domain::EntryResult nack;
  nack.acked = false;
  nack.reason = NackReason::kSystem;
  nack.detail = "retries exhausted";
  nack.retry_after_ms = 5000;
  InTxn(
      [&] { EXPECT_TRUE(write_->FinishEntry(seq, EntryState::kDead, nack, kT0 + 50, "x").ok()); });
  row = Find(kTenant, "q-1");
  EXPECT_EQ(row->state, EntryState::kDead);
  EXPECT_EQ(row->attempts, 2);
  EXPECT_TRUE(row->result.has_value());

  // Operator retry: back to pending, attempts and result cleared.
  InTxn([&] { EXPECT_TRUE(write_->RequeueEntry(seq).ok()); });
  row = Find(kTenant, "q-1");
  EXPECT_EQ(row->state, EntryState::kPending);
  EXPECT_EQ(row->attempts, 0);
  EXPECT_EQ(row->next_attempt_at_ms, 0);
  EXPECT_FALSE(row->result.has_value());

  domain::EntryResult ack;
  ack.acked = true;
  ack.outcome = Outcome::kApplied;
  ack.checksum = "c";
  InTxn([&] { EXPECT_TRUE(write_->FinishEntry(seq, EntryState::kDone, ack, kT0 + 90, "").ok()); });
  row = Find(kTenant, "q-1");
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->finished_at_ms, kT0 + 90);
  EXPECT_EQ(row->result->outcome, Outcome::kApplied);
}

TEST_P(StoreTest, LoadUnfinishedReturnsOnlyUnfinishedRowsInArrivalOrder) {
  write_ = OpenWrite();
  int64_t s1 =
      Insert(test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0), EntryState::kPending);
  int64_t s2 = Insert(test::AccountEntry(kTenant, "q-2", "a-2", "create", kT0),
                      EntryState::kInFlight, kT0, kT0 + 100);
  int64_t s3 = Insert(test::AccountEntry("tenant-2", "q-3", "a-3", "create", kT0));
  int64_t s4 = Insert(test::AccountEntry(kTenant, "q-4", "a-4", "create", kT0));
  int64_t s5 = Insert(test::AccountEntry(kTenant, "q-5", "a-5", "create", kT0));
  InTxn([&] {
    EXPECT_TRUE(write_->ScheduleRetry(s3, 1, kT0 + 77, "busy").ok());
    EXPECT_TRUE(write_->FinishEntry(s4, EntryState::kDone, AppliedAck(), kT0, "").ok());
    domain::EntryResult nack;
    nack.acked = false;
    nack.reason = NackReason::kSystem;
    EXPECT_TRUE(write_->FinishEntry(s5, EntryState::kDead, nack, kT0, "").ok());
  });

  std::vector<QueueRow> rows;
  ASSERT_TRUE(write_->LoadUnfinished(&rows).ok());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, s1);
  EXPECT_EQ(rows[0].entry.id, "q-1");
  EXPECT_EQ(rows[0].state, EntryState::kPending);
  EXPECT_EQ(rows[1].seq, s2);
  EXPECT_EQ(rows[1].state, EntryState::kInFlight);
  EXPECT_EQ(rows[1].lease_until_ms, kT0 + 100);
  EXPECT_EQ(rows[2].seq, s3);
  EXPECT_EQ(rows[2].entry.tenant_id, "tenant-2");
  EXPECT_EQ(rows[2].state, EntryState::kRetryWait);
  EXPECT_EQ(rows[2].next_attempt_at_ms, kT0 + 77);

  auto read = OpenRead();
  std::optional<int64_t> oldest;
  ASSERT_TRUE(read->OldestUnfinished("", &oldest).ok());
  EXPECT_EQ(oldest, kT0);
  ASSERT_TRUE(read->OldestUnfinished("nobody", &oldest).ok());
  EXPECT_FALSE(oldest.has_value());
}

TEST_P(StoreTest, EntitiesPutGetTombstoneAndList) {
  write_ = OpenWrite();
  StoredEntity a1 = MakeEntity(kTenant, EntityType::kAccount, "a-1", kT0, false);
  StoredEntity a2 = MakeEntity(kTenant, EntityType::kAccount, "a-2", kT0, false);
  StoredEntity tag = MakeEntity(kTenant, EntityType::kTag, "t-1", kT0, false);
  StoredEntity other = MakeEntity("tenant-2", EntityType::kAccount, "a-9", kT0, false);
  InTxn([&] {
    for (const auto* e : {&a2, &tag, &a1, &other}) EXPECT_TRUE(write_->PutEntity(*e).ok());
  });

  std::optional<StoredEntity> got;
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-1", &got).ok());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->tenant_id, kTenant);
  EXPECT_EQ(got->version_ms, kT0);
  EXPECT_FALSE(got->deleted);
  EXPECT_EQ(got->data, a1.data);
  EXPECT_EQ(got->checksum, a1.checksum);
  EXPECT_EQ(got->modified_at_ms, kT0 + 5);
  EXPECT_EQ(got->source_entry_id, "src-a-1");
  // Same id, other type or other tenant: not found.
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kTag, "a-1", &got).ok());
  EXPECT_FALSE(got.has_value());
  ASSERT_TRUE(write_->GetEntity("tenant-2", EntityType::kAccount, "a-1", &got).ok());
  EXPECT_FALSE(got.has_value());

  // Delete a-2: the row stays as a tombstone with the delete's version.
  StoredEntity tomb = MakeEntity(kTenant, EntityType::kAccount, "a-2", kT0 + 10, true);
  InTxn([&] { EXPECT_TRUE(write_->PutEntity(tomb).ok()); });
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-2", &got).ok());
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->deleted);
  EXPECT_EQ(got->version_ms, kT0 + 10);
  EXPECT_EQ(got->data, R"({"id":"a-2"})");
  EXPECT_EQ(got->checksum, "");

  auto read = OpenRead();
  std::vector<StoredEntity> live;
  ASSERT_TRUE(read->ListEntities(kTenant, {}, false, &live).ok());
  ASSERT_EQ(live.size(), 2u);  // a-1, t-1: ordered by type then id
  EXPECT_EQ(live[0].entity_id, "a-1");
  EXPECT_EQ(live[1].entity_id, "t-1");
  EXPECT_EQ(live[1].type, EntityType::kTag);

  std::vector<StoredEntity> all;
  ASSERT_TRUE(read->ListEntities(kTenant, {}, true, &all).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].entity_id, "a-1");
  EXPECT_EQ(all[1].entity_id, "a-2");
  EXPECT_TRUE(all[1].deleted);
  EXPECT_EQ(all[2].entity_id, "t-1");

  std::vector<StoredEntity> tags;
  ASSERT_TRUE(read->ListEntities(kTenant, {EntityType::kTag}, true, &tags).ok());
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].entity_id, "t-1");
  std::vector<StoredEntity> none;
  ASSERT_TRUE(read->ListEntities(kTenant, {EntityType::kRecipient}, true, &none).ok());
  EXPECT_TRUE(none.empty());
  std::vector<StoredEntity> t2;
  ASSERT_TRUE(read->ListEntities("tenant-2", {}, false, &t2).ok());
  ASSERT_EQ(t2.size(), 1u);
  EXPECT_EQ(t2[0].entity_id, "a-9");
}

TEST_P(StoreTest, ConflictsAreListedNewestFirstUpToTheLimit) {
  write_ = OpenWrite();
  InTxn([&] {
    for (int i = 0; i < 5; ++i) {
      ConflictRecord c;
      c.tenant_id = kTenant;
      c.type = EntityType::kCategory;
      c.entity_id = "c-" + std::to_string(i);
      c.entry_id = "q-" + std::to_string(i);
      c.incoming_version_ms = kT0 + i;
      c.stored_version_ms = kT0 + 100;
      c.incoming_checksum = "in" + std::to_string(i);
      c.stored_checksum = "st";
      c.detected_at_ms = kT0 + 1000 + i;
      EXPECT_TRUE(write_->InsertConflict(c).ok());
    }
    ConflictRecord foreign;
    foreign.tenant_id = "tenant-2";
    foreign.entity_id = "x";
    foreign.entry_id = "x";
    EXPECT_TRUE(write_->InsertConflict(foreign).ok());
  });
  auto read = OpenRead();
  std::vector<ConflictRecord> out;
  ASSERT_TRUE(read->ListConflicts(kTenant, 3, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].entry_id, "q-4");
  EXPECT_EQ(out[1].entry_id, "q-3");
  EXPECT_EQ(out[2].entry_id, "q-2");
  EXPECT_EQ(out[0].tenant_id, kTenant);
  EXPECT_EQ(out[0].type, EntityType::kCategory);
  EXPECT_EQ(out[0].entity_id, "c-4");
  EXPECT_EQ(out[0].incoming_version_ms, kT0 + 4);
  EXPECT_EQ(out[0].stored_version_ms, kT0 + 100);
  EXPECT_EQ(out[0].incoming_checksum, "in4");
  EXPECT_EQ(out[0].stored_checksum, "st");
  EXPECT_EQ(out[0].resolution, "server_wins");
  EXPECT_EQ(out[0].detected_at_ms, kT0 + 1004);

  out.clear();
  ASSERT_TRUE(read->ListConflicts(kTenant, 100, &out).ok());
  EXPECT_EQ(out.size(), 5u);
}

TEST_P(StoreTest, CheckpointsKeepTheLastAppliedChangePerTenant) {
  write_ = OpenWrite();
  auto read = OpenRead();
  std::optional<Checkpoint> cp;
  ASSERT_TRUE(read->GetCheckpoint(kTenant, &cp).ok());
  EXPECT_FALSE(cp.has_value());

  InTxn([&] { EXPECT_TRUE(write_->PutCheckpoint({kTenant, 3, "q-3", kT0 + 3}).ok()); });
  InTxn([&] { EXPECT_TRUE(write_->PutCheckpoint({kTenant, 7, "q-7", kT0 + 7}).ok()); });
  InTxn([&] { EXPECT_TRUE(write_->PutCheckpoint({"tenant-2", 1, "z", kT0}).ok()); });
  ASSERT_TRUE(read->GetCheckpoint(kTenant, &cp).ok());
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->tenant_id, kTenant);
  EXPECT_EQ(cp->last_seq, 7);
  EXPECT_EQ(cp->last_entry_id, "q-7");
  EXPECT_EQ(cp->last_applied_at_ms, kT0 + 7);
}

TEST_P(StoreTest, CountersAccumulateDeltasIncludingNegativeOnes) {
  write_ = OpenWrite();
  const CounterKey global{"", counters::kPending};
  const CounterKey tenant{kTenant, counters::kPending};
  const CounterKey received{"", counters::kReceived};
  InTxn([&] { EXPECT_TRUE(write_->AddCounters({{global, 5}, {tenant, 5}, {received, 5}}).ok()); });
  InTxn([&] {
    EXPECT_TRUE(write_->AddCounters({{global, -3}, {tenant, -3}, {received, 0}}).ok());
  });
  InTxn([&] { EXPECT_TRUE(write_->AddCounters({{global, 1}}).ok()); });

  CounterMap loaded;
  ASSERT_TRUE(write_->LoadCounters(&loaded).ok());
  EXPECT_EQ(loaded[global], 3);
  EXPECT_EQ(loaded[tenant], 2);
  EXPECT_EQ(loaded[received], 5);

  auto read = OpenRead();
  CounterMap seen;
  ASSERT_TRUE(read->LoadCounters(&seen).ok());
  EXPECT_EQ(seen, loaded);

  // A rolled back transaction leaves the counters as they were.
  ASSERT_TRUE(write_->Begin(TxnKind::kApply).ok());
  ASSERT_TRUE(write_->AddCounters({{global, 100}}).ok());
  ASSERT_TRUE(write_->Rollback().ok());
  seen.clear();
  ASSERT_TRUE(read->LoadCounters(&seen).ok());
  EXPECT_EQ(seen[global], 3);
}

TEST_P(StoreTest, RetentionDeletesOnlyDoneRowsOlderThanTheCutoffUpToTheLimit) {
  write_ = OpenWrite();
  std::vector<int64_t> done_old;
  for (int i = 0; i < 5; ++i) {
    int64_t seq =
        Insert(test::AccountEntry(kTenant, "old-" + std::to_string(i), "a", "create", kT0));
    InTxn([&] {
      EXPECT_TRUE(write_->FinishEntry(seq, EntryState::kDone, AppliedAck(), kT0 + i, "").ok());
    });
    done_old.push_back(seq);
  }
  int64_t recent = Insert(test::AccountEntry(kTenant, "recent", "a", "create", kT0));
  InTxn([&] {
    EXPECT_TRUE(write_->FinishEntry(recent, EntryState::kDone, AppliedAck(), kT0 + 1000, "").ok());
  });
  int64_t dead = Insert(test::AccountEntry(kTenant, "dead", "a", "create", kT0));
  domain::EntryResult nack;
  nack.acked = false;
  nack.reason = NackReason::kSystem;
  InTxn([&] { EXPECT_TRUE(write_->FinishEntry(dead, EntryState::kDead, nack, kT0, "").ok()); });
  Insert(test::AccountEntry(kTenant, "pending", "a", "create", kT0), EntryState::kPending,
         kT0 - 100000);

  const int64_t cutoff = kT0 + 500;
  int deleted = -1;
  InTxn([&] { EXPECT_TRUE(write_->DeleteFinishedBefore(cutoff, 3, &deleted).ok()); });
  EXPECT_EQ(deleted, 3);
  // The oldest go first.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Find(kTenant, "old-" + std::to_string(i)).has_value());
  EXPECT_TRUE(Find(kTenant, "old-3").has_value());

  InTxn([&] { EXPECT_TRUE(write_->DeleteFinishedBefore(cutoff, 3, &deleted).ok()); });
  EXPECT_EQ(deleted, 2);
  InTxn([&] { EXPECT_TRUE(write_->DeleteFinishedBefore(cutoff, 3, &deleted).ok()); });
  EXPECT_EQ(deleted, 0);
  // Newer results, dead-lettered and unfinished entries are kept.
  EXPECT_TRUE(Find(kTenant, "recent").has_value());
  EXPECT_TRUE(Find(kTenant, "dead").has_value());
  EXPECT_TRUE(Find(kTenant, "pending").has_value());
}

// service.md: --db is a file path "created with its folder if missing".
TEST_F(SqliteStoreTest, OpeningCreatesAMissingFolder) {
  options_.path = (dir_ / "data" / "nested" / "syncd.db").string();
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  Insert(test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0));
  EXPECT_TRUE(std::filesystem::exists(options_.path));
}

TEST_F(SqliteStoreTest, OnlyOneWriteStorePerFile) {
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  Status s;
  auto second = OpenSqliteWriteStore(options_, &s);
  EXPECT_EQ(second, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.ToString();

  // Readers are fine while the writer is open.
  EXPECT_NE(OpenRead(), nullptr);

  write_.reset();
  auto third = OpenSqliteWriteStore(options_, &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_NE(third, nullptr);
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseFailsToOpenWithAClearStatus) {
  {
    std::ofstream out(options_.path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  Status s;
  auto write = OpenSqliteWriteStore(options_, &s);
  EXPECT_EQ(write, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.permanent()) << s.ToString();  // retrying cannot help
  EXPECT_NE(s.message().find(options_.path), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("not a database"), std::string::npos) << s.ToString();

  auto read = OpenSqliteReadStore(options_, &s);
  EXPECT_EQ(read, nullptr);
  EXPECT_FALSE(s.ok());
}

TEST_P(StoreTest, RollbackToSavepointUndoesOnlyThatEntrysWrites) {
  write_ = OpenWrite();
  int64_t good = Insert(test::AccountEntry(kTenant, "good", "a-1", "create", kT0));
  int64_t bad = Insert(test::AccountEntry(kTenant, "bad", "a-2", "create", kT0));

  ASSERT_TRUE(write_->Begin(TxnKind::kApply).ok());
  ASSERT_TRUE(write_->Savepoint().ok());
  ASSERT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-1", kT0, false)).ok());
  ASSERT_TRUE(write_->FinishEntry(good, EntryState::kDone, AppliedAck(), kT0, "").ok());
  ASSERT_TRUE(write_->ReleaseSavepoint().ok());

  ASSERT_TRUE(write_->Savepoint().ok());
  ASSERT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-2", kT0, false)).ok());
  ASSERT_TRUE(write_->FinishEntry(bad, EntryState::kDone, AppliedAck(), kT0, "").ok());
  ASSERT_TRUE(write_->RollbackToSavepoint().ok());
  // The transaction goes on after the rollback to the savepoint.
  ASSERT_TRUE(write_->ScheduleRetry(bad, 1, kT0 + 20, "transient").ok());
  ASSERT_TRUE(write_->Commit().ok());

  std::optional<StoredEntity> got;
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-1", &got).ok());
  EXPECT_TRUE(got.has_value());
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-2", &got).ok());
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(Find(kTenant, "good")->state, EntryState::kDone);
  EXPECT_EQ(Find(kTenant, "bad")->state, EntryState::kRetryWait);
}

TEST_P(StoreTest, ARolledBackTransactionWritesNothing) {
  write_ = OpenWrite();
  ASSERT_TRUE(write_->Begin(TxnKind::kIngest).ok());
  int64_t seq = 0;
  bool inserted = false;
  ASSERT_TRUE(write_
                  ->InsertEntry(test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0), kT0,
                                EntryState::kPending, 0, &seq, &inserted)
                  .ok());
  ASSERT_TRUE(write_->Rollback().ok());
  EXPECT_FALSE(Find(kTenant, "q-1").has_value());
}

TEST_P(StoreTest, DataSurvivesClosingAndReopening) {
  write_ = OpenWrite();
  int64_t seq = Insert(test::AccountEntry(kTenant, "q-1", "a-1", "create", kT0));
  domain::EntryResult ack = AppliedAck();
  ack.checksum = "abc";
  InTxn([&] {
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-1", kT0, false)).ok());
    EXPECT_TRUE(write_->FinishEntry(seq, EntryState::kDone, ack, kT0 + 1, "").ok());
    EXPECT_TRUE(write_->AddCounters({{{"", counters::kApplied}, 1}}).ok());
    EXPECT_TRUE(write_->PutCheckpoint({kTenant, seq, "q-1", kT0 + 1}).ok());
  });
  Insert(test::AccountEntry(kTenant, "q-2", "a-2", "create", kT0));
  write_.reset();

  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  auto row = Find(kTenant, "q-1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, EntryState::kDone);
  EXPECT_EQ(row->result->checksum, "abc");
  std::vector<QueueRow> unfinished;
  Status loaded_status = write_->LoadUnfinished(&unfinished);
  ASSERT_TRUE(loaded_status.ok()) << loaded_status.ToString();
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].entry.id, "q-2");
  CounterMap loaded;
  ASSERT_TRUE(write_->LoadCounters(&loaded).ok());
  EXPECT_EQ((loaded[{"", counters::kApplied}]), 1);
  std::optional<StoredEntity> got;
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-1", &got).ok());
  EXPECT_TRUE(got.has_value());
  auto read = OpenRead();
  std::optional<Checkpoint> cp;
  ASSERT_TRUE(read->GetCheckpoint(kTenant, &cp).ok());
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->last_entry_id, "q-1");
  EXPECT_TRUE(read->Ping().ok());
}

// The apply transaction locks its batch's entities first (LockEntities) and
// then reads them: the reads see what is stored (whatever the ids hold),
// the transaction's own writes, and no write a savepoint rolled back.
TEST_P(StoreTest, EntitiesLockedForABatchReadAsStoredWrittenAndRolledBack) {
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  const std::vector<std::string> ids = {"plain", "quo\"te", "back\\slash", "com,ma{}", "spa ce"};
  InTxn([&] {
    for (const std::string& id : ids) {
      EXPECT_TRUE(
          write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, id, kT0, false)).ok());
    }
  });
  std::vector<EntityRef> refs;
  for (const std::string& id : ids) refs.push_back({kTenant, EntityType::kAccount, id});
  refs.push_back({kTenant, EntityType::kAccount, "missing"});
  refs.push_back({"other-tenant", EntityType::kAccount, "plain"});
  ASSERT_TRUE(write_->Begin(TxnKind::kApply).ok());
  Status locked = write_->LockEntities(refs);
  ASSERT_TRUE(locked.ok()) << locked.ToString();
  std::optional<StoredEntity> got;
  for (const std::string& id : ids) {
    ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, id, &got).ok());
    ASSERT_TRUE(got.has_value()) << id;
    EXPECT_EQ(got->entity_id, id);
    EXPECT_EQ(got->version_ms, kT0);
    EXPECT_EQ(got->source_entry_id, "src-" + id);
  }
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "missing", &got).ok());
  EXPECT_FALSE(got.has_value());
  ASSERT_TRUE(write_->GetEntity("other-tenant", EntityType::kAccount, "plain", &got).ok());
  EXPECT_FALSE(got.has_value());

  // Its own write is read back; one undone by a savepoint is not.
  ASSERT_TRUE(
      write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "missing", kT0 + 1, false)).ok());
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "missing", &got).ok());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version_ms, kT0 + 1);
  ASSERT_TRUE(write_->Savepoint().ok());
  ASSERT_TRUE(
      write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "plain", kT0 + 9, true)).ok());
  ASSERT_TRUE(write_->RollbackToSavepoint().ok());
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "plain", &got).ok());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version_ms, kT0);
  EXPECT_FALSE(got->deleted);
  ASSERT_TRUE(write_->Commit().ok());
}

TEST(EntryStateTest, NamesRoundTrip) {
  for (EntryState s : {EntryState::kPending, EntryState::kInFlight, EntryState::kRetryWait,
                       EntryState::kDone, EntryState::kDead}) {
    EXPECT_EQ(ParseEntryState(EntryStateName(s)), s);
  }
  EXPECT_EQ(EntryStateName(EntryState::kRetryWait), "retry_wait");
  EXPECT_FALSE(ParseEntryState("waiting").has_value());
}

// Durability rule 4 depends on this classification: a database another
// connection holds locked is a transient failure (retried with backoff), a
// broken constraint a permanent one (NACKed at once, never retried).
TEST_F(SqliteStoreTest, ABusyDatabaseIsTransientAConstraintIsPermanent) {
  options_.busy_timeout_ms = 50;
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status busy = write_->Begin(TxnKind::kApply);
  EXPECT_TRUE(busy.transient()) << busy.ToString();
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  // A write the schema refuses (a trigger the test adds raises ABORT, as a
  // broken constraint does) is permanent.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER poison BEFORE INSERT ON entities"
                           " WHEN NEW.entity_id = 'poison'"
                           " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  write_.reset();
  write_ = OpenWrite();  // sees the new schema
  ASSERT_TRUE(write_->Begin(TxnKind::kApply).ok());
  Status constraint =
      write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "poison", kT0, false));
  EXPECT_TRUE(constraint.permanent()) << constraint.ToString();
  EXPECT_TRUE(write_->Rollback().ok());
}

// What a load streams (ReadStore::ReadLoad), one line per row:
// "<type>/<id>" or "<type>/<id> deleted".
std::vector<std::string> LoadRows(ReadStore& read, const std::string& tenant, int64_t since,
                                  ChangePosition* at) {
  std::vector<std::string> rows;
  Status s = read.ReadLoad(tenant, since, at, [&](const LoadRow& row) {
    rows.push_back(std::string(domain::EntityTypeName(row.type)) + "/" +
                   std::string(row.entity_id) + (row.deleted ? " deleted" : ""));
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

TEST_P(StoreTest, EveryEntityWriteMovesItsTenantsPositionAndLoadsReadWhatCameAfter) {
  write_ = OpenWrite();
  auto read = OpenRead();
  ChangePosition none;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &none).ok());
  EXPECT_EQ(none.seq, 0);
  EXPECT_EQ(none.epoch, 0);

  InTxn([&] {
    for (const char* id : {"a-2", "a-1"}) {
      EXPECT_TRUE(
          write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, id, kT0, false)).ok());
    }
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity("tenant-2", EntityType::kAccount, "x", kT0, false)).ok());
  });
  ChangePosition first, other;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &first).ok());
  ASSERT_TRUE(read->GetChangePosition("tenant-2", &other).ok());
  EXPECT_EQ(first.seq, 2);
  EXPECT_GT(first.epoch, 0);
  EXPECT_EQ(other.seq, 1);
  EXPECT_NE(other.epoch, first.epoch);

  ChangePosition at;
  EXPECT_EQ(LoadRows(*read, kTenant, ReadStore::kFullLoad, &at),
            (std::vector<std::string>{"Account/a-1", "Account/a-2"}));
  EXPECT_EQ(at.seq, first.seq);
  EXPECT_EQ(at.epoch, first.epoch);

  // A tag (a later type), an update and a delete.
  InTxn([&] {
    EXPECT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kTag, "t-1", kT0, false)).ok());
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-2", kT0 + 1, false)).ok());
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-1", kT0 + 2, true)).ok());
  });
  EXPECT_EQ(LoadRows(*read, kTenant, first.seq, &at),
            (std::vector<std::string>{"Account/a-2", "Account/a-1 deleted", "Tag/t-1"}));
  EXPECT_EQ(at.seq, 5);
  EXPECT_EQ(at.epoch, first.epoch);
  EXPECT_TRUE(LoadRows(*read, kTenant, at.seq, &at).empty());
  // A full load leaves tombstones out.
  EXPECT_EQ(LoadRows(*read, kTenant, ReadStore::kFullLoad, &at),
            (std::vector<std::string>{"Account/a-2", "Tag/t-1"}));
}

// SQLite counts positions in memory and stores them at commit, PostgreSQL
// takes each from tenant_changes in the entity write: either way a
// rolled-back write moves nothing a reader can see, a later write goes on
// from the stored position, and so does a reopened store.
TEST_P(StoreTest, ChangePositionsSurviveRollbacksAndReopening) {
  write_ = OpenWrite();
  auto read = OpenRead();
  InTxn([&] {
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-1", kT0, false)).ok());
  });
  ChangePosition first;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &first).ok());
  EXPECT_EQ(first.seq, 1);

  ASSERT_TRUE(write_->Begin(TxnKind::kApply).ok());
  EXPECT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-2", kT0, false)).ok());
  ASSERT_TRUE(write_->Rollback().ok());
  ChangePosition after_rollback;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &after_rollback).ok());
  EXPECT_EQ(after_rollback.seq, 1);

  InTxn([&] {
    EXPECT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kTag, "t-1", kT0, false)).ok());
  });
  ChangePosition second;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &second).ok());
  EXPECT_GT(second.seq, first.seq);
  EXPECT_EQ(second.epoch, first.epoch);
  ChangePosition at;
  EXPECT_EQ(LoadRows(*read, kTenant, first.seq, &at), (std::vector<std::string>{"Tag/t-1"}));

  write_.reset();
  write_ = OpenWrite();
  InTxn([&] {
    EXPECT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kTag, "t-2", kT0, false)).ok());
  });
  ChangePosition reopened;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &reopened).ok());
  EXPECT_EQ(reopened.seq, second.seq + 1);
  EXPECT_EQ(reopened.epoch, first.epoch);
  EXPECT_EQ(LoadRows(*read, kTenant, second.seq, &at), (std::vector<std::string>{"Tag/t-2"}));
}

// A file written before entities had change_seq (and before tenant_changes
// existed): it opens, its rows keep their stored checksums, and they count
// as written before any cursor.
TEST_F(SqliteStoreTest, AnOldSchemaFileIsUpgradedAndKeepsItsStoredChecksums) {
  const std::string data = R"({"id":"a-old","name":"Old","updated_at":"x"})";
  const std::string checksum = domain::ChecksumOfCanonical(data);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
    const std::string sql =
        "CREATE TABLE entities ("
        " tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,"
        " version_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, data TEXT NOT NULL,"
        " checksum TEXT NOT NULL, modified_at_ms INTEGER NOT NULL,"
        " source_entry_id TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (tenant_id, entity_type, entity_id)) WITHOUT ROWID;"
        "INSERT INTO entities VALUES('tenant-1', 'Account', 'a-old', 1, 0, '" +
        data + "', '" + checksum + "', 2, 'e-old');";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  write_ = OpenWrite();
  ASSERT_NE(write_, nullptr);
  auto read = OpenRead();
  std::vector<StoredEntity> listed;
  ASSERT_TRUE(read->ListEntities(kTenant, {}, false, &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].checksum, checksum);
  EXPECT_EQ(listed[0].checksum, domain::ChecksumOfCanonical(listed[0].data));
  ChangePosition at;
  EXPECT_EQ(LoadRows(*read, kTenant, ReadStore::kFullLoad, &at),
            (std::vector<std::string>{"Account/a-old"}));
  EXPECT_EQ(at.seq, 0);
  // The upgrade gave the tenant its epoch, so this position stays usable.
  EXPECT_GT(at.epoch, 0);

  InTxn([&] {
    EXPECT_TRUE(
        write_->PutEntity(MakeEntity(kTenant, EntityType::kAccount, "a-new", kT0, false)).ok());
  });
  ChangePosition after_first;
  ASSERT_TRUE(read->GetChangePosition(kTenant, &after_first).ok());
  EXPECT_EQ(after_first.seq, 1);
  EXPECT_EQ(after_first.epoch, at.epoch);
  EXPECT_EQ(LoadRows(*read, kTenant, at.seq, &at), (std::vector<std::string>{"Account/a-new"}));
  InTxn([&] {
    EXPECT_TRUE(write_->PutEntity(MakeEntity(kTenant, EntityType::kTag, "t-new", kT0, false)).ok());
  });
  EXPECT_EQ(LoadRows(*read, kTenant, after_first.seq, &at),
            (std::vector<std::string>{"Tag/t-new"}));
  EXPECT_EQ(LoadRows(*read, kTenant, ReadStore::kFullLoad, &at),
            (std::vector<std::string>{"Account/a-new", "Account/a-old", "Tag/t-new"}));
  // The stored checksum of the old row is served as it was stored.
  std::optional<StoredEntity> old;
  ASSERT_TRUE(write_->GetEntity(kTenant, EntityType::kAccount, "a-old", &old).ok());
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->checksum, checksum);
}

}  // namespace
}  // namespace syncd::db
