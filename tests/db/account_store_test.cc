// The accounts store on a real SQLite file and on PostgreSQL: users (emails case-insensitive),
// tenants and their owners, refresh-token rotation with reuse detection,
// and the tenant purge (every row of the tenant, the global depth kept
// equal to the queue).
#include "syncd/db/account_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "syncd/db/counters.h"
#include "syncd/db/postgres_store.h"
#include "syncd/db/sqlite_store.h"

namespace syncd::db {
namespace {

constexpr int64_t kT0 = 1764130000000;

class AccountStoreTest : public ::testing::TestWithParam<test::Engine> {
 protected:
  void SetUp() override {
    options_.path = dir_.path() + "/syncd.db";
    options_.synchronous = "NORMAL";
    Status s;
    if (GetParam() == test::Engine::kPostgres) {
      SYNCD_POSTGRES_DATABASE_OR_SKIP(pg_.url);
      pg_.instance_id = "account-store-test";
      store_ = OpenPostgresAccountStore(pg_, &s);
    } else {
      store_ = OpenSqliteAccountStore(options_, &s);
    }
    ASSERT_TRUE(store_) << s.ToString();
  }
  void TearDown() override {
    store_.reset();
    if (!pg_.url.empty()) test::DropPostgresDatabase(pg_.url);
  }

  std::unique_ptr<WriteStore> OpenWrite(Status* s) {
    return GetParam() == test::Engine::kPostgres ? OpenPostgresWriteStore(pg_, s)
                                                 : OpenSqliteWriteStore(options_, s);
  }
  std::unique_ptr<ReadStore> OpenRead(Status* s) {
    return GetParam() == test::Engine::kPostgres ? OpenPostgresReadStore(pg_, s)
                                                 : OpenSqliteReadStore(options_, s);
  }

  UserRow User(const std::string& uuid, const std::string& email) {
    UserRow u;
    u.uuid = uuid;
    u.name = "Name " + uuid;
    u.email = email;
    u.password_hash = "$argon2id$stub";
    u.created_at_ms = u.updated_at_ms = kT0;
    return u;
  }

  test::TempDir dir_;
  SqliteOptions options_;
  PostgresOptions pg_;
  std::unique_ptr<AccountStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Engines, AccountStoreTest,
                         ::testing::Values(test::Engine::kSqlite, test::Engine::kPostgres),
                         test::EngineParamName);

TEST_P(AccountStoreTest, EmailsAreUniqueWhateverTheirCase) {
  WriteOutcome out = WriteOutcome::kNotFound;
  ASSERT_TRUE(store_->CreateUser(User("u1", "Ann@Example.org"), &out).ok());
  EXPECT_EQ(out, WriteOutcome::kDone);
  ASSERT_TRUE(store_->CreateUser(User("u2", "ann@EXAMPLE.org"), &out).ok());
  EXPECT_EQ(out, WriteOutcome::kEmailTaken);
  ASSERT_TRUE(store_->CreateUser(User("u1", "other@example.org"), &out).ok());
  EXPECT_EQ(out, WriteOutcome::kIdTaken);
  std::optional<UserRow> found;
  ASSERT_TRUE(store_->FindLogin("ANN@example.ORG", &found).ok());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->uuid, "u1");
  EXPECT_EQ(found->email, "Ann@Example.org");
  found.reset();
  ASSERT_TRUE(store_->FindLogin("name u1", &found).ok());  // by name, case-insensitive
  ASSERT_TRUE(found.has_value());
  // Changing u2's email to u1's is refused too.
  ASSERT_TRUE(store_->CreateUser(User("u2", "bob@example.org"), &out).ok());
  UserRow bob = User("u2", "ANN@example.org");
  ASSERT_TRUE(store_->UpdateUser(bob, &out).ok());
  EXPECT_EQ(out, WriteOutcome::kEmailTaken);
}

TEST_P(AccountStoreTest, ATenantBelongsToItsCreator) {
  TenantRow t{"t1", "Home", "u1", kT0, kT0};
  WriteOutcome out = WriteOutcome::kNotFound;
  TenantRow stored;
  ASSERT_TRUE(store_->CreateTenant(t, false, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kDone);
  TenantRow again = t;
  again.created_at_ms = kT0 + 5;
  ASSERT_TRUE(store_->CreateTenant(again, false, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kSame);
  EXPECT_EQ(stored.created_at_ms, kT0);
  TenantRow theirs{"t1", "Mine", "u2", kT0, kT0};
  ASSERT_TRUE(store_->CreateTenant(theirs, false, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kIdTaken);
  std::vector<TenantRow> listed;
  ASSERT_TRUE(store_->ListTenants("u2", &listed).ok());
  EXPECT_TRUE(listed.empty());
  ASSERT_TRUE(store_->ListTenants("u1", &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "Home");
}

TEST_P(AccountStoreTest, RefreshTokensRotateAndAReuseRevokesTheChain) {
  ASSERT_TRUE(store_->InsertRefreshToken("h1", "u1", "chain", kT0 + 1000, kT0).ok());
  RefreshOutcome out = RefreshOutcome::kUnknown;
  std::string user;
  ASSERT_TRUE(store_->RotateRefreshToken("h1", "h2", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kRotated);
  EXPECT_EQ(user, "u1");
  ASSERT_TRUE(store_->RotateRefreshToken("h1", "h3", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kReused);
  // h2, the chain's newest, is revoked with it.
  ASSERT_TRUE(store_->RotateRefreshToken("h2", "h4", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kUnknown);
  // Expired and unknown tokens do nothing.
  ASSERT_TRUE(store_->InsertRefreshToken("old", "u1", "c2", kT0 + 10, kT0).ok());
  ASSERT_TRUE(store_->RotateRefreshToken("old", "h5", kT0 + 1000, kT0 + 11, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kUnknown);
  ASSERT_TRUE(store_->RotateRefreshToken("nope", "h6", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kUnknown);
  // Logout.
  ASSERT_TRUE(store_->InsertRefreshToken("h7", "u1", "c3", kT0 + 1000, kT0).ok());
  ASSERT_TRUE(store_->RevokeRefreshToken("h7").ok());
  ASSERT_TRUE(store_->RotateRefreshToken("h7", "h8", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kUnknown);
}

// Token mode's POST /tenants: an id that has sync data but no owner (written
// in none mode) is refused when asked, and taken when not.
TEST_P(AccountStoreTest, ATenantIdWithDataAndNoOwnerIsRefusedWhenAsked) {
  Status s;
  std::unique_ptr<WriteStore> w = OpenWrite(&s);
  ASSERT_TRUE(w) << s.ToString();
  StoredEntity entity;
  entity.tenant_id = "legacy";
  entity.type = domain::EntityType::kTag;
  entity.entity_id = "tag-1";
  entity.data = R"({"id":"tag-1"})";
  ASSERT_TRUE(w->Begin(TxnKind::kApply).ok());
  ASSERT_TRUE(w->PutEntity(entity).ok());
  ASSERT_TRUE(w->Commit().ok());
  WriteOutcome out = WriteOutcome::kDone;
  TenantRow stored;
  ASSERT_TRUE(store_->CreateTenant({"legacy", "Old", "u1", kT0, kT0}, true, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kHasData);
  ASSERT_TRUE(store_->CreateTenant({"fresh", "New", "u1", kT0, kT0}, true, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kDone);
  ASSERT_TRUE(store_->CreateTenant({"legacy", "Old", "u1", kT0, kT0}, false, &out, &stored).ok());
  EXPECT_EQ(out, WriteOutcome::kDone);
}

TEST_P(AccountStoreTest, RevokingAUsersTokensEndsEveryChainOfThatUserOnly) {
  ASSERT_TRUE(store_->InsertRefreshToken("a1", "u1", "c1", kT0 + 1000, kT0).ok());
  ASSERT_TRUE(store_->InsertRefreshToken("a2", "u1", "c2", kT0 + 1000, kT0).ok());
  ASSERT_TRUE(store_->InsertRefreshToken("b1", "u2", "c3", kT0 + 1000, kT0).ok());
  ASSERT_TRUE(store_->RevokeUserRefreshTokens("u1").ok());
  RefreshOutcome out = RefreshOutcome::kRotated;
  std::string user;
  for (const char* token : {"a1", "a2"}) {
    ASSERT_TRUE(store_->RotateRefreshToken(token, "n", kT0 + 1000, kT0, &out, &user).ok());
    EXPECT_EQ(out, RefreshOutcome::kUnknown) << token;
  }
  ASSERT_TRUE(store_->RotateRefreshToken("b1", "b2", kT0 + 1000, kT0, &out, &user).ok());
  EXPECT_EQ(out, RefreshOutcome::kRotated);
  EXPECT_EQ(user, "u2");
}

TEST_P(AccountStoreTest, PurgeRemovesEveryRowOfTheTenantOnly) {
  Status s;
  std::unique_ptr<WriteStore> w = OpenWrite(&s);
  ASSERT_TRUE(w) << s.ToString();
  ASSERT_TRUE(w->Begin(TxnKind::kApply).ok());
  // t1's entry is dead, t2's is pending.
  for (const std::string tenant : {"t1", "t2"}) {
    const bool dead = tenant == "t1";
    const char* depth = dead ? counters::kDead : counters::kPending;
    domain::SyncEntry e;
    e.id = "e-" + tenant;
    e.tenant_id = tenant;
    e.entity_type = domain::EntityType::kTag;
    e.entity_id = "tag-1";
    e.operation = domain::Operation::kCreate;
    e.data = R"({"id":"tag-1"})";
    e.version_ms = kT0;
    int64_t seq = 0;
    bool inserted = false;
    ASSERT_TRUE(
        w->InsertEntry(e, kT0, dead ? EntryState::kDead : EntryState::kPending, 0, &seq, &inserted)
            .ok());
    StoredEntity entity;
    entity.tenant_id = tenant;
    entity.type = domain::EntityType::kTag;
    entity.entity_id = "tag-1";
    entity.data = e.data;
    ASSERT_TRUE(w->PutEntity(entity).ok());
    ASSERT_TRUE(w->AddCounters({{{tenant, depth}, 1}, {{"", depth}, 1}}).ok());
  }
  ASSERT_TRUE(w->Commit().ok());
  TenantRow t{"t1", "Home", "u1", kT0, kT0};
  WriteOutcome out = WriteOutcome::kNotFound;
  TenantRow stored;
  ASSERT_TRUE(store_->CreateTenant(t, false, &out, &stored).ok());

  std::unique_ptr<ReadStore> reads = OpenRead(&s);
  ASSERT_TRUE(reads) << s.ToString();
  ChangePosition before;
  ASSERT_TRUE(reads->GetChangePosition("t1", &before).ok());
  EXPECT_GT(before.epoch, 0);

  // The pipeline's write connection purges, in its own transaction.
  TenantPurge purged;
  ASSERT_TRUE(w->Begin(TxnKind::kMaintenance).ok());
  ASSERT_TRUE(w->PurgeTenant("t1", /*remove_tenant=*/true, &purged).ok());
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(purged.entities, 1);
  EXPECT_EQ(purged.queue_entries, 1);
  // What the pipeline's statistics must subtract.
  EXPECT_EQ((purged.counter_deltas[{"t1", counters::kDead}]), -1);
  EXPECT_EQ((purged.counter_deltas[{"", counters::kDead}]), -1);
  std::optional<TenantRow> gone;
  ASSERT_TRUE(store_->FindTenant("t1", &gone).ok());
  EXPECT_FALSE(gone.has_value());
  CounterMap counters;
  ASSERT_TRUE(w->LoadCounters(&counters).ok());
  EXPECT_EQ(counters.count({"t1", counters::kDead}), 0u);
  EXPECT_EQ((counters[{"", counters::kDead}]), 0);
  EXPECT_EQ((counters[{"", counters::kPending}]), 1);  // t2's entry, untouched
  std::optional<StoredEntity> other;
  ASSERT_TRUE(w->GetEntity("t2", domain::EntityType::kTag, "tag-1", &other).ok());
  EXPECT_TRUE(other.has_value());

  // t1's cursors die with its data (its deletions are gone with it): the
  // position is reset, and the next write, through the same write store,
  // draws a new epoch, so an old cursor gets a full load.
  ChangePosition after;
  ASSERT_TRUE(reads->GetChangePosition("t1", &after).ok());
  EXPECT_EQ(after.epoch, 0);
  EXPECT_EQ(after.seq, 0);
  StoredEntity again;
  again.tenant_id = "t1";
  again.type = domain::EntityType::kTag;
  again.entity_id = "tag-2";
  again.data = R"({"id":"tag-2"})";
  ASSERT_TRUE(w->Begin(TxnKind::kApply).ok());
  ASSERT_TRUE(w->PutEntity(again).ok());
  ASSERT_TRUE(w->Commit().ok());
  ASSERT_TRUE(reads->GetChangePosition("t1", &after).ok());
  EXPECT_GT(after.epoch, 0);
  EXPECT_NE(after.epoch, before.epoch);
}

}  // namespace
}  // namespace syncd::db
