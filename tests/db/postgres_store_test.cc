// What only the PostgreSQL store has (scale.md): the versioned schema under
// an advisory lock, claims of another instance's rows after its heartbeat
// stopped, entity locks between writers, the error classification of its
// SQLSTATEs, reconnecting after the server dropped the connection, and URLs
// whose password is never shown. Each test runs on a fresh database of the
// throwaway server (support/postgres_server.h).
#include "syncd/db/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "soci_util.h"
#include "support/entry_builders.h"
#include "support/postgres_server.h"
#include "syncd/db/store.h"

namespace syncd::db {
namespace {

using domain::EntityType;

constexpr char kTenant[] = "tenant-pg";
constexpr int64_t kT0 = 1764130000000;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { SYNCD_POSTGRES_DATABASE_OR_SKIP(url_); }
  void TearDown() override {
    if (!url_.empty()) test::DropPostgresDatabase(url_);
  }

  PostgresOptions Instance(const std::string& id, int64_t timeout_ms = 10000) const {
    PostgresOptions o;
    o.url = url_;
    o.instance_id = id;
    o.heartbeat_ms = 50;
    o.instance_timeout_ms = timeout_ms;
    return o;
  }
  std::unique_ptr<WriteStore> OpenWrite(const PostgresOptions& o) {
    Status s;
    auto store = OpenPostgresWriteStore(o, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store;
  }
  // One in_flight entry, as the pipeline writes a new one.
  void InsertInFlight(WriteStore* store, const std::string& id) {
    int64_t seq = 0;
    bool inserted = false;
    ASSERT_TRUE(store->Begin(TxnKind::kIngest).ok());
    ASSERT_TRUE(store
                    ->InsertEntry(test::AccountEntry(kTenant, id, "a-" + id, "create", kT0), kT0,
                                  EntryState::kInFlight, kT0 + 30000, &seq, &inserted)
                    .ok());
    ASSERT_TRUE(inserted);
    ASSERT_TRUE(store->Commit().ok());
  }

  std::string url_;
};

TEST_F(PostgresStoreTest, InstancesStartingTogetherCreateTheSchemaOnce) {
  constexpr int kInstances = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      Status s;
      auto store = OpenPostgresWriteStore(Instance("i" + std::to_string(i)), &s);
      if (store) ++opened;
      errors[static_cast<size_t>(i)] = s.ToString();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(opened.load(), kInstances) << errors[0] << " / " << errors[1];
  // One version row, not one per instance.
  EXPECT_EQ(test::ExecPostgres(url_,
                               "DO $$ BEGIN IF (SELECT count(*) FROM schema_version) <> 1 THEN"
                               " RAISE EXCEPTION 'versions'; END IF; END $$"),
            "");
}

TEST_F(PostgresStoreTest, ASchemaNewerThanTheBinaryIsRefusedAndLeftAlone) {
  ASSERT_NE(OpenWrite(Instance("a")), nullptr);
  ASSERT_EQ(test::ExecPostgres(url_, "INSERT INTO schema_version VALUES (999, 0)"), "");
  Status s;
  auto store = OpenPostgresWriteStore(Instance("b"), &s);
  EXPECT_EQ(store, nullptr);
  EXPECT_TRUE(s.permanent()) << s.ToString();
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.ToString();
  EXPECT_EQ(test::ExecPostgres(url_, "SELECT 1 FROM sync_queue LIMIT 1"), "");
}

// scale.md 2: a live instance's rows stay its own; once its heartbeat is
// older than the timeout, another instance claims them (nothing stays stuck).
TEST_F(PostgresStoreTest, AnotherInstanceClaimsTheRowsOfAnInstanceWhoseHeartbeatStopped) {
  auto a = OpenWrite(Instance("instance-a"));
  ASSERT_NE(a, nullptr);
  InsertInFlight(a.get(), "e-1");
  InsertInFlight(a.get(), "e-2");

  auto b = OpenWrite(Instance("instance-b", /*timeout_ms=*/400));
  ASSERT_NE(b, nullptr);
  std::vector<QueueRow> rows;
  ASSERT_TRUE(b->LoadUnfinished(&rows).ok());
  EXPECT_TRUE(rows.empty()) << "took " << rows.size() << " rows of a live instance";

  a.reset();  // its heartbeat stops
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rows.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(b->LoadUnfinished(&rows).ok());
    if (rows.empty()) std::this_thread::yield();
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].entry.id, "e-1");  // arrival order
  EXPECT_EQ(rows[1].entry.id, "e-2");
  EXPECT_LT(rows[0].seq, rows[1].seq);

  // Claimed once: a third instance finds nothing left to take from b.
  auto c = OpenWrite(Instance("instance-c", 400));
  std::vector<QueueRow> none;
  ASSERT_TRUE(c->LoadUnfinished(&none).ok());
  EXPECT_TRUE(none.empty());
}

// scale.md 3: a writer that locks an entity waits for the transaction of
// another writer that holds it, so last-write-wins is never decided twice
// at once.
TEST_F(PostgresStoreTest, EntityLocksMakeASecondWriterWaitForTheFirstCommit) {
  auto a = OpenWrite(Instance("a"));
  auto b = OpenWrite(Instance("b"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string tenant = kTenant, id1 = "x-1", id2 = "x-2";
  ASSERT_TRUE(a->Begin(TxnKind::kApply).ok());
  ASSERT_TRUE(a->LockEntities({{tenant, EntityType::kAccount, id1}}).ok());

  std::atomic<bool> a_committed{false}, b_locked{false}, b_saw_commit{false};
  std::thread other([&] {
    ASSERT_TRUE(b->Begin(TxnKind::kApply).ok());
    // Two entities, in the other order than a would: still no deadlock.
    Status s =
        b->LockEntities({{tenant, EntityType::kAccount, id2}, {tenant, EntityType::kAccount, id1}});
    b_saw_commit = a_committed.load();
    b_locked = true;
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(b->Commit().ok());
  });
  // Wait until the server shows b waiting on an advisory lock (or b got
  // through, which is the failure).
  const std::string waiting =
      "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
      " AND NOT granted) THEN RAISE EXCEPTION 'nobody waits'; END IF; END $$";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool b_waits = false;
  while (!b_waits && !b_locked.load() && std::chrono::steady_clock::now() < deadline) {
    b_waits = test::ExecPostgres(url_, waiting).empty();
  }
  EXPECT_TRUE(b_waits);
  EXPECT_FALSE(b_locked.load()) << "the second writer did not wait for the entity lock";
  a_committed = true;
  ASSERT_TRUE(a->Commit().ok());
  other.join();
  EXPECT_TRUE(b_saw_commit.load());
}

// service.md rule 4 with PostgreSQL: these are retried, the rest NACKed.
TEST(PostgresErrorTest, SqlStatesAreClassifiedTransientOrPermanent) {
  for (const char* transient :
       {"40001", "40P01", "08006", "08001", "57P01", "53300", "55P03", "58030", ""}) {
    EXPECT_TRUE(StatusFromSqlState(transient, "x").transient()) << transient;
  }
  for (const char* permanent : {"23505", "23514", "42601", "22P02", "XX000"}) {
    EXPECT_TRUE(StatusFromSqlState(permanent, "x").permanent()) << permanent;
  }
}

// The accounts and console stores (SOCI sessions) after the server ended
// their connections: the call that finds out fails transiently, the next
// one opens a new session (sign-ins work again without a restart of syncd).
TEST_F(PostgresStoreTest, AccountAndConsoleStoresReconnectAfterTheServerDroppedThem) {
  Status s;
  auto accounts = OpenPostgresAccountStore(Instance("a"), &s);
  ASSERT_NE(accounts, nullptr) << s.ToString();
  auto console = OpenPostgresConsoleStore(Instance("a"), &s);
  ASSERT_NE(console, nullptr) << s.ToString();
  UserRow user;
  user.uuid = "u1";
  user.name = "Ann";
  user.email = "ann@example.org";
  WriteOutcome out = WriteOutcome::kNotFound;
  ASSERT_TRUE(accounts->CreateUser(user, &out).ok());
  ASSERT_EQ(test::ExecPostgres(url_,
                               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                               " AND application_name = 'syncd'"),
            "");
  std::optional<UserRow> found;
  Status lost = accounts->FindUser("u1", &found);
  if (!lost.ok()) {
    EXPECT_TRUE(lost.transient()) << lost.ToString();
  }
  found.reset();
  ASSERT_TRUE(accounts->FindUser("u1", &found).ok());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->email, "ann@example.org");
  std::vector<TenantSummaryRow> tenants;
  Status console_lost = console->ListTenants(&tenants);
  if (!console_lost.ok()) {
    EXPECT_TRUE(console_lost.transient()) << console_lost.ToString();
  }
  tenants.clear();
  EXPECT_TRUE(console->ListTenants(&tenants).ok());
}

// The server ends the connection (a restart, a failover, an admin): the
// failing statement is transient, and the next transaction reconnects.
TEST_F(PostgresStoreTest, AConnectionTheServerDroppedIsTransientAndTheNextTransactionReconnects) {
  auto store = OpenWrite(Instance("a"));
  ASSERT_NE(store, nullptr);
  InsertInFlight(store.get(), "before");
  Status s;
  auto reads = OpenPostgresReadStore(Instance("a"), &s);
  ASSERT_NE(reads, nullptr) << s.ToString();
  ASSERT_EQ(test::ExecPostgres(url_,
                               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                               " AND application_name = 'syncd'"),
            "");
  std::optional<QueueRow> row;
  Status lost = store->FindEntry(kTenant, "before", &row);
  EXPECT_TRUE(lost.transient()) << lost.ToString();
  InsertInFlight(store.get(), "after");  // Begin reconnects
  ASSERT_TRUE(store->FindEntry(kTenant, "after", &row).ok());
  EXPECT_TRUE(row.has_value());
  EXPECT_TRUE(reads->Ping().ok());
  ASSERT_TRUE(reads->FindEntry(kTenant, "before", &row).ok());
  EXPECT_TRUE(row.has_value());
}

TEST(PostgresUrlTest, PasswordsAreRedactedAndUrlsRecognised) {
  EXPECT_EQ(RedactedUrl("postgresql://syncd:s3cret@db.example:5432/app?sslmode=require"),
            "postgresql://syncd:***@db.example:5432/app?sslmode=require");
  EXPECT_EQ(RedactedUrl("postgresql://h/app?user=u&password=s3cret&x=1"),
            "postgresql://h/app?user=u&password=***&x=1");
  EXPECT_EQ(RedactedUrl("postgres://u@h/app"), "postgres://u@h/app");
  EXPECT_TRUE(IsPostgresUrl("postgresql://h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUrl("data/syncd.db"));
}

}  // namespace
}  // namespace syncd::db
