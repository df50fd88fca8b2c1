// What a client sees when the database cannot be read: the REST routes that
// read answer 500 with the error JSON, and request_initial_data answers the
// WebSocket error `internal_error`; the connection stays usable. The read
// store is a fake that fails every call (the write path is a real SQLite file).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"
#include "syncd/api/http_server.h"
#include "syncd/common/clock.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/ws/ws_server.h"

namespace syncd::e2e {
namespace {

constexpr char kHost[] = "127.0.0.1";

// Every read fails as a broken disk would (transient: an I/O error).
class FailingReadStore final : public db::ReadStore {
 public:
  common::Status ListEntities(std::string_view, const std::vector<domain::EntityType>&, bool,
                              std::vector<db::StoredEntity>*) override {
    return Fail();
  }
  common::Status FindEntry(std::string_view, std::string_view,
                           std::optional<db::QueueRow>*) override {
    return Fail();
  }
  common::Status ListConflicts(std::string_view, int, std::vector<db::ConflictRecord>*) override {
    return Fail();
  }
  common::Status GetCheckpoint(std::string_view, std::optional<db::Checkpoint>*) override {
    return Fail();
  }
  common::Status OldestUnfinished(std::string_view, std::optional<int64_t>*) override {
    return Fail();
  }
  common::Status GetChangePosition(std::string_view, db::ChangePosition*) override {
    return Fail();
  }
  common::Status ReadLoad(std::string_view, int64_t, db::ChangePosition*,
                          const db::LoadVisitor&) override {
    return Fail();
  }
  common::Status LoadCounters(db::CounterMap*) override { return Fail(); }
  common::Status Ping() override { return Fail(); }

 private:
  static common::Status Fail() { return common::Status::Transient("disk I/O error (injected)"); }
};

class ReadFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "syncd-read-failure-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db::SqliteOptions sqlite;
    sqlite.path = (dir_ / "syncd.db").string();
    common::Status s;
    auto writes = db::OpenSqliteWriteStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    pipeline_ = std::make_unique<pipeline::Pipeline>(std::move(writes), pipeline::PipelineOptions{},
                                                     &clock_);
    ws::WsOptions ws_options;
    ws_options.port = 0;
    ws_ = std::make_unique<ws::WsServer>(ws_options, pipeline_.get(), &reads_);
    api::HttpOptions http;
    http.port = 0;
    api::WsInfo info;  // the rest (slow closes, load counters) reads as 0
    info.connections = [] { return int64_t{0}; };
    info.tenants = [] { return int64_t{0}; };
    info.up = [] { return true; };
    http_ = std::make_unique<api::HttpServer>(http, pipeline_.get(), &reads_, info);
    ASSERT_TRUE(pipeline_->Start().ok());
    ASSERT_TRUE(ws_->Start().ok());
    ASSERT_TRUE(http_->Start().ok());
  }
  void TearDown() override {
    // The app's order: the servers outlive the pipeline's worker (they are its sinks).
    if (http_) http_->BeginShutdown();
    if (ws_) ws_->StopAccepting();
    if (pipeline_) pipeline_->Stop();
    if (ws_) ws_->Shutdown();
    if (http_) http_->Stop();
    http_.reset();
    ws_.reset();
    pipeline_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  common::SystemClock clock_;
  FailingReadStore reads_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<ws::WsServer> ws_;
  std::unique_ptr<api::HttpServer> http_;
};

TEST_F(ReadFailureTest, RestRoutesThatReadAnswer500WithTheErrorJson) {
  for (const std::string path : {"/api/v1/sync/entries/t-1/e-1", "/api/v1/sync/conflicts/t-1",
                                 "/api/v1/sync/status/t-1", "/api/v1/sync/data-status/t-1"}) {
    test::HttpResponse r = test::HttpGet(kHost, http_->port(), path);
    EXPECT_EQ(r.status, 500) << path << ": " << r.body;
    rapidjson::Document d = test::ParseJson(r.body);
    ASSERT_TRUE(d.IsObject() && d.HasMember("error") && d["error"].IsObject()) << r.body;
    EXPECT_EQ(test::GetString(d["error"], "code"), "internal_error") << path;
    // The stable text, never the database's own (issue #8, item 9).
    EXPECT_EQ(test::GetString(d["error"], "message"), pipeline::kDatabaseUnavailable) << r.body;
    EXPECT_EQ(r.body.find("disk I/O error"), std::string::npos) << r.body;
  }
}

TEST_F(ReadFailureTest, InitialDataAnswersInternalErrorAndTheConnectionStaysUsable) {
  test::WsClient client;
  test::ConnectResult c = client.Connect("ws://" + std::string(kHost) + ":" +
                                         std::to_string(ws_->port()) + "/ws_finwise/ws/t-1");
  ASSERT_TRUE(c.ok) << c.error;
  ASSERT_TRUE(client.Send(R"({"type":"request_initial_data"})"));
  auto error = client.WaitFor([](const rapidjson::Document& d) {
    return test::GetString(d, "type") == "error" ||
           test::GetString(d, "type") == "initial_data_load";
  });
  ASSERT_TRUE(error.has_value());
  rapidjson::Document d = test::ParseJson(*error);
  EXPECT_EQ(test::GetString(d, "type"), "error") << *error;
  EXPECT_EQ(test::GetString(d, "code"), "internal_error") << *error;
  EXPECT_NE(test::GetString(d, "message").find(pipeline::kDatabaseUnavailable), std::string::npos)
      << *error;
  EXPECT_EQ(error->find("disk I/O error"), std::string::npos) << *error;

  ASSERT_TRUE(client.Send(R"({"type":"ping","timestamp":7})"));
  auto pong = client.WaitFor(
      [](const rapidjson::Document& p) { return test::GetString(p, "type") == "pong"; });
  EXPECT_TRUE(pong.has_value());
  EXPECT_FALSE(client.closed());
}

}  // namespace
}  // namespace syncd::e2e
