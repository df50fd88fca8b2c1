// The frame handlers over a fake ReplySink and a real pipeline (SQLite file
// behind the FaultInjectingStore, fake clock, worker driven step by step),
// as a client would see them: the reply to each frame, the entry reaching
// the queue and its result coming back through the ResultRouter.
#include "frame_handlers.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/fake_clock.h"
#include "syncd/db/account_store.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/sqlite_store.h"

namespace syncd::ws {
namespace {

constexpr char kTenant[] = "tenant-1";

// Everything a connection would have been sent; reads run at once.
class FakeSink final : public ReplySink {
 public:
  bool Send(const std::string& json) override {
    sent.push_back(json);
    return true;
  }
  void StartRead(const std::string&, const char* kind, std::function<ReadAnswer()> read) override {
    reads.push_back(kind);
    ReadAnswer answer = read();
    sent.insert(sent.end(), answer->begin(), answer->end());
  }
  void Close(const std::string& reason) override { closed = reason; }
  bool Healthy() override { return true; }
  int64_t HealthyConnections() override { return 1; }

  std::string Last() const { return sent.empty() ? std::string() : sent.back(); }
  std::vector<std::string> sent;
  std::vector<std::string> reads;
  std::string closed;
};

// Collects the pipeline's deliveries to route them by hand.
class CapturingSink final : public pipeline::ResultSink {
 public:
  void Deliver(pipeline::Deliveries deliveries) override {
    std::lock_guard<std::mutex> lock(mu);
    all.insert(all.end(), deliveries->begin(), deliveries->end());
  }
  std::mutex mu;
  std::vector<pipeline::Delivery> all;
};

class SinkSender final : public ConnectionSender {
 public:
  explicit SinkSender(FakeSink* sink) : sink_(sink) {}
  bool Send(uint64_t, const std::string& json) override { return sink_->Send(json); }

 private:
  FakeSink* sink_;
};

std::string Entry(const std::string& id) {
  return R"({"id":")" + id + R"(","tenantId":")" + std::string(kTenant) +
         R"(","entityType":"Account","entityId":"a-1","operationType":"create",)"
         R"("payload":{"name":"Cash","accountGroupId":"g-1"},"timestamp":1764130000000})";
}

std::string EntryFrame(const std::string& id) {
  return R"({"type":"process_sync_entry","payload":)" + Entry(id) + "}";
}

// A ReadStore that runs `between` after each GetChangePosition: a pause
// between the position a load checks a cursor against and its read.
class PausingReadStore final : public db::ReadStore {
 public:
  PausingReadStore(db::ReadStore* inner, std::function<void()> between)
      : inner_(inner), between_(std::move(between)) {}
  common::Status ListEntities(std::string_view t, const std::vector<domain::EntityType>& types,
                              bool deleted, std::vector<db::StoredEntity>* out) override {
    return inner_->ListEntities(t, types, deleted, out);
  }
  common::Status FindEntry(std::string_view t, std::string_view id,
                           std::optional<db::QueueRow>* row) override {
    return inner_->FindEntry(t, id, row);
  }
  common::Status ListConflicts(std::string_view t, int limit,
                               std::vector<db::ConflictRecord>* out) override {
    return inner_->ListConflicts(t, limit, out);
  }
  common::Status GetCheckpoint(std::string_view t, std::optional<db::Checkpoint>* out) override {
    return inner_->GetCheckpoint(t, out);
  }
  common::Status GetChangePosition(std::string_view t, db::ChangePosition* out) override {
    common::Status s = inner_->GetChangePosition(t, out);
    if (between_) between_();
    return s;
  }
  common::Status ReadLoad(std::string_view t, int64_t since, db::ChangePosition* at,
                          const db::LoadVisitor& visit) override {
    return inner_->ReadLoad(t, since, at, visit);
  }
  common::Status OldestUnfinished(std::string_view t, std::optional<int64_t>* out) override {
    return inner_->OldestUnfinished(t, out);
  }
  common::Status LoadCounters(db::CounterMap* counters) override {
    return inner_->LoadCounters(counters);
  }
  common::Status Ping() override { return inner_->Ping(); }

 private:
  db::ReadStore* inner_;
  std::function<void()> between_;
};

std::string AccountEntryFrame(const std::string& id, const std::string& entity) {
  return R"({"type":"process_sync_entry","payload":{"id":")" + id + R"(","tenantId":")" +
         std::string(kTenant) + R"(","entityType":"Account","entityId":")" + entity +
         R"(","operationType":"create","payload":{"name":"Cash","accountGroupId":"g-1"},)"
         R"("timestamp":1764130000000}})";
}

class FrameHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "syncd-ws-frames-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db_options_.path = (dir_ / "syncd.db").string();
    MakePipeline(pipeline::PipelineOptions{});
  }
  void TearDown() override {
    pipeline_.reset();
    reads_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void MakePipeline(pipeline::PipelineOptions options) {
    pipeline_.reset();
    common::Status s;
    std::unique_ptr<db::WriteStore> inner = db::OpenSqliteWriteStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    pipeline_ = std::make_unique<pipeline::Pipeline>(
        std::make_unique<db::FaultInjectingStore>(std::move(inner)), options, &clock_);
    pipeline_->AddSink(&results_);
    ASSERT_TRUE(pipeline_->RecoverForTest().ok());
    reads_ = db::OpenSqliteReadStore(db_options_, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    services_.pipeline = pipeline_.get();
    services_.router = &router_;
    services_.reads = reads_.get();
    services_.clock = &clock_;
    router_.Open(1, kTenant);
  }

  FrameContext Ctx() const {
    FrameContext ctx;
    ctx.connection = 1;
    ctx.tenant = kTenant;
    ctx.received_us = common::MonotonicMicros();
    ctx.services = &services_;
    return ctx;
  }
  std::string Reply(const std::string& frame) {
    HandleFrame(Ctx(), frame, sink_);
    return sink_.Last();
  }
  void Drain() {
    for (int i = 0; i < 1000 && pipeline_->RunOnceForTest(); ++i) {
    }
  }

  std::filesystem::path dir_;
  db::SqliteOptions db_options_;
  test::FakeClock clock_;
  CapturingSink results_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<db::ReadStore> reads_;
  ResultRouter router_{nullptr};
  FrameServices services_;
  FakeSink sink_;
};

TEST_F(FrameHandlersTest, PingEchoesItsTimestamp) {
  EXPECT_EQ(Reply(R"({"type":"ping","timestamp":12.5})"), R"({"type":"pong","timestamp":12.5})");
  EXPECT_EQ(Reply(R"({"type":"ping"})"), R"({"type":"pong"})");
}

TEST_F(FrameHandlersTest, UnknownTypeNamesIt) {
  EXPECT_EQ(Reply(R"({"type":"dance"})"),
            R"({"type":"error","code":"unknown_type","message":"unknown message type",)"
            R"("original_type":"dance"})");
}

TEST_F(FrameHandlersTest, InvalidJsonAndNonObjectsAreRefused) {
  EXPECT_NE(Reply("{not json").find(R"("code":"invalid_json")"), std::string::npos);
  EXPECT_NE(Reply("[1]").find(R"("code":"invalid_message")"), std::string::npos);
  EXPECT_NE(Reply(R"({"type":1})").find(R"("code":"invalid_message")"), std::string::npos);
}

TEST_F(FrameHandlersTest, ForeignTenantIdIsAPermissionErrorAndNothingElse) {
  std::string frame =
      R"({"type":"process_sync_entry","tenant_id":"someone-else","payload":)" + Entry("e1") + "}";
  EXPECT_NE(Reply(frame).find(R"("code":"permission_error")"), std::string::npos);
  EXPECT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(pipeline_->GlobalCounts().pending, 0);
}

TEST_F(FrameHandlersTest, BatchOverAThousandIsTooLarge) {
  std::string frame = R"({"type":"process_sync_batch","entries":[)";
  for (int i = 0; i <= 1000; ++i) frame += (i == 0 ? "" : ",") + std::string("{}");
  frame += "]}";
  EXPECT_EQ(Reply(frame), R"({"type":"error","code":"too_large",)"
                          R"("message":"process_sync_batch takes at most 1000 entries"})");
}

TEST_F(FrameHandlersTest, AValidEntryReachesThePipelineAndIsAckedThroughTheRouter) {
  HandleFrame(Ctx(), EntryFrame("e1"), sink_);
  EXPECT_TRUE(sink_.sent.empty());  // the answer comes with the result
  Drain();
  ASSERT_EQ(results_.all.size(), 1u);
  SinkSender sender(&sink_);
  router_.Route(results_.all, clock_.NowMs(), sender);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_NE(sink_.Last().find(R"("type":"sync_ack","id":"e1")"), std::string::npos);
}

// The same id twice in one batch is applied once and answered once per
// send: the second answer is marked duplicate, as a resend's would be.
TEST_F(FrameHandlersTest, AnIdTwiceInOneBatchGetsTwoAnswersTheSecondMarkedDuplicate) {
  HandleFrame(
      Ctx(), R"({"type":"process_sync_batch","entries":[)" + Entry("e1") + "," + Entry("e1") + "]}",
      sink_);
  EXPECT_TRUE(sink_.sent.empty());
  Drain();
  SinkSender sender(&sink_);
  router_.Route(results_.all, clock_.NowMs(), sender);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_NE(sink_.sent[0].find(R"("type":"sync_ack","id":"e1")"), std::string::npos);
  EXPECT_EQ(sink_.sent[0].find("duplicate"), std::string::npos) << sink_.sent[0];
  EXPECT_NE(sink_.sent[1].find(R"("type":"sync_ack","id":"e1")"), std::string::npos);
  ASSERT_NE(sink_.sent[1].find(R"("duplicate":true)"), std::string::npos) << sink_.sent[1];
  // Otherwise the same answer.
  std::string second = sink_.sent[1];
  second.erase(second.find(R"(,"duplicate":true)"), std::string(R"(,"duplicate":true)").size());
  EXPECT_EQ(second, sink_.sent[0]);
}

TEST_F(FrameHandlersTest, AnInvalidEntryWithoutAnIdIsNackedAtOnce) {
  std::string reply = Reply(R"({"type":"process_sync_entry","payload":{"entityId":"a-1"}})");
  EXPECT_NE(reply.find(R"("type":"sync_nack","status":"failed","entityId":"a-1")"),
            std::string::npos)
      << reply;
  EXPECT_NE(reply.find(R"("reason":"validation_error")"), std::string::npos);
  Drain();
  EXPECT_TRUE(results_.all.empty());  // nothing to remember it by
}

// protocol.md: a permanently refused id is remembered; its resend, valid
// or not, gets the same NACK marked duplicate.
TEST_F(FrameHandlersTest, AnInvalidEntryIsNackedOnceDurableAndItsResendIsADuplicate) {
  const std::string invalid =
      R"({"type":"process_sync_entry","payload":{"id":"e1","entityType":"Nope"}})";
  HandleFrame(Ctx(), invalid, sink_);
  EXPECT_TRUE(sink_.sent.empty());  // answered once it is remembered
  Drain();
  SinkSender sender(&sink_);
  router_.Route(results_.all, clock_.NowMs(), sender);
  ASSERT_EQ(sink_.sent.size(), 1u);
  const std::string first = sink_.Last();
  EXPECT_NE(first.find(R"("type":"sync_nack","id":"e1","status":"failed","entityType":"Nope")"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find(R"("reason":"validation_error")"), std::string::npos);
  EXPECT_EQ(first.find("duplicate"), std::string::npos);

  // The same invalid entry, then a valid one with that id: both duplicates.
  for (const std::string& frame : {invalid, EntryFrame("e1")}) {
    results_.all.clear();
    HandleFrame(Ctx(), frame, sink_);
    Drain();
    router_.Route(results_.all, clock_.NowMs(), sender);
    ASSERT_EQ(sink_.sent.size(), 2u) << frame;
    EXPECT_EQ(sink_.Last(), first.substr(0, first.size() - 1) + R"(,"duplicate":true})");
    sink_.sent.pop_back();
  }
  EXPECT_EQ(pipeline_->GlobalCounts().applied, 0);  // the valid resend was not applied
  EXPECT_EQ(pipeline_->GlobalCounts().nacked, 1);
  EXPECT_EQ(pipeline_->GlobalCounts().duplicates, 2);
}

TEST_F(FrameHandlersTest, AnEntryRefusedWhileStoppingIsNackedAndNotWaitedFor) {
  pipeline_->Stop(0);
  std::string reply = Reply(EntryFrame("e1"));
  EXPECT_NE(reply.find(R"("type":"sync_nack","id":"e1")"), std::string::npos);
  EXPECT_NE(reply.find(R"("reason":"system_error","detail":"server shutting down")"),
            std::string::npos);
  // Its waiter is gone: a later result for the same id is no ack to it.
  pipeline::Delivery d;
  d.tenant_id = kTenant;
  d.entry_id = "e1";
  d.result.acked = true;
  SinkSender sender(&sink_);
  router_.Route({d}, clock_.NowMs(), sender);
  EXPECT_EQ(sink_.sent.size(), 1u);
}

TEST_F(FrameHandlersTest, AnEntryRefusedByAFullQueueIsARateLimitNack) {
  pipeline::PipelineOptions options;
  options.queue_max = 0;
  MakePipeline(options);
  // Past the queue limit the pipeline still takes a bounded number of
  // entries (answered later); beyond that they are refused at once.
  std::string entries;
  for (int i = 0; i < 1000; ++i) entries += (i == 0 ? "" : ",") + Entry("e" + std::to_string(i));
  for (int i = 0; i < 5 && sink_.sent.empty(); ++i) {
    HandleFrame(Ctx(), R"({"type":"process_sync_batch","entries":[)" + entries + "]}", sink_);
  }
  ASSERT_FALSE(sink_.sent.empty());
  EXPECT_NE(sink_.sent.front().find(R"("type":"sync_nack")"), std::string::npos);
  EXPECT_NE(sink_.sent.front().find(R"("reason":"rate_limit_error")"), std::string::npos);
}

TEST_F(FrameHandlersTest, InitialDataRunsAsARead) {
  std::string reply = Reply(R"({"type":"request_initial_data"})");
  EXPECT_EQ(sink_.reads, std::vector<std::string>{"initial_data"});
  EXPECT_NE(reply.find(R"("type":"initial_data_load","event_type":"initial_data_load")"),
            std::string::npos);
}

// A tenant reset between the load's check of the cursor and its read, then
// a write: the snapshot read is of a new epoch, and "written after the
// cursor" means nothing there. The answer is a full load of what the tenant
// holds now, never a partial one against the other epoch.
TEST_F(FrameHandlersTest, ACursorWhoseEpochEndsDuringTheLoadGetsAFullLoad) {
  FakeSink writes;
  HandleFrame(Ctx(), AccountEntryFrame("e-1", "a-1"), writes);
  Drain();
  rapidjson::Document first;
  first.Parse(Reply(R"({"type":"request_initial_data"})").c_str());
  ASSERT_TRUE(first.IsObject() && first.HasMember("cursor"));
  const std::string cursor = first["cursor"].GetString();
  HandleFrame(Ctx(), AccountEntryFrame("e-2", "a-2"), writes);
  HandleFrame(Ctx(), AccountEntryFrame("e-3", "a-3"), writes);
  Drain();

  bool paused = false;
  PausingReadStore pausing(reads_.get(), [&] {
    if (paused) return;
    paused = true;
    // The reset as the REST route runs it: on the pipeline's worker.
    std::future<pipeline::OperatorResult> reset =
        pipeline_->PurgeTenant(kTenant, /*remove_tenant=*/false);
    Drain();
    ASSERT_EQ(reset.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    pipeline::OperatorResult r = reset.get();
    ASSERT_EQ(r.code, pipeline::OperatorResult::Code::kOk) << r.message;
    ASSERT_TRUE(r.purged.has_value());
    HandleFrame(Ctx(), AccountEntryFrame("e-4", "a-4"), writes);
    Drain();
  });
  services_.reads = &pausing;
  rapidjson::Document load;
  load.Parse(Reply(R"({"type":"request_initial_data","since":")" + cursor + R"("})").c_str());
  services_.reads = reads_.get();
  ASSERT_TRUE(paused);
  ASSERT_TRUE(load.IsObject() && load.HasMember("full") && load.HasMember("payload"));
  EXPECT_TRUE(load["full"].IsTrue());
  const rapidjson::Value& listed = load["payload"]["accounts"];
  ASSERT_TRUE(listed.IsArray());
  ASSERT_EQ(listed.Size(), 1u);
  EXPECT_STREQ(listed[0]["id"].GetString(), "a-4");
  EXPECT_NE(std::string(load["cursor"].GetString()), cursor);
}

TEST_F(FrameHandlersTest, DataStatusChecksTypesAndNeedsABody) {
  EXPECT_NE(Reply(R"({"type":"data_status_request","entity_types":["Nope"]})")
                .find("entity_types names an unknown entity type"),
            std::string::npos);
  EXPECT_NE(Reply(R"({"type":"data_status_request"})").find("data status is not available"),
            std::string::npos);
  services_.data_status_body = [](const std::string& tenant,
                                  const std::vector<domain::EntityType>& types) {
    return tenant + ":" + std::to_string(types.size());
  };
  EXPECT_EQ(Reply(R"({"type":"request_data_status","entity_types":["Account","Account"]})"),
            "tenant-1:1");
}

TEST_F(FrameHandlersTest, ConnectionStatusAndTenantDisconnect) {
  EXPECT_EQ(Reply(R"({"type":"connection_status_request"})"),
            R"({"type":"connection_status_response","tenant_id":"tenant-1",)"
            R"("backend_status":"online","connection_healthy":true,)"
            R"("stats":{"total_connections":1,"healthy_connections":1,"tenant_count":1}})");
  EXPECT_NE(Reply(R"({"type":"tenant_disconnect"})").find(R"("type":"tenant_disconnect_ack")"),
            std::string::npos);
  EXPECT_EQ(sink_.closed, "tenant disconnect");
}

}  // namespace
}  // namespace syncd::ws
