// What REST clients see of database faults: a stable error message, never
// SQLite's text or a file path (those go to the server's log); and every
// NACK the REST route gives is counted in the statistics.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): POSIX mkdtemp is declared here

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "support/http_client.h"
#include "syncd/api/http_server.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {
namespace {

constexpr char kRawError[] = "disk I/O error reading /var/lib/syncd/syncd.db";

// A read store whose reads fail (as SQLite's would on a broken disk) while
// `failing` is set; otherwise the real one.
class FailingReadStore final : public db::ReadStore {
 public:
  explicit FailingReadStore(std::unique_ptr<db::ReadStore> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> failing{false};

  common::Status ListEntities(std::string_view tenant_id,
                              const std::vector<domain::EntityType>& types, bool include_deleted,
                              std::vector<db::StoredEntity>* out) override {
    if (failing) return Fail();
    return inner_->ListEntities(tenant_id, types, include_deleted, out);
  }
  common::Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                           std::optional<db::QueueRow>* row) override {
    if (failing) return Fail();
    return inner_->FindEntry(tenant_id, entry_id, row);
  }
  common::Status ListConflicts(std::string_view tenant_id, int limit,
                               std::vector<db::ConflictRecord>* out) override {
    if (failing) return Fail();
    return inner_->ListConflicts(tenant_id, limit, out);
  }
  common::Status GetCheckpoint(std::string_view tenant_id,
                               std::optional<db::Checkpoint>* out) override {
    if (failing) return Fail();
    return inner_->GetCheckpoint(tenant_id, out);
  }
  common::Status OldestUnfinished(std::string_view tenant_id,
                                  std::optional<int64_t>* received_at_ms) override {
    if (failing) return Fail();
    return inner_->OldestUnfinished(tenant_id, received_at_ms);
  }
  common::Status GetChangePosition(std::string_view tenant_id, db::ChangePosition* out) override {
    if (failing) return Fail();
    return inner_->GetChangePosition(tenant_id, out);
  }
  common::Status ReadLoad(std::string_view tenant_id, int64_t since_seq, db::ChangePosition* at,
                          const db::LoadVisitor& visit) override {
    if (failing) return Fail();
    return inner_->ReadLoad(tenant_id, since_seq, at, visit);
  }
  common::Status LoadCounters(db::CounterMap* counters) override {
    return inner_->LoadCounters(counters);
  }
  common::Status Ping() override { return failing ? Fail() : inner_->Ping(); }

 private:
  static common::Status Fail() { return common::Status::Transient(kRawError); }
  std::unique_ptr<db::ReadStore> inner_;
};

class DatabaseErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "syncd-api-db-errors-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db::SqliteOptions sqlite;
    sqlite.path = dir_ + "/syncd.db";
    common::Status s;
    auto writes = db::OpenSqliteWriteStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto reads = db::OpenSqliteReadStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    reads_ = std::make_unique<FailingReadStore>(std::move(reads));
    pipeline_ = std::make_unique<pipeline::Pipeline>(std::move(writes), pipeline::PipelineOptions(),
                                                     &clock_);
    HttpOptions http;
    http.port = 0;
    WsInfo ws;  // the rest (slow closes, load counters) reads as 0
    ws.connections = [] { return int64_t{0}; };
    ws.tenants = [] { return int64_t{0}; };
    ws.up = [] { return true; };
    server_ = std::make_unique<HttpServer>(http, pipeline_.get(), reads_.get(), ws);
    ASSERT_TRUE(pipeline_->Start().ok());
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->BeginShutdown();
    server_->Stop();
    pipeline_->Stop();
    server_.reset();
    pipeline_.reset();
    reads_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string dir_;
  common::SystemClock clock_;
  std::unique_ptr<FailingReadStore> reads_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(DatabaseErrorsTest, FailedReadsAnswer500WithAStableMessage) {
  reads_->failing = true;
  for (const char* target : {"/api/v1/sync/entries/t1/e1", "/api/v1/sync/status/t1",
                             "/api/v1/sync/data-status/t1", "/api/v1/sync/conflicts/t1"}) {
    test::HttpReply r = test::HttpRequest(server_->port(), "GET", target);
    EXPECT_EQ(r.status, 500) << target;
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("error")) << r.body;
    EXPECT_STREQ(doc["error"]["code"].GetString(), "internal_error") << target;
    EXPECT_STREQ(doc["error"]["message"].GetString(), pipeline::kDatabaseUnavailable) << target;
    EXPECT_EQ(r.body.find("disk I/O"), std::string::npos) << target << ": " << r.body;
    EXPECT_EQ(r.body.find("/var/lib"), std::string::npos) << target << ": " << r.body;
  }
}

// An entry without a readable tenantId is NACKed validation_error; the
// statistics count it (globally) like any other NACK.
TEST_F(DatabaseErrorsTest, AValidationNackWithoutATenantIsCounted) {
  test::HttpReply r = test::HttpRequest(server_->port(), "POST", "/api/v1/sync/entries",
                                        R"({"entries":[{"id":"e1","entityType":"Account"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("validation_error"), std::string::npos) << r.body;
  pipeline::QueueCounts counts = pipeline_->GlobalCounts();
  EXPECT_EQ(counts.nacked, 1);
  EXPECT_EQ(counts.received, 1);
}

}  // namespace
}  // namespace syncd::api
