// End-to-end, two and three instances on one PostgreSQL database (scale.md
// 1 and 4): what one instance finishes reaches the connections of the
// others, announced with NOTIFY and read back from the queue.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

using test::Millis;

std::string Text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// Two Apps (a and b) on one fresh database.
class MultiInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override { SYNCD_POSTGRES_DATABASE_OR_SKIP(url_); }
  void TearDown() override {
    clients_.clear();
    a_.reset();
    b_.reset();
    c_.reset();
    test::DropPostgresDatabase(url_);
  }

  static app::Options Options(const std::string& url, const std::string& id) {
    app::Options o;
    o.host = "127.0.0.1";
    o.ws_port = 0;
    o.http_port = 0;
    o.db = url;
    o.instance_id = id;
    o.heartbeat_ms = 100;
    o.instance_timeout_ms = 2000;
    return o;
  }
  std::unique_ptr<app::App> Start(const app::Options& options) {
    common::Status status;
    auto app = app::App::Create(options, &status);
    EXPECT_NE(app, nullptr) << status.message();
    if (!app) return nullptr;
    status = app->Start();
    EXPECT_TRUE(status.ok()) << status.message();
    return app;
  }
  test::WsClient* Open(const app::App& app, const std::string& tenant) {
    auto client = std::make_unique<test::WsClient>();
    std::string url = "ws://127.0.0.1:" + std::to_string(app.ws_port()) + "/ws/" + tenant;
    if (!test::ConnectOnline(*client, url)) {
      ADD_FAILURE() << "cannot connect to " << url;
      return nullptr;
    }
    clients_.push_back(std::move(client));
    return clients_.back().get();
  }
  static std::optional<rapidjson::Document> WaitFor(test::WsClient* c, const std::string& type,
                                                    const std::string& id) {
    std::optional<std::string> frame = c->WaitFor(
        [&](const rapidjson::Document& d) {
          return test::GetString(d, "type") == type &&
                 (test::GetString(d, "id") == id || test::GetString(d, "source_entry_id") == id);
        },
        Millis(10000));
    if (!frame) return std::nullopt;
    return test::ParseJson(*frame);
  }
  // Nothing of `type` arrived on `c` before the answer to a ping.
  static bool NothingOfType(test::WsClient* c, const std::string& type) {
    std::vector<std::string> before;
    if (!test::FlushWithPing(c, &before)) return false;
    for (const std::string& f : before) {
      if (test::GetString(test::ParseJson(f), "type") == type) return false;
    }
    return true;
  }

  std::string url_;
  std::unique_ptr<app::App> a_, b_, c_;
  std::vector<std::unique_ptr<test::WsClient>> clients_;
};

TEST_F(MultiInstanceTest, AChangeAppliedOnOneInstanceReachesTheTenantsConnectionsOnTheOther) {
  a_ = Start(Options(url_, "a"));
  b_ = Start(Options(url_, "b"));
  ASSERT_TRUE(a_ && b_);
  test::WsClient* sender = Open(*a_, "t1");
  test::WsClient* peer = Open(*b_, "t1");
  test::WsClient* other_tenant = Open(*b_, "t2");
  ASSERT_TRUE(sender && peer && other_tenant);

  ASSERT_TRUE(sender->Send(
      test::AccountEntryJson("t1", "e-1", "acc-1", "create", "Cash", "g", 1, 1764130000000LL)));
  std::optional<rapidjson::Document> ack = WaitFor(sender, "sync_ack", "e-1");
  ASSERT_TRUE(ack.has_value());
  std::optional<rapidjson::Document> update = WaitFor(peer, "data_update", "e-1");
  ASSERT_TRUE(update.has_value()) << "the other instance's connection got no data_update";
  EXPECT_EQ(test::GetString(*update, "checksum"), test::GetString(*ack, "checksum"));
  EXPECT_EQ(test::GetString((*update)["data"]["single_entity"], "name"), "Cash");
  EXPECT_TRUE(NothingOfType(other_tenant, "data_update"));
  EXPECT_TRUE(NothingOfType(sender, "data_update"));  // never back to the sender
  EXPECT_TRUE(NothingOfType(peer, "data_update"));    // once
}

// The initial-load cache of an instance is keyed by the tenant's change
// position in the database: a change committed by the other instance makes
// the same request read again (it is never answered from the older load),
// and an incremental load from the first answer's cursor holds just it.
TEST_F(MultiInstanceTest, AChangeOnOneInstanceIsInTheOthersNextInitialLoad) {
  a_ = Start(Options(url_, "a"));
  b_ = Start(Options(url_, "b"));
  ASSERT_TRUE(a_ && b_);
  test::WsClient* writer = Open(*a_, "t1");
  test::WsClient* reader = Open(*b_, "t1");
  ASSERT_TRUE(writer && reader);
  auto load = [&](const std::string& extra) -> std::optional<rapidjson::Document> {
    if (!reader->Send(R"({"type":"request_initial_data","tenant_id":"t1")" + extra + "}")) {
      return std::nullopt;
    }
    std::optional<std::string> frame = reader->WaitFor(
        [](const rapidjson::Document& d) {
          return test::GetString(d, "type") == "initial_data_load";
        },
        Millis(10000));
    if (!frame) return std::nullopt;
    return test::ParseJson(*frame);
  };
  auto ids = [](const rapidjson::Document& d) {
    std::set<std::string> out;
    for (const rapidjson::Value& e : d["payload"]["accounts"].GetArray()) {
      out.insert(test::GetString(e, "id"));
    }
    return out;
  };
  auto write = [&](const std::string& entry_id, const std::string& entity_id, int64_t version) {
    ASSERT_TRUE(writer->Send(
        test::AccountEntryJson("t1", entry_id, entity_id, "create", "Cash", "g", 1, version)));
    ASSERT_TRUE(WaitFor(writer, "sync_ack", entry_id).has_value());
  };
  write("e-1", "acc-1", 1764130000000LL);
  std::optional<rapidjson::Document> first = load("");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(ids(*first), (std::set<std::string>{"acc-1"}));
  std::string cursor = test::GetString(*first, "cursor");
  ASSERT_FALSE(cursor.empty());

  write("e-2", "acc-2", 1764130000001LL);
  std::optional<rapidjson::Document> second = load("");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(ids(*second), (std::set<std::string>{"acc-1", "acc-2"}));
  std::optional<rapidjson::Document> changed = load(R"(,"since":")" + cursor + "\"");
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(ids(*changed), (std::set<std::string>{"acc-2"}));
}

// A resend that reaches another instance while the entry is unfinished gets
// the reply when it finishes there: here a dead-lettered entry (instance a
// cannot apply anything) resent to b, then acknowledged by an operator on a.
TEST_F(MultiInstanceTest, AResendOnTheOtherInstanceIsAnsweredWhenTheEntryFinishes) {
  app::Options failing = Options(url_, "a");
  failing.fault_commit_rate = 1.0;
  failing.max_attempts = 1;
  a_ = Start(failing);
  b_ = Start(Options(url_, "b"));
  ASSERT_TRUE(a_ && b_);
  test::WsClient* first = Open(*a_, "t1");
  ASSERT_NE(first, nullptr);
  const std::string entry =
      test::AccountEntryJson("t1", "e-9", "acc-9", "create", "Cash", "g", 9, 1764130000000LL);
  ASSERT_TRUE(first->Send(entry));
  std::optional<rapidjson::Document> dead = WaitFor(first, "sync_nack", "e-9");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(test::GetString(*dead, "reason"), "system_error");

  test::WsClient* resender = Open(*b_, "t1");
  ASSERT_NE(resender, nullptr);
  ASSERT_TRUE(resender->Send(entry));
  // The stored NACK: as a duplicate (b read it), or as a's result itself when
  // b's listener handed that over after the resend registered; either way
  // b keeps the connection waiting for the entry's final answer.
  std::optional<rapidjson::Document> replay = WaitFor(resender, "sync_nack", "e-9");
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(test::GetString(*replay, "reason"), "system_error") << Text(*replay);

  test::HttpResponse r =
      test::HttpRequest("127.0.0.1", a_->http_port(), "POST", "/api/v1/sync/acknowledge",
                        R"({"tenant_id":"t1","entry_id":"e-9","action":"ack"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::optional<rapidjson::Document> on_a = WaitFor(first, "sync_ack", "e-9");
  ASSERT_TRUE(on_a.has_value());
  std::optional<rapidjson::Document> on_b = WaitFor(resender, "sync_ack", "e-9");
  ASSERT_TRUE(on_b.has_value()) << "the resend on the other instance was never answered";
  EXPECT_EQ(test::GetString(*on_b, "outcome"), "manual");
  EXPECT_FALSE(test::GetBool(*on_b, "duplicate"));
}

// scale.md 1 and 3: the same entries sent to both instances at once, and
// changes of the same entities from both: each entry is applied once (the
// unique (tenant, entry id) decides who stores it), each send is answered
// on its own instance (the other one's result arrives by NOTIFY), and each
// entity ends at its highest version.
TEST_F(MultiInstanceTest, TheSameEntriesSentToBothInstancesAreAppliedOnceAndAnsweredOnBoth) {
  a_ = Start(Options(url_, "a"));
  b_ = Start(Options(url_, "b"));
  ASSERT_TRUE(a_ && b_);
  test::WsClient* on_a = Open(*a_, "t1");
  test::WsClient* on_b = Open(*b_, "t1");
  ASSERT_TRUE(on_a && on_b);
  constexpr int kEntries = 60;
  constexpr int kEntities = 10;
  std::string batch = R"({"type":"process_sync_batch","entries":[)";
  for (int i = 0; i < kEntries; ++i) {
    if (i > 0) batch += ",";
    std::string entity = "acc-" + std::to_string(i % kEntities);
    batch += test::AccountEntryJson("t1", "x-" + std::to_string(i), entity,
                                    i < kEntities ? "create" : "update", "v" + std::to_string(i),
                                    "g", i, 1764130000000LL + i)
                 .substr(std::string(R"({"type":"process_sync_entry","payload":)").size());
    batch.pop_back();  // the message's closing brace; the entry's stays
  }
  batch += "]}";
  ASSERT_TRUE(on_a->Send(batch));
  ASSERT_TRUE(on_b->Send(batch));
  for (test::WsClient* c : {on_a, on_b}) {
    std::set<std::string> answered;
    while (static_cast<int>(answered.size()) < kEntries) {
      std::optional<std::string> frame = c->WaitFor(
          [](const rapidjson::Document& d) { return test::IsSyncReply(d); }, Millis(10000));
      ASSERT_TRUE(frame.has_value()) << answered.size() << " of " << kEntries << " answered";
      rapidjson::Document d = test::ParseJson(*frame);
      EXPECT_EQ(test::GetString(d, "type"), "sync_ack") << *frame;
      EXPECT_TRUE(answered.insert(test::GetString(d, "id")).second) << "twice: " << *frame;
    }
    EXPECT_TRUE(NothingOfType(c, "sync_ack"));
  }
  // Applied once: the entities hold their last versions; the totals count
  // every entry once and every second send as a duplicate.
  ASSERT_TRUE(on_b->Send(R"({"type":"request_initial_data","tenant_id":"t1"})"));
  std::optional<std::string> initial = on_b->WaitFor(
      [](const rapidjson::Document& d) {
        return test::GetString(d, "type") == "initial_data_load";
      },
      Millis(10000));
  ASSERT_TRUE(initial.has_value());
  rapidjson::Document load = test::ParseJson(*initial);
  const rapidjson::Value& accounts = load["payload"]["accounts"];
  ASSERT_EQ(static_cast<int>(accounts.Size()), kEntities);
  for (const rapidjson::Value& acc : accounts.GetArray()) {
    int k = std::stoi(test::GetString(acc, "id").substr(4));
    EXPECT_EQ(test::GetString(acc, "name"), "v" + std::to_string(kEntries - kEntities + k));
  }
  // a's statistics include b's commits after its next reload.
  rapidjson::Document stats;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    stats = test::ParseJson(
        test::HttpRequest("127.0.0.1", a_->http_port(), "GET", "/api/v1/queue/stats").body);
  } while (
      (test::GetInt2(stats, "totals", "received") < 2 * kEntries ||
       test::GetInt2(stats, "totals", "applied") + test::GetInt2(stats, "totals", "superseded") <
           kEntries) &&
      std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(test::GetInt2(stats, "totals", "received"), 2 * kEntries) << Text(stats);
  EXPECT_EQ(test::GetInt2(stats, "totals", "duplicates"), kEntries);
  EXPECT_EQ(
      test::GetInt2(stats, "totals", "applied") + test::GetInt2(stats, "totals", "superseded"),
      kEntries);
}

// scale.md 1 and 4 with three instances and clients spread over them: an
// entry sent to a is acknowledged on a and reaches the tenant's connections
// on b and c; one entry id sent to a and b at the same moment is applied
// once (its timeline, from the sync log, shows one finish) and both senders
// get the same reply.
TEST_F(MultiInstanceTest, ThreeInstancesAnswerOnTheirOwnAndApplyARaceOnce) {
  a_ = Start(Options(url_, "a"));
  b_ = Start(Options(url_, "b"));
  c_ = Start(Options(url_, "c"));
  ASSERT_TRUE(a_ && b_ && c_);
  test::WsClient* on_a = Open(*a_, "t1");
  test::WsClient* on_b = Open(*b_, "t1");
  test::WsClient* on_c = Open(*c_, "t1");
  ASSERT_TRUE(on_a && on_b && on_c);

  ASSERT_TRUE(on_a->Send(
      test::AccountEntryJson("t1", "e-1", "acc-1", "create", "Cash", "g", 1, 1764130000000LL)));
  std::optional<rapidjson::Document> ack = WaitFor(on_a, "sync_ack", "e-1");
  ASSERT_TRUE(ack.has_value());
  for (test::WsClient* peer : {on_c, on_b}) {
    std::optional<rapidjson::Document> update = WaitFor(peer, "data_update", "e-1");
    ASSERT_TRUE(update.has_value()) << "a connection on another instance got no data_update";
    EXPECT_EQ(test::GetString(*update, "checksum"), test::GetString(*ack, "checksum"));
    EXPECT_EQ(test::GetString((*update)["data"]["single_entity"], "name"), "Cash");
  }
  EXPECT_TRUE(NothingOfType(on_a, "data_update"));  // never back to the sender

  // The race: one id to a and b at once, ten times over.
  constexpr int kRaces = 10;
  for (int i = 0; i < kRaces; ++i) {
    const std::string id = "race-" + std::to_string(i);
    const std::string entry = test::AccountEntryJson("t1", id, "acc-r" + std::to_string(i),
                                                     "create", "r", "g", i, 1764130000000LL + i);
    ASSERT_TRUE(on_a->Send(entry));
    ASSERT_TRUE(on_b->Send(entry));
  }
  // Each side's answers, in whatever order they come (an entry the other
  // instance stored is answered when its NOTIFY arrives).
  std::vector<std::string> twice_a, twice_b;
  std::map<std::string, rapidjson::Document> on_a_replies =
      test::CollectSyncReplies(*on_a, kRaces, Millis(10000), &twice_a);
  std::map<std::string, rapidjson::Document> on_b_replies =
      test::CollectSyncReplies(*on_b, kRaces, Millis(10000), &twice_b);
  ASSERT_EQ(on_a_replies.size(), static_cast<size_t>(kRaces));
  ASSERT_EQ(on_b_replies.size(), static_cast<size_t>(kRaces));
  EXPECT_TRUE(twice_a.empty() && twice_b.empty());
  for (int i = 0; i < kRaces; ++i) {
    const std::string id = "race-" + std::to_string(i);
    ASSERT_TRUE(on_a_replies.count(id) && on_b_replies.count(id)) << id;
    const rapidjson::Document& from_a = on_a_replies[id];
    const rapidjson::Document& from_b = on_b_replies[id];
    EXPECT_EQ(test::GetString(from_a, "type"), "sync_ack") << Text(from_a);
    EXPECT_EQ(test::GetString(from_b, "type"), "sync_ack") << Text(from_b);
    EXPECT_EQ(test::GetString(from_a, "outcome"), "applied") << Text(from_a);
    EXPECT_EQ(test::GetString(from_b, "outcome"), "applied") << Text(from_b);
    EXPECT_EQ(test::GetString(from_a, "checksum"), test::GetString(from_b, "checksum"));
    // The timeline's finishes are the entry's sync-log rows: one apply.
    test::HttpResponse r = test::HttpRequest("127.0.0.1", c_->http_port(), "GET",
                                             "/api/v1/entries/t1/" + id + "/timeline");
    ASSERT_EQ(r.status, 200) << r.body;
    rapidjson::Document timeline = test::ParseJson(r.body);
    ASSERT_TRUE(timeline.HasMember("timeline") && timeline["timeline"].IsArray()) << r.body;
    int finishes = 0;
    for (const rapidjson::Value& ev : timeline["timeline"].GetArray()) {
      if (test::GetString(ev, "event") == "finished") ++finishes;
    }
    EXPECT_EQ(finishes, 1) << r.body;
  }
  for (test::WsClient* c : {on_a, on_b}) EXPECT_TRUE(NothingOfType(c, "sync_ack"));  // once each
}

// scale.md 5: every instance shows the database's depth and totals (the
// other instances' work included), lists every instance, and labels its own
// series in /metrics.
TEST_F(MultiInstanceTest, StatisticsAreGlobalOnEveryInstanceAndListTheInstances) {
  a_ = Start(Options(url_, "a"));
  b_ = Start(Options(url_, "b"));
  ASSERT_TRUE(a_ && b_);
  test::WsClient* sender = Open(*a_, "t1");
  ASSERT_NE(sender, nullptr);
  for (int i = 0; i < 3; ++i) {
    std::string id = "s-" + std::to_string(i);
    ASSERT_TRUE(sender->Send(
        test::AccountEntryJson("t1", id, "acc-" + id, "create", "n", "g", i, 1764130000000LL + i)));
    ASSERT_TRUE(WaitFor(sender, "sync_ack", id).has_value());
  }
  auto stats = [](const app::App& app) {
    return test::ParseJson(
        test::HttpRequest("127.0.0.1", app.http_port(), "GET", "/api/v1/queue/stats").body);
  };
  // b applied nothing itself; its numbers follow the database's within a
  // heartbeat, and so does the connection count in the instances list.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  rapidjson::Document on_b;
  bool converged = false;
  while (!converged && std::chrono::steady_clock::now() < deadline) {
    on_b = stats(*b_);
    converged = test::GetInt2(on_b, "totals", "applied") == 3 &&
                test::GetInt2(on_b, "totals", "received") == 3 && on_b.HasMember("instances") &&
                on_b["instances"].IsArray() && on_b["instances"].Size() == 2 &&
                test::GetInt(on_b["instances"][0], "connections") == 1;
  }
  ASSERT_TRUE(converged) << Text(on_b);
  rapidjson::Document on_a = stats(*a_);
  EXPECT_EQ(test::GetInt2(on_a, "totals", "applied"), 3) << Text(on_a);
  EXPECT_EQ(test::GetString(on_a, "instance"), "a");
  EXPECT_EQ(test::GetString(on_b, "instance"), "b");
  for (const rapidjson::Document* d : {&on_a, &on_b}) {
    EXPECT_EQ(test::GetInt2(*d, "depth", "in_flight"), 0);
    EXPECT_EQ(test::GetInt2(*d, "depth", "pending"), 0);
  }
  const rapidjson::Value& list = on_b["instances"];
  EXPECT_EQ(test::GetString(list[0], "id"), "a");
  EXPECT_EQ(test::GetString(list[1], "id"), "b");
  EXPECT_EQ(test::GetInt(list[1], "connections"), 0);
  EXPECT_GT(test::GetInt(list[0], "last_heartbeat_ms"), 1764130000000LL);
  EXPECT_EQ(test::GetInt(list[0], "in_flight"), 0);

  test::HttpResponse metrics = test::HttpRequest("127.0.0.1", a_->http_port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("syncd_websocket_connections{instance=\"a\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("syncd_instance_in_flight{instance=\"b\"} 0"), std::string::npos);
  EXPECT_NE(metrics.body.find("syncd_queue_depth{state=\"in_flight\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace syncd::e2e
