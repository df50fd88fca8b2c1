// End to end through the REST server: a real Pipeline on a temporary SQLite
// file, the HttpServer on port 0, a plain HTTP client.
#include "syncd/api/http_server.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <regex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "api_json.h"
#include "http_types.h"  // api/ private: ErrorResponse
#include "support/fake_clock.h"
#include "support/http_client.h"
#include "support/syncd_process.h"
#include "syncd/db/counters.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {
namespace {

// One SyncQueueEntry of an Account.
std::string Account(const std::string& id, const std::string& entity_id, const std::string& name,
                    int64_t timestamp, const std::string& tenant = "t1",
                    const std::string& op = "create") {
  return R"({"id":")" + id + R"(","tenantId":")" + tenant +
         R"(","entityType":"Account","entityId":")" + entity_id + R"(","operationType":")" + op +
         R"(","payload":{"name":")" + name + R"(","accountGroupId":"g1"},"timestamp":)" +
         std::to_string(timestamp) + "}";
}

std::string Entries(const std::string& joined) { return R"({"entries":[)" + joined + "]}"; }

constexpr int64_t kT0 = 1764130000000;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    Start();
  }

  void TearDown() override { Stop(); }

  // The whole stack on the database file; apply commits fail at `apply_fail_rate`.
  // `clock` (default: the system clock) drives leases and retries.
  void Start(double apply_fail_rate = 0, const common::Clock* clock = nullptr) {
    db::SqliteOptions sqlite;
    sqlite.path = dir_ + "/syncd.db";
    sqlite.synchronous = "NORMAL";
    common::Status s;
    auto writes = db::OpenSqliteWriteStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto faulty = std::make_unique<db::FaultInjectingStore>(std::move(writes));
    faulty->SetApplyCommitFailureRate(apply_fail_rate, 7);
    faulty_ = faulty.get();
    reads_ = db::OpenSqliteReadStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    pipeline::PipelineOptions options;
    options.retry.max_attempts = clock != nullptr ? 8 : 2;
    options.retry.base_ms = clock != nullptr ? 1000 : 1;
    options.retry.max_ms = clock != nullptr ? 1000 : 5;
    options.rng_seed = 7;  // the same backoff draws every run
    pipeline_ = std::make_unique<pipeline::Pipeline>(std::move(faulty), options,
                                                     clock != nullptr ? clock : &clock_);
    HttpOptions http = http_options_;
    http.port = 0;
    http.max_body_bytes = int64_t{64} * 1024;
    http.openapi_path = std::string(SYNCD_SOURCE_DIR) + "/openapi.yaml";
    WsInfo ws;  // the rest (slow closes, load counters) reads as 0
    ws.connections = [] { return int64_t{3}; };
    ws.tenants = [] { return int64_t{2}; };
    ws.up = [] { return true; };
    server_ = std::make_unique<HttpServer>(http, pipeline_.get(), reads_.get(), ws);
    ASSERT_TRUE(pipeline_->Start().ok());
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  void Stop() {
    if (server_) {
      server_->BeginShutdown();
      server_->Stop();
    }
    if (pipeline_) pipeline_->Stop();
    server_.reset();  // after the pipeline's worker: it is one of its sinks
    pipeline_.reset();
    reads_.reset();
  }

  void Restart(double apply_fail_rate = 0, const common::Clock* clock = nullptr) {
    Stop();
    Start(apply_fail_rate, clock);
  }

  test::HttpReply Get(const std::string& target) {
    return test::HttpRequest(server_->port(), "GET", target);
  }
  test::HttpReply Post(const std::string& target, const std::string& body,
                       const std::string& content_type = "application/json") {
    return test::HttpRequest(server_->port(), "POST", target, body, content_type);
  }

  // POSTs entries and returns `results`.
  rapidjson::Document Submit(const std::string& joined, int wait_ms = 5000) {
    test::HttpReply r =
        Post("/api/v1/sync/entries?wait_ms=" + std::to_string(wait_ms), Entries(joined));
    EXPECT_EQ(r.status, 200) << r.body;
    rapidjson::Document doc = Json(r.body);
    rapidjson::Document results;
    results.CopyFrom(doc["results"], results.GetAllocator());
    return results;
  }

  // Waits until GET entry says `state` (or 5 s pass); returns its body.
  rapidjson::Document WaitForState(const std::string& entry, const std::string& state) {
    rapidjson::Document doc;
    for (int i = 0; i < 500; ++i) {
      doc = Json(Get("/api/v1/sync/entries/t1/" + entry).body);
      if (Str(doc, "state") == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return doc;
  }

  void ExpectError(const test::HttpReply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
              "application/json")
        << r.body;
    rapidjson::Document doc = Json(r.body);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("error")) << r.body;
    EXPECT_EQ(Str(doc["error"], "code"), code) << r.body;
    EXPECT_NE(Str(doc["error"], "message"), "<absent>") << r.body;
  }

  // Stats, tenant status and metrics against the counters table.
  void ExpectNumbersMatchDatabase() {
    db::CounterMap counters;
    ASSERT_TRUE(reads_->LoadCounters(&counters).ok());
    auto db = [&](const std::string& scope, const char* name) {
      auto it = counters.find({scope, name});
      return it == counters.end() ? int64_t{0} : it->second;
    };
    rapidjson::Document stats = Json(Get("/api/v1/queue/stats").body);
    const rapidjson::Value& depth = stats["depth"];
    const rapidjson::Value& totals = stats["totals"];
    EXPECT_EQ(Int(depth, "pending"), db("", db::counters::kPending));
    EXPECT_EQ(Int(depth, "in_flight"), db("", db::counters::kInFlight));
    EXPECT_EQ(Int(depth, "retry_wait"), db("", db::counters::kRetryWait));
    EXPECT_EQ(Int(depth, "dead"), db("", db::counters::kDead));
    EXPECT_EQ(Int(totals, "received"), db("", db::counters::kReceived));
    EXPECT_EQ(Int(totals, "applied"), db("", db::counters::kApplied));
    EXPECT_EQ(Int(totals, "superseded"), db("", db::counters::kSuperseded));
    EXPECT_EQ(Int(totals, "duplicates"), db("", db::counters::kDuplicates));
    EXPECT_EQ(Int(totals, "nacked"), db("", db::counters::kNacked));
    EXPECT_EQ(Int(totals, "retries"), db("", db::counters::kRetries));
    EXPECT_EQ(Int(totals, "dead_lettered"), db("", db::counters::kDeadLettered));
    EXPECT_EQ(Int(stats["connections"], "websocket"), 3);

    rapidjson::Document status = Json(Get("/api/v1/sync/status/t1").body);
    EXPECT_EQ(Int(status, "pending"), db("t1", db::counters::kPending));
    EXPECT_EQ(Int(status, "in_flight"), db("t1", db::counters::kInFlight));
    EXPECT_EQ(Int(status, "dead"), db("t1", db::counters::kDead));
    EXPECT_EQ(Int(status, "queue_length"), db("t1", db::counters::kPending) +
                                               db("t1", db::counters::kInFlight) +
                                               db("t1", db::counters::kRetryWait));

    std::string metrics = Get("/metrics").body;
    auto sample = [&](const std::string& line) {
      return metrics.find("\n" + line + "\n") != std::string::npos;
    };
    EXPECT_TRUE(sample("syncd_entries_total{outcome=\"applied\"} " +
                       std::to_string(db("", db::counters::kApplied))))
        << metrics;
    EXPECT_TRUE(sample("syncd_received_total " + std::to_string(db("", db::counters::kReceived))));
    EXPECT_TRUE(
        sample("syncd_queue_depth{state=\"dead\"} " + std::to_string(db("", db::counters::kDead))));
  }

  test::TempDir temp_;  // first: removed after everything that uses it
  std::string dir_;
  HttpOptions http_options_;  // what Start() uses, but for port, body limit and openapi path
  db::FaultInjectingStore* faulty_ = nullptr;  // owned by pipeline_
  common::SystemClock clock_;
  test::FakeClock frozen_;  // for tests that move time themselves; outlives pipeline_
  std::unique_ptr<db::ReadStore> reads_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, HealthIsOkOnBothRoutes) {
  for (const char* route : {"/health", "/api/v1/websocket/health"}) {
    test::HttpReply r = Get(route);
    EXPECT_EQ(r.status, 200) << route;
    rapidjson::Document doc = Json(r.body);
    EXPECT_EQ(Str(doc, "status"), "ok");
    EXPECT_EQ(Str(doc, "database"), "ok");
    EXPECT_EQ(Str(doc, "websocket"), "up");
    EXPECT_EQ(Str(doc, "http"), "up");
  }
}

TEST_F(HttpServerTest, AppliedDuplicateSupersededAndConflictListed) {
  rapidjson::Document rs = Submit(Account("e1", "acc1", "Checking", kT0));
  ASSERT_EQ(rs.Size(), 1u);
  EXPECT_EQ(Str(rs[0], "id"), "e1");
  EXPECT_EQ(Str(rs[0], "status"), "processed");
  EXPECT_EQ(Str(rs[0], "outcome"), "applied");
  std::string checksum = Str(rs[0], "checksum");
  EXPECT_TRUE(std::regex_match(checksum, std::regex("[0-9a-f]{32}"))) << checksum;
  EXPECT_FALSE(rs[0].HasMember("duplicate"));

  rapidjson::Document entry = Json(Get("/api/v1/sync/entries/t1/e1").body);
  EXPECT_EQ(Str(entry, "state"), "done");
  EXPECT_GE(Int(entry, "attempts"), 1);
  EXPECT_TRUE(entry["last_error"].IsNull());
  EXPECT_TRUE(entry["next_attempt_at_ms"].IsNull());
  EXPECT_EQ(Str(entry["result"], "outcome"), "applied");
  EXPECT_EQ(Str(entry["result"], "checksum"), checksum);

  rs = Submit(Account("e1", "acc1", "Checking", kT0));  // resent
  EXPECT_EQ(Str(rs[0], "outcome"), "applied");
  EXPECT_TRUE(rs[0]["duplicate"].GetBool());
  EXPECT_EQ(Str(rs[0], "checksum"), checksum);

  rs = Submit(Account("e-old", "acc1", "Stale", kT0 - 1000, "t1", "update"));
  EXPECT_EQ(Str(rs[0], "status"), "processed");
  EXPECT_EQ(Str(rs[0], "outcome"), "superseded");

  rapidjson::Document conflicts = Json(Get("/api/v1/sync/conflicts/t1?limit=10").body);
  ASSERT_EQ(conflicts["conflicts"].Size(), 1u);
  const rapidjson::Value& c = conflicts["conflicts"][0];
  EXPECT_EQ(Str(c, "entry_id"), "e-old");
  EXPECT_EQ(Str(c, "entity_type"), "Account");
  EXPECT_EQ(Int(c, "incoming_version"), kT0 - 1000);
  EXPECT_EQ(Int(c, "stored_version"), kT0);
  EXPECT_EQ(Str(c, "stored_checksum"), checksum);
  EXPECT_EQ(Str(c, "resolution"), "server_wins");

  rapidjson::Document ds = Json(Get("/api/v1/sync/data-status/t1?entity_types=account").body);
  ASSERT_EQ(ds["entity_checksums"].MemberCount(), 1u);
  const rapidjson::Value& accounts = ds["entity_checksums"]["Account"];
  ASSERT_EQ(accounts.Size(), 1u);
  EXPECT_EQ(Str(accounts[0], "checksum"), checksum);
  EXPECT_EQ(Int(accounts[0], "last_modified"), kT0 / 1000);
  EXPECT_GT(Int(ds, "last_sync_time"), 0);
  EXPECT_EQ(Json(Get("/api/v1/sync/data-status/t1").body)["entity_checksums"].MemberCount(), 9u);
}

TEST_F(HttpServerTest, MixedBatchKeepsRequestOrder) {
  std::string bad = R"({"id":"e-bad","tenantId":"t1","entityType":"Account","entityId":"a9",)"
                    R"("operationType":"create","payload":{"name":"x"},"timestamp":1})";
  std::string no_tenant =
      R"({"id":"e-nt","entityType":"Tag","entityId":"x","operationType":"create",)"
      R"("payload":{"name":"x"},"timestamp":1})";
  rapidjson::Document rs = Submit(Account("m1", "a1", "A", kT0) + "," + bad + ",42," + no_tenant +
                                  "," + Account("m1", "a1", "A", kT0));
  ASSERT_EQ(rs.Size(), 5u);
  EXPECT_EQ(Str(rs[0], "outcome"), "applied");
  EXPECT_EQ(Str(rs[1], "id"), "e-bad");
  EXPECT_EQ(Str(rs[1], "reason"), "validation_error");
  EXPECT_TRUE(rs[1]["is_permanent"].GetBool());
  EXPECT_NE(Str(rs[1], "detail").find("accountGroupId"), std::string::npos);
  EXPECT_TRUE(rs[2]["id"].IsNull());
  EXPECT_EQ(Str(rs[2], "status"), "failed");
  EXPECT_EQ(Str(rs[3], "id"), "e-nt");
  EXPECT_EQ(Str(rs[3], "reason"), "validation_error");
  EXPECT_EQ(Str(rs[4], "outcome"), "applied");  // the same id twice in one request
  EXPECT_TRUE(rs[4]["duplicate"].GetBool());

  // A permanently refused id is remembered (protocol.md): its corrected
  // resend gets the same NACK marked duplicate and is not applied.
  rs = Submit(Account("e-bad", "a9", "x", kT0));
  ASSERT_EQ(rs.Size(), 1u);
  EXPECT_EQ(Str(rs[0], "status"), "failed");
  EXPECT_EQ(Str(rs[0], "reason"), "validation_error");
  EXPECT_NE(Str(rs[0], "detail").find("accountGroupId"), std::string::npos);
  ASSERT_TRUE(rs[0].HasMember("duplicate"));
  EXPECT_TRUE(rs[0]["duplicate"].GetBool());
}

TEST_F(HttpServerTest, WaitZeroAnswersAtOnceThenEntryFinishes) {
  rapidjson::Document rs = Submit(Account("w0", "a1", "A", kT0), 0);
  std::string status = Str(rs[0], "status");
  EXPECT_TRUE(status == "pending" || status == "processed") << status;
  rapidjson::Document entry = WaitForState("w0", "done");
  EXPECT_EQ(Str(entry, "state"), "done");
}

TEST_F(HttpServerTest, DeleteLeavesTombstoneAndDetectConflicts) {
  Submit(Account("d1", "acc1", "A", kT0) + "," + Account("d2", "acc2", "B", kT0));
  rapidjson::Document rs =
      Submit(R"({"id":"d3","tenantId":"t1","entityType":"Account","entityId":"acc2",)"
             R"("operationType":"delete","payload":null,"timestamp":)" +
             std::to_string(kT0 + 5) + "}");
  EXPECT_EQ(Str(rs[0], "outcome"), "applied");
  EXPECT_FALSE(rs[0].HasMember("checksum"));
  rapidjson::Document ds = Json(Get("/api/v1/sync/data-status/t1?entity_types=Account,Tag").body);
  EXPECT_EQ(ds["deleted_entities"]["Account"].Size(), 1u);
  EXPECT_EQ(ds["entity_checksums"]["Account"].Size(), 1u);

  test::HttpReply r =
      Post("/api/v1/sync/detect-conflicts",
           R"({"tenant_id":"t1","client_checksums":{"account":[)"
           R"({"entity_id":"acc1","checksum":"00","last_modified":5},)"
           R"({"entity_id":"acc2","checksum":"11"},{"entity_id":"acc7","checksum":"22"}]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document dc = Json(r.body);
  ASSERT_EQ(dc["conflicts"].Size(), 1u);
  EXPECT_EQ(Str(dc["conflicts"][0], "entity_id"), "acc1");
  EXPECT_EQ(Int(dc["conflicts"][0], "local_last_modified"), 5);
  EXPECT_EQ(Int(dc["conflicts"][0], "server_last_modified"), kT0 / 1000);
  ASSERT_EQ(dc["local_only"].Size(), 2u);  // acc2 is a tombstone, acc7 unknown
  EXPECT_EQ(dc["server_only"].Size(), 0u);
  ExpectError(Post("/api/v1/sync/detect-conflicts", R"({"tenant_id":"t1"})"), 400,
              "validation_error");
  ExpectError(Post("/api/v1/sync/detect-conflicts",
                   R"({"tenant_id":"t1","client_checksums":{"Bogus":[]}})"),
              400, "validation_error");
}

TEST_F(HttpServerTest, RequestErrors) {
  ExpectError(Post("/api/v1/sync/entries", R"({"entries":[)"), 400, "invalid_json");
  ExpectError(Post("/api/v1/sync/entries", R"({"entries":5})"), 400, "validation_error");
  ExpectError(Post("/api/v1/sync/entries?wait_ms=-1", R"({"entries":[]})"), 400,
              "validation_error");
  ExpectError(Post("/api/v1/sync/entries?wait_ms=abc", R"({"entries":[]})"), 400,
              "validation_error");
  std::string many;
  for (int i = 0; i <= 1000; ++i) many += std::string(i ? "," : "") + "{}";
  ExpectError(Post("/api/v1/sync/entries", Entries(many)), 400, "validation_error");
  ExpectError(Post("/api/v1/sync/entries", "entries=none", "text/plain"), 415,
              "unsupported_media_type");
  EXPECT_EQ(
      Post("/api/v1/sync/entries", R"({"entries":[]})", "application/json; charset=utf-8").status,
      200);
  EXPECT_EQ(Post("/api/v1/sync/entries", R"({"entries":[]})", "").status, 200);
  // Over max_body_bytes (64 KiB): JSON 413; far over it Pistache refuses
  // before reading it all, still with 413.
  ExpectError(Post("/api/v1/sync/entries", std::string(size_t{100} * 1024, ' ')), 413, "too_large");
  EXPECT_EQ(Post("/api/v1/sync/entries", std::string(size_t{4} * 1024 * 1024, ' ')).status, 413);
  ExpectError(Get("/api/v1/no-such-route"), 404, "not_found");
  ExpectError(Get("/api/v1/sync/entries/t1/nope"), 404, "not_found");
  test::HttpReply r = Post("/health", "{}");
  ExpectError(r, 405, "method_not_allowed");
  EXPECT_EQ(r.headers["allow"], "GET");
  ExpectError(Get("/api/v1/sync/conflicts/t1?limit=0"), 400, "validation_error");
  ExpectError(Get("/api/v1/sync/data-status/t1?entity_types=Bogus"), 400, "validation_error");
}

TEST_F(HttpServerTest, AcknowledgeErrors) {
  Submit(Account("a1", "acc1", "A", kT0));
  ExpectError(
      Post("/api/v1/sync/acknowledge", R"({"tenant_id":"t1","entry_id":"a1","action":"ack"})"), 409,
      "conflict");
  ExpectError(
      Post("/api/v1/sync/acknowledge", R"({"tenant_id":"t1","entry_id":"nope","action":"retry"})"),
      404, "not_found");
  ExpectError(
      Post("/api/v1/sync/acknowledge", R"({"tenant_id":"t1","entry_id":"a1","action":"explode"})"),
      400, "validation_error");
  ExpectError(Post("/api/v1/sync/acknowledge", "[1"), 400, "invalid_json");
}

TEST_F(HttpServerTest, DeadEntryAckedAsManualAndRetried) {
  Restart(/*apply_fail_rate=*/1.0);
  rapidjson::Document rs = Submit(Account("x1", "acc1", "A", kT0));
  EXPECT_EQ(Str(rs[0], "status"), "failed");
  EXPECT_EQ(Str(rs[0], "reason"), "system_error");
  EXPECT_FALSE(rs[0]["is_permanent"].GetBool());
  EXPECT_GT(Int(rs[0], "retry_after"), 0);
  rs = Submit(Account("x2", "acc2", "B", kT0));
  EXPECT_EQ(Str(rs[0], "reason"), "system_error");

  Restart();  // the database is healthy again; the dead entries stay dead
  rapidjson::Document entry = Json(Get("/api/v1/sync/entries/t1/x1").body);
  EXPECT_EQ(Str(entry, "state"), "dead");
  EXPECT_EQ(Str(entry["result"], "reason"), "system_error");
  rapidjson::Document status = Json(Get("/api/v1/sync/status/t1").body);
  EXPECT_EQ(Int(status, "dead"), 2);
  EXPECT_EQ(Int(status, "failed_entries_count"), 2);
  ExpectNumbersMatchDatabase();

  test::HttpReply r =
      Post("/api/v1/sync/acknowledge", R"({"tenant_id":"t1","entry_id":"x1","action":"ack"})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document ack = Json(r.body);
  EXPECT_TRUE(ack["success"].GetBool());
  EXPECT_EQ(Str(ack, "state"), "done");
  entry = Json(Get("/api/v1/sync/entries/t1/x1").body);
  EXPECT_EQ(Str(entry["result"], "outcome"), "manual");

  r = Post("/api/v1/sync/acknowledge", R"({"tenant_id":"t1","entry_id":"x2","action":"retry"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "state"), "pending");
  entry = WaitForState("x2", "done");
  EXPECT_EQ(Str(entry["result"], "outcome"), "applied");
  status = Json(Get("/api/v1/sync/status/t1").body);
  EXPECT_EQ(Int(status, "dead"), 0);
  EXPECT_EQ(Int(status, "failed_entries_count"), 0);
  ExpectNumbersMatchDatabase();
}

// An operator action reads every field with its length: before, entry_id
// "x\u0000ATTACKER" (or tenant_id "t1\u0000…") reached entry x of t1 through
// C strings, and action "ack\u0000" was "ack".
TEST_F(HttpServerTest, AcknowledgeRefusesIdsWithNulAndLeavesTheEntryAlone) {
  Restart(/*apply_fail_rate=*/1.0);
  EXPECT_EQ(Str(Submit(Account("x", "acc1", "A", kT0))[0], "reason"), "system_error");
  Restart();  // healthy again; x stays dead, so an ack would succeed
  ASSERT_EQ(Str(Json(Get("/api/v1/sync/entries/t1/x").body), "state"), "dead");

  const std::string ack = "/api/v1/sync/acknowledge";
  ExpectError(Post(ack, R"({"tenant_id":"t1","entry_id":"x\u0000ATTACKER","action":"ack"})"), 400,
              "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":"t1\u0000other","entry_id":"x","action":"ack"})"), 400,
              "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":"t1","entry_id":"x","action":"ack\u0000"})"), 400,
              "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":"t1","entry_id":"x","action":"ack","detail":7})"), 400,
              "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":"t1","entry_id":"x/y","action":"ack"})"), 400,
              "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":")" + std::string(129, 't') +
                            R"(","entry_id":"x","action":"ack"})"),
              400, "validation_error");
  ExpectError(Post(ack, R"({"entry_id":"x","action":"ack"})"), 400, "validation_error");
  ExpectError(Post(ack, R"({"tenant_id":1,"entry_id":"x","action":"ack"})"), 400,
              "validation_error");
  rapidjson::Document entry = Json(Get("/api/v1/sync/entries/t1/x").body);
  EXPECT_EQ(Str(entry, "state"), "dead");
  EXPECT_EQ(Str(entry["result"], "reason"), "system_error");

  test::HttpReply r = Post(ack, R"({"tenant_id":"t1","entry_id":"x","action":"ack"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "entry_id"), "x");
}

// Path parameters are strictly percent-decoded and must be identifiers.
TEST_F(HttpServerTest, PathParametersMustBeIdentifiers) {
  Submit(Account("x", "acc1", "A", kT0));
  for (const char* target :
       {"/api/v1/sync/status/%FF", "/api/v1/sync/status/a%2Fb", "/api/v1/sync/status/%zz",
        "/api/v1/sync/status/t%", "/api/v1/sync/status/a%00b", "/api/v1/sync/status/a%1Bb",
        "/api/v1/sync/status/%C2%9B", "/api/v1/sync/status/%ED%B0%80",
        "/api/v1/sync/data-status/%FF", "/api/v1/sync/conflicts/a%2Fb",
        "/api/v1/sync/entries/t1/x%00ATTACKER", "/api/v1/sync/entries/t1%00/x",
        "/api/v1/sync/entries/t1/x%zz", "/api/v1/sync/conflicts/t1?limit=%zz"}) {
    SCOPED_TRACE(target);
    ExpectError(Get(target), 400, "validation_error");
  }
  const std::string t128(128, 't');
  test::HttpReply r = Get("/api/v1/sync/status/" + t128);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "tenant_id"), t128);
  ExpectError(Get("/api/v1/sync/status/" + t128 + "t"), 400, "validation_error");
  r = Get("/api/v1/sync/status/a%20b");  // well-formed escapes still decode
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(Json(r.body), "tenant_id"), "a b");
  EXPECT_EQ(Get("/api/v1/sync/entries/t1/x").status, 200);
  EXPECT_EQ(Get("/api/v1/sync/entries/t%31/%78").status, 200);
}

TEST_F(HttpServerTest, BodyIdsMustBeIdentifiers) {
  const std::string id128(128, 'q');
  rapidjson::Document rs = Submit(
      R"({"id":"x\u0000A","tenantId":"t1","entityType":"Tag","entityId":"e","operationType":"create","payload":{"name":"t"},"timestamp":1},)"
      R"({"id":"y","tenantId":"t1\u0000","entityType":"Tag","entityId":"e","operationType":"create","payload":{"name":"t"},"timestamp":1},)"
      R"({"id":"z","tenantId":"","entityType":"Tag","entityId":"e","operationType":"create","payload":{"name":"t"},"timestamp":1},)" +
      Account(id128 + "q", "acc1", "A", kT0) + "," + Account(id128, "acc1", "A", kT0));
  ASSERT_EQ(rs.Size(), 5u);
  EXPECT_EQ(Str(rs[0], "reason"), "validation_error");
  EXPECT_EQ(Str(rs[0], "detail"), "id must not contain control characters");
  EXPECT_TRUE(rs[0]["id"].IsNull());  // the bad bytes are not echoed
  EXPECT_EQ(Str(rs[1], "detail"), "tenantId must not contain control characters");
  EXPECT_EQ(Str(rs[1], "id"), "y");
  EXPECT_EQ(Str(rs[2], "detail"), "tenantId must be 1-128 characters");
  EXPECT_EQ(Str(rs[3], "detail"), "id must be 1-128 characters");
  EXPECT_EQ(Str(rs[4], "status"), "processed");
  EXPECT_EQ(Str(rs[4], "id"), id128);

  ExpectError(
      Post("/api/v1/sync/detect-conflicts", R"({"tenant_id":"t1\u0000","client_checksums":{}})"),
      400, "validation_error");
  ExpectError(
      Post(
          "/api/v1/sync/detect-conflicts",
          R"({"tenant_id":"t1","client_checksums":{"Account":[{"entity_id":"a\u0000","checksum":"c"}]}})"),
      400, "validation_error");
  ExpectNumbersMatchDatabase();
}

// RapidJSON 1.1.0's full-precision parser crashed on this number.
constexpr char kCrashingNumber[] =
    "0.0000000000000000000000000000000000000000000000000000000000001e-300";

TEST_F(HttpServerTest, HostileNumbersInABodyAreHarmless) {
  rapidjson::Document rs = Submit(
      R"({"id":"n1","tenantId":"t1","entityType":"Transaction","entityId":"tx1","operationType":"create","payload":{"accountId":"a","date":"2025-01-01","amount":)" +
      std::string(kCrashingNumber) + R"(,"tiny":0e-324},"timestamp":1764130000000})");
  ASSERT_EQ(rs.Size(), 1u);
  EXPECT_EQ(Str(rs[0], "status"), "processed") << Str(rs[0], "detail");
  ExpectError(Post("/api/v1/sync/acknowledge",
                   std::string(R"({"tenant_id":"t1","x":)") + kCrashingNumber + "}"),
              400, "validation_error");
  ExpectError(Post("/api/v1/sync/entries", R"({"entries":[],"x":1e400})"), 400, "invalid_json");
  ExpectError(Post("/api/v1/sync/entries", R"({"entries":[],"x":100000000000000000000e300})"), 400,
              "invalid_json");
  EXPECT_EQ(Get("/health").status, 200);
  // Both numbers are stored as 0.0 (Python's float() reads them so too).
  rapidjson::Document conflicts = Json(
      Post(
          "/api/v1/sync/detect-conflicts",
          R"({"tenant_id":"t1","client_checksums":{"Transaction":[{"entity_id":"tx1","checksum":")" +
              domain::Md5Hex(
                  R"({"accountId":"a","amount":0.0,"date":"2025-01-01","id":"tx1","tiny":0.0,"updated_at":"2025-11-26T04:06:40.000Z"})") +
              R"("}]}})")
          .body);
  EXPECT_EQ(conflicts["conflicts"].Size(), 0u);
}

TEST_F(HttpServerTest, LoneSurrogatesInABodyAreInvalidJson) {
  for (const char* name : {R"(\ud800)", R"(\udc00)", R"(\ud800\u0041)"}) {
    SCOPED_TRACE(name);
    ExpectError(Post("/api/v1/sync/entries",
                     Entries(R"({"id":"s1","tenantId":"t1","entityType":"Tag","entityId":"e1",)"
                             R"("operationType":"create","payload":{"name":")" +
                             std::string(name) + R"("},"timestamp":1})")),
                400, "invalid_json");
  }
  rapidjson::Document rs =
      Submit(R"({"id":"s1","tenantId":"t1","entityType":"Tag","entityId":"e1",)"
             R"("operationType":"create","payload":{"name":"\ud83d\ude00"},"timestamp":1})");
  EXPECT_EQ(Str(rs[0], "status"), "processed");
}

TEST_F(HttpServerTest, StatsMatchDatabaseAfterWorkloadAndRestart) {
  Submit(Account("s1", "a1", "A", kT0) + "," + Account("s2", "a2", "B", kT0) + ",{}");
  Submit(Account("s1", "a1", "A", kT0));                         // duplicate
  Submit(Account("s3", "a1", "Old", kT0 - 10, "t1", "update"));  // superseded
  Submit(Account("s4", "a9", "Other", kT0, "t2"));               // another tenant
  ExpectNumbersMatchDatabase();
  rapidjson::Document stats = Json(Get("/api/v1/queue/stats").body);
  EXPECT_EQ(Int(stats["totals"], "applied"), 3);
  EXPECT_EQ(Int(stats["totals"], "superseded"), 1);
  EXPECT_EQ(Int(stats["totals"], "duplicates"), 1);
  EXPECT_GE(Int(stats["batches"], "count"), 1);
  rapidjson::Document status = Json(Get("/api/v1/sync/status/t1").body);
  EXPECT_EQ(Int(status, "queue_length"), 0);
  EXPECT_FALSE(status["sync_in_progress"].GetBool());
  EXPECT_GT(Int(status, "last_sync_time"), 0);
  EXPECT_EQ(Int(status, "oldest_pending_age_ms"), 0);

  Restart();
  ExpectNumbersMatchDatabase();
  stats = Json(Get("/api/v1/queue/stats").body);
  EXPECT_EQ(Int(stats["totals"], "applied"), 3);
  // The unreadable {} has no tenant: like every NACK it is counted, in the
  // global scope only.
  EXPECT_EQ(Int(stats["totals"], "received"), 6);
  EXPECT_EQ(Int(stats["totals"], "nacked"), 1);
}

TEST_F(HttpServerTest, MetricsAreWellFormedPrometheus) {
  Submit(Account("p1", "a1", "A", kT0));
  test::HttpReply r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"].rfind("text/plain", 0), 0u);
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+$)");
  size_t start = 0;
  int samples = 0;
  while (start < r.body.size()) {
    size_t eol = r.body.find('\n', start);
    std::string line = r.body.substr(start, eol - start);
    start = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 20);
  EXPECT_NE(r.body.find("# TYPE syncd_ack_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(r.body.find("syncd_ack_latency_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("syncd_ack_latency_seconds_count 1\n"), std::string::npos);
}

TEST_F(HttpServerTest, OpenApiDocumentIsServed) {
  test::HttpReply r = Get("/openapi.yaml");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/yaml");
  EXPECT_EQ(r.body.rfind("openapi: 3.", 0), 0u);
}

TEST_F(HttpServerTest, EveryRouteAnswers503AfterBeginShutdown) {
  server_->BeginShutdown();
  ExpectError(Get("/api/v1/queue/stats"), 503, "shutting_down");
  ExpectError(Post("/api/v1/sync/entries", Entries(Account("z", "a", "A", kT0))), 503,
              "shutting_down");
  ExpectError(Get("/api/v1/no-such-route"), 503, "shutting_down");
  test::HttpReply health = Get("/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(Str(Json(health.body), "status"), "shutting_down");
}

TEST_F(HttpServerTest, StopWakesWaitingRequests) {
  // Every apply fails and the clock stands still: the entry waits for a retry
  // that does not come.
  test::FakeClock frozen;
  Restart(/*apply_fail_rate=*/1.0, &frozen);
  std::thread client([&] {
    test::HttpReply r =
        Post("/api/v1/sync/entries?wait_ms=60000", Entries(Account("slow", "a", "A", kT0)));
    EXPECT_EQ(r.status, 200);
    rapidjson::Document doc = Json(r.body);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("results")) << r.body;
    EXPECT_EQ(Str(doc["results"][0], "status"), "pending") << r.body;
  });
  // The request waits once its entry is queued and has failed an apply (its
  // waiter is registered before the entry is submitted).
  auto failed_once = [&] {
    std::optional<db::QueueRow> row;
    return reads_->FindEntry("t1", "slow", &row).ok() && row &&
           row->state == common::EntryState::kRetryWait;
  };
  for (int i = 0; i < 3000 && !failed_once(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(failed_once()) << "the entry never failed an apply";
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();
  client.join();
  // Woken by Stop, not by its 60 s wait running out.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
  Stop();  // before `frozen` goes away
}

// --- Hardening (issue #8): CORS, malformed requests, connection limits, waits.

constexpr const char* kLocalPage = "http://localhost:3000";  // allowed by the default policy

std::string OriginHeader(const std::string& origin) { return "Origin: " + origin + "\r\n"; }

// accounts.md, CORS: the allowed origin is echoed, others get no CORS headers
// (the answer is still sent: the browser keeps it from the page).
TEST_F(HttpServerTest, CorsAnswersOnlyAllowedOrigins) {
  test::HttpReply ok =
      test::HttpRequest(server_->port(), "GET", "/health", "", "", OriginHeader(kLocalPage));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers["access-control-allow-origin"], kLocalPage);
  EXPECT_EQ(ok.headers["vary"], "Origin");

  test::HttpReply error = test::HttpRequest(server_->port(), "GET", "/api/v1/no-such-route", "", "",
                                            OriginHeader(kLocalPage));
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.headers["access-control-allow-origin"], kLocalPage);

  test::HttpReply foreign = test::HttpRequest(server_->port(), "GET", "/health", "", "",
                                              OriginHeader("https://evil.example"));
  EXPECT_EQ(foreign.status, 200);
  EXPECT_EQ(foreign.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(foreign.headers["vary"], "Origin");

  test::HttpReply no_origin = Get("/health");  // not a browser
  EXPECT_EQ(no_origin.status, 200);
  EXPECT_EQ(no_origin.headers.count("access-control-allow-origin"), 0u);
}

// Every route answers its preflight with its methods and the headers the
// frontend sends.
TEST_F(HttpServerTest, PreflightAnswersEveryRoute) {
  for (const std::string& route : HttpServer::Routes()) {
    std::string method = route.substr(0, route.find(' '));
    std::string path =
        std::regex_replace(route.substr(route.find(' ') + 1), std::regex("\\{[a-z_]+\\}"), "x");
    test::HttpReply r = test::HttpRequest(server_->port(), "OPTIONS", path, "", "",
                                          OriginHeader("http://127.0.0.1:5173") +
                                              "Access-Control-Request-Method: " + method + "\r\n");
    EXPECT_EQ(r.status, 204) << route;
    EXPECT_EQ(r.headers["access-control-allow-origin"], "http://127.0.0.1:5173") << route;
    EXPECT_NE(r.headers["access-control-allow-methods"].find(method), std::string::npos)
        << route << ": " << r.headers["access-control-allow-methods"];
    EXPECT_EQ(r.headers["access-control-allow-headers"],
              "Content-Type, Authorization, X-Tenant-Id, X-User-Id")
        << route;
    EXPECT_EQ(r.headers["vary"], "Origin") << route;
  }
  test::HttpReply foreign = test::HttpRequest(server_->port(), "OPTIONS", "/api/v1/sync/entries",
                                              "", "", OriginHeader("https://evil.example"));
  EXPECT_EQ(foreign.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(foreign.headers.count("access-control-allow-methods"), 0u);
  // Not a route: still 404.
  EXPECT_EQ(test::HttpRequest(server_->port(), "OPTIONS", "/nope", "", "").status, 404);
}

// A page on another site can send a simple POST (text/plain, no preflight):
// it must not change anything, whatever its Content-Type.
TEST_F(HttpServerTest, PostFromAnOriginNotAllowedIsRefused) {
  std::string body = Entries(Account("x1", "acc1", "A", kT0));
  for (const char* type : {"text/plain", "application/json"}) {
    test::HttpReply r = test::HttpRequest(server_->port(), "POST", "/api/v1/sync/entries?wait_ms=0",
                                          body, type, OriginHeader("https://evil.example"));
    ExpectError(r, 403, "forbidden_origin");
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  }
  ExpectError(test::HttpRequest(server_->port(), "POST", "/api/v1/sync/acknowledge",
                                R"({"tenant_id":"t1","entry_id":"x1","action":"ack"})",
                                "application/json", OriginHeader("null")),
              403, "forbidden_origin");
  ExpectError(Get("/api/v1/sync/entries/t1/x1"), 404, "not_found");  // nothing was written

  test::HttpReply allowed = test::HttpRequest(server_->port(), "POST", "/api/v1/sync/entries", body,
                                              "application/json", OriginHeader(kLocalPage));
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.headers["access-control-allow-origin"], kLocalPage);
}

TEST_F(HttpServerTest, AnyOriginAnswersStar) {
  std::string error;
  auto any = common::OriginPolicy::Parse("*", &error);
  ASSERT_TRUE(any) << error;
  http_options_.origins = *any;
  Restart();
  test::HttpReply r = test::HttpRequest(
      server_->port(), "POST", "/api/v1/sync/entries", Entries(Account("s1", "acc1", "A", kT0)),
      "application/json", OriginHeader("https://elsewhere.example"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["access-control-allow-origin"], "*");
  EXPECT_EQ(r.headers["vary"], "Origin");
}

// What Pistache answered itself in plain text with C++ exception texts is now
// the JSON error of service.md, and the connection is closed.
TEST_F(HttpServerTest, MalformedRequestsGetJsonErrors) {
  struct Case {
    std::string head;
    int status;
    const char* code;
  };
  const std::string post =
      "POST /api/v1/sync/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  const std::vector<Case> cases = {
      {post + "Content-Length: -1\r\n\r\n{}", 400, "bad_request"},
      {post + "Content-Length: 99999999999999999999999\r\n\r\n{}", 400, "bad_request"},
      {post + "Content-Length: 1000000000\r\n\r\n{}", 413, "too_large"},  // refused before it comes
      {"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"GET /health HTTP/7.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
  };
  for (const Case& c : cases) {
    bool closed = false;
    test::HttpReply r = test::RawExchange(server_->port(), c.head, &closed);
    SCOPED_TRACE(c.head);
    ExpectError(r, c.status, c.code);
    for (const char* leak : {"basic_string", "stoull", "_M_", "exception"}) {
      EXPECT_EQ(r.body.find(leak), std::string::npos) << r.body;
    }
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(HttpServerTest, OversizeBodiesGetJson413) {
  const std::string big(size_t{300} * 1024, 'x');  // the test server takes 64 KiB
  std::string head =
      "POST /api/v1/sync/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  bool closed = false;
  test::HttpReply declared = test::RawExchange(
      server_->port(), head + "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big,
      &closed);
  ExpectError(declared, 413, "too_large");
  EXPECT_TRUE(closed);

  // Chunked bodies are refused before Pistache's chunk parser reads them
  // (it over-reads its buffer: ASan's report in the sanitizer build).
  std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < big.size(); i += 8192)
    chunked += "2000\r\n" + big.substr(i, 8192) + "\r\n";
  chunked += "0\r\n\r\n";
  test::HttpReply streamed = test::RawExchange(server_->port(), chunked, &closed);
  ExpectError(streamed, 411, "length_required");
  EXPECT_EQ(Get("/health").status, 200);
}

// A small chunked request, and one whose header is split across two writes:
// both refused with 411 (no chunk ever reaches Pistache's parser); a
// Content-Length request whose body mentions the header is served.
TEST_F(HttpServerTest, ChunkedRequestBodiesAreRefusedWith411) {
  const std::string head =
      "POST /api/v1/sync/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  bool closed = false;
  test::HttpReply small = test::RawExchange(
      server_->port(), head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\"}\r\n0\r\n\r\n",
      &closed);
  ExpectError(small, 411, "length_required");
  EXPECT_TRUE(closed);

  int fd = test::Connect(server_->port());
  ASSERT_GE(fd, 0);
  const std::string first = head + "Transfer-Enc";
  const std::string second = "oding: chunked\r\n\r\n5\r\n";
  ASSERT_EQ(::send(fd, first.data(), first.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(first.size()));
  ASSERT_EQ(::send(fd, second.data(), second.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(second.size()));
  ExpectError(test::ReadReply(fd), 411, "length_required");
  ::close(fd);

  const std::string body = R"({"entries":[],"note":"Transfer-Encoding: chunked"})";
  test::HttpReply served = test::RawExchange(
      server_->port(), head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
      &closed);
  EXPECT_NE(served.status, 411) << served.body;
}

// A refused client that keeps sending does not keep its connection (and its
// place): the server stops reading it shortly after its answer.
TEST_F(HttpServerTest, ARefusedClientThatKeepsSendingIsCutOff) {
  int fd = test::Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string head =
      "POST /api/v1/sync/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  ExpectError(test::ReadReply(fd), 413, "too_large");
  const std::string chunk(1024, 'x');
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {  // 10 s at most
    cut = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(cut);
  ::close(fd);
}

// --max-connections: the one past the cap gets a JSON 503 and is closed; the
// places come back when the others close.
TEST_F(HttpServerTest, ConnectionsPastTheCapAreRefused) {
  http_options_.max_connections = 3;
  Restart();
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    int fd = test::Connect(server_->port());
    ASSERT_GE(fd, 0);
    // An answer on it proves the connection holds a place.
    std::string req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    ASSERT_EQ(test::ReadReply(fd).status, 200);
    held.push_back(fd);
  }
  int extra = test::Connect(server_->port());
  ASSERT_GE(extra, 0);
  test::HttpReply refused = test::ReadReply(extra);
  ExpectError(refused, 503, "too_many_connections");
  EXPECT_TRUE(test::ClosedWithin(extra, 2000));
  ::close(extra);

  for (int fd : held) ::close(fd);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = Get("/health").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

// A connection that never sends its headers (or sends half) gets the JSON 408
// after --http-header-timeout-ms and is closed, and its place is free again.
TEST_F(HttpServerTest, HalfOpenConnectionsTimeOut) {
  http_options_.header_timeout_ms = 500;
  http_options_.max_connections = 2;
  Restart();
  int silent = test::Connect(server_->port());
  int partial = test::Connect(server_->port());
  ASSERT_GE(silent, 0);
  ASSERT_GE(partial, 0);
  std::string half = "GET /health HTTP/1.1\r\nHost: x\r\n";
  ASSERT_GT(::send(partial, half.data(), half.size(), MSG_NOSIGNAL), 0);
  for (int fd : {silent, partial}) {
    ExpectError(test::ReadReply(fd), 408, "request_timeout");
    EXPECT_TRUE(test::ClosedWithin(fd, 5000));
  }
  ::close(silent);
  ::close(partial);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = Get("/health").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

// The header timeout counts from a request's first byte on a kept-alive
// connection too.
TEST_F(HttpServerTest, ASecondRequestThatStallsTimesOut) {
  http_options_.header_timeout_ms = 500;
  Restart();
  int fd = test::Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string whole = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
  ASSERT_EQ(::send(fd, whole.data(), whole.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(whole.size()));
  EXPECT_EQ(test::ReadReply(fd).status, 200);
  std::string half = "GET /health HTTP/1.1\r\nHost: x\r\n";
  ASSERT_GT(::send(fd, half.data(), half.size(), MSG_NOSIGNAL), 0);
  ExpectError(test::ReadReply(fd), 408, "request_timeout");
  EXPECT_TRUE(test::ClosedWithin(fd, 5000));
  ::close(fd);
}

// An idle keep-alive connection is closed after the keep-alive timeout.
TEST_F(HttpServerTest, IdleKeepAliveConnectionsAreClosed) {
  http_options_.keepalive_timeout_ms = 500;
  Restart();
  int fd = test::Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  EXPECT_EQ(test::ReadReply(fd).status, 200);
  EXPECT_TRUE(test::ClosedWithin(fd, 5000));
  ::close(fd);
}

// More requests waiting for a stalled pipeline than the server has threads:
// health and stats still answer at once (before any of them completes), and
// each completes with its entry's result when the pipeline gets to it.
TEST_F(HttpServerTest, WaitingRequestsDoNotHoldServerThreads) {
  // Every apply fails and the clock stands still: the entries wait for a
  // retry that comes only when the test moves the clock.
  Restart(/*apply_fail_rate=*/1.0, &frozen_);
  constexpr int kWaiting = 4;  // the server has 2 threads
  std::vector<std::future<test::HttpReply>> posts;
  posts.reserve(kWaiting);
  for (int i = 0; i < kWaiting; ++i) {
    posts.push_back(std::async(std::launch::async, [this, i] {
      std::string id = "w" + std::to_string(i);
      return Post("/api/v1/sync/entries?wait_ms=30000",
                  Entries(Account(id, "acc-" + id, "A", kT0)));
    }));
  }
  // Until each entry failed once and waits for its retry.
  int64_t retry_wait = 0;
  for (int i = 0; i < 500 && retry_wait < kWaiting; ++i) {
    retry_wait = Int(Json(Get("/api/v1/queue/stats").body)["depth"], "retry_wait");
    if (retry_wait < kWaiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(retry_wait, kWaiting);
  test::HttpReply health = Get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Get("/api/v1/sync/status/t1").status, 200);
  for (auto& post : posts) {
    EXPECT_NE(post.wait_for(std::chrono::seconds(0)), std::future_status::ready)
        << "a waiting request completed before health answered";
  }
  // Let the retries come: they fail until the last attempt dead-letters each
  // entry, whose NACK answers its request.
  for (int i = 0; i < 400; ++i) {
    bool all = true;
    for (auto& post : posts)
      all = all && post.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    if (all) break;
    frozen_.Advance(10000);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int i = 0; i < kWaiting; ++i) {
    ASSERT_EQ(posts[i].wait_for(std::chrono::seconds(5)), std::future_status::ready);
    test::HttpReply r = posts[i].get();
    EXPECT_EQ(r.status, 200) << r.body;
    rapidjson::Document doc = Json(r.body);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("results")) << r.body;
    EXPECT_EQ(Str(doc["results"][0], "id"), "w" + std::to_string(i));
    EXPECT_EQ(Str(doc["results"][0], "status"), "failed") << r.body;
    EXPECT_EQ(Str(doc["results"][0], "reason"), "system_error") << r.body;
  }
  Stop();
}

// A client that leaves before its deferred answer: the answer goes nowhere,
// the server carries on, and Stop() does not wait for it.
TEST_F(HttpServerTest, AClientThatLeavesBeforeItsAnswerDisturbsNobody) {
  Restart(/*apply_fail_rate=*/1.0, &frozen_);
  for (int i = 0; i < 3; ++i) {
    int fd = test::Connect(server_->port());
    ASSERT_GE(fd, 0);
    std::string body = Entries(Account("gone" + std::to_string(i), "acc-g", "A", kT0));
    std::string req =
        "POST /api/v1/sync/entries?wait_ms=300 HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    ::close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past every wait_ms
  EXPECT_EQ(Get("/health").status, 200);
  auto t0 = std::chrono::steady_clock::now();
  Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// A 500 says only "internal error"; the detail (a database text) is logged.
TEST(ErrorResponseTest, InternalErrorsDoNotCarryTheirDetail) {
  ApiResponse r = ErrorResponse(ApiError::kInternal, "database: disk I/O error at page 7");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":{"code":"internal_error","message":"internal error"}})");
}

}  // namespace
}  // namespace syncd::api
