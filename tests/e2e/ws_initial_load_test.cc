// request_initial_data round 2 (protocol.md, initial_data_load): incremental
// loads with `since` and `cursor`, pages with `page_size`, and one read shared
// by the requests of one tenant state, as a client and an operator see them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/http_client.h"
#include "support/syncd_process.h"

namespace syncd::e2e {
namespace {

constexpr char kTenant[] = "tenant-load";

class WsInitialLoadTest : public E2eTest {
 protected:
  // Sends `request` (unless empty: a request sent before) and reads
  // initial_data_load messages until the one that ends the load (last_page,
  // or the only message of an unpaged load), or an error.
  static std::vector<rapidjson::Document> Load(test::WsClient* c, const std::string& request,
                                               Millis timeout = Millis(30000)) {
    std::vector<rapidjson::Document> pages;
    if (c == nullptr || (!request.empty() && !c->Send(request))) {
      ADD_FAILURE() << "could not send " << request;
      return pages;
    }
    for (;;) {
      std::optional<std::string> frame = c->WaitFor(
          [](const rapidjson::Document& d) {
            return IsType(d, "initial_data_load") || IsType(d, "error");
          },
          timeout);
      if (!frame) {
        ADD_FAILURE() << "no end of the load after " << request;
        return pages;
      }
      pages.push_back(test::ParseJson(*frame));
      const rapidjson::Document& last = pages.back();
      if (!IsType(last, "initial_data_load") || !last.HasMember("page") ||
          (last.HasMember("last_page") && last["last_page"].IsTrue())) {
        return pages;
      }
    }
  }

  static std::string Request(const std::string& extra = "") {
    return std::string(R"({"type":"request_initial_data","tenant_id":")") + kTenant + "\"" + extra +
           "}";
  }
  static std::string Since(const std::string& cursor) { return R"(,"since":")" + cursor + "\""; }

  // One entry of `tenant`; waits for its sync_ack.
  void Apply(test::WsClient* c, const std::string& tenant, const std::string& entry_id,
             const std::string& entity_id, const std::string& op, const std::string& name) {
    std::string payload = op == "delete" ? "null" : test::AccountPayload(name);
    rapidjson::Document reply = SendEntry(
        c, entry_id,
        test::EntryJson(entry_id, tenant, "Account", entity_id, op, payload, ++version_ms_));
    ASSERT_TRUE(IsType(reply, "sync_ack")) << entry_id;
  }

  // Ids of the accounts in a load message's payload.
  static std::set<std::string> AccountIds(const rapidjson::Document& load) {
    std::set<std::string> ids;
    for (const rapidjson::Value& e : load["payload"]["accounts"].GetArray()) {
      ids.insert(test::GetString(e, "id"));
    }
    return ids;
  }

  static int64_t Metric(int port, const std::string& name) {
    test::HttpResponse r = test::HttpGet(kHost, port, "/metrics");
    size_t at = r.body.find("\n" + name + " ");
    if (r.status != 200 || at == std::string::npos) return -1;
    return std::stoll(r.body.substr(at + name.size() + 2));
  }

  int64_t version_ms_ = 1764130000000;
};

// The cursor tests on both engines (on PostgreSQL the position is the
// database's, shared by every instance).
class WsInitialLoadEngineTest : public WsInitialLoadTest,
                                public ::testing::WithParamInterface<test::Engine> {
 protected:
  void SetUp() override {
    engine_ = GetParam();
    WsInitialLoadTest::SetUp();
  }
};
SYNCD_E2E_ON_BOTH_ENGINES(WsInitialLoadEngineTest);

TEST_P(WsInitialLoadEngineTest, IncrementalLoadHoldsExactlyWhatChangedSinceTheCursor) {
  test::WsClient* c = Open(kTenant);
  ASSERT_NE(c, nullptr);
  Apply(c, kTenant, "e1", "a1", "create", "One");
  Apply(c, kTenant, "e2", "a2", "create", "Two");
  Apply(c, kTenant, "e3", "a3", "create", "Three");
  std::vector<rapidjson::Document> full = Load(c, Request());
  ASSERT_EQ(full.size(), 1u);
  EXPECT_TRUE(full[0]["full"].IsTrue());
  EXPECT_EQ(AccountIds(full[0]), (std::set<std::string>{"a1", "a2", "a3"}));
  const std::string cursor = test::GetString(full[0], "cursor");
  ASSERT_FALSE(cursor.empty());

  Apply(c, kTenant, "e4", "a1", "update", "One renamed");
  Apply(c, kTenant, "e5", "a2", "delete", "");
  Apply(c, kTenant, "e6", "a4", "create", "Four");
  std::vector<rapidjson::Document> changes = Load(c, Request(Since(cursor)));
  ASSERT_EQ(changes.size(), 1u);
  const rapidjson::Document& d = changes[0];
  EXPECT_TRUE(d["full"].IsFalse());
  EXPECT_EQ(AccountIds(d), (std::set<std::string>{"a1", "a4"}));
  EXPECT_EQ(test::GetString(*FindEntity(d, "accounts", "a1"), "name"), "One renamed");
  EXPECT_EQ(test::GetInt(d, "total_count"), 2);
  ASSERT_TRUE(d.HasMember("deleted") && d["deleted"].IsObject());
  ASSERT_TRUE(d["deleted"]["Account"].IsArray());
  ASSERT_EQ(d["deleted"]["Account"].Size(), 1u);
  EXPECT_EQ(std::string(d["deleted"]["Account"][0].GetString()), "a2");
  const std::string next = test::GetString(d, "cursor");
  EXPECT_NE(next, cursor);

  // Nothing changed since: an empty incremental load with the same cursor.
  std::vector<rapidjson::Document> none = Load(c, Request(Since(next)));
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none[0]["full"].IsFalse());
  EXPECT_EQ(test::GetInt(none[0], "total_count"), 0);
  EXPECT_EQ(none[0]["deleted"]["Account"].Size(), 0u);
  EXPECT_EQ(test::GetString(none[0], "cursor"), next);
}

TEST_P(WsInitialLoadEngineTest, UnusableCursorsGetAFullLoad) {
  test::WsClient* other = Open("tenant-other");
  test::WsClient* c = Open(kTenant);
  ASSERT_NE(other, nullptr);
  ASSERT_NE(c, nullptr);
  Apply(other, "tenant-other", "o1", "x1", "create", "Theirs");
  Apply(c, kTenant, "e1", "a1", "create", "Mine");
  std::vector<rapidjson::Document> theirs =
      Load(other, R"({"type":"request_initial_data","tenant_id":"tenant-other"})");
  ASSERT_EQ(theirs.size(), 1u);
  const std::string their_cursor = test::GetString(theirs[0], "cursor");
  std::vector<rapidjson::Document> mine = Load(c, Request());
  ASSERT_EQ(mine.size(), 1u);
  const std::string my_cursor = test::GetString(mine[0], "cursor");
  // A cursor made for this tenant but ahead of it (a database restored from
  // an older copy): the seq after the epoch is bumped.
  std::string ahead = my_cursor;
  size_t dot1 = ahead.find('.', 3), dot2 = ahead.find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos) << my_cursor;
  ahead.replace(dot1 + 1, dot2 - dot1 - 1, "999999");

  for (const std::string& since :
       {Since(their_cursor), Since("garbage"), Since(""), Since(ahead), std::string(",\"since\":7"),
        Since(my_cursor.substr(0, my_cursor.size() - 1))}) {
    std::vector<rapidjson::Document> load = Load(c, Request(since));
    ASSERT_EQ(load.size(), 1u) << since;
    EXPECT_TRUE(IsType(load[0], "initial_data_load")) << since;
    EXPECT_TRUE(load[0]["full"].IsTrue()) << since;
    EXPECT_FALSE(load[0].HasMember("deleted")) << since;
    EXPECT_EQ(AccountIds(load[0]), (std::set<std::string>{"a1"})) << since;
    EXPECT_EQ(test::GetString(load[0], "cursor"), my_cursor) << since;
  }
}

TEST_F(WsInitialLoadTest, PageSizeOutsideOneToTenThousandIsInvalid) {
  test::WsClient* c = Open(kTenant);
  ASSERT_NE(c, nullptr);
  for (const char* size : {"0", "10001", "-1", "1.5", "\"10\"", "true"}) {
    rapidjson::Document d =
        E2eTest::Request(c, Request(std::string(",\"page_size\":") + size), "error");
    EXPECT_EQ(test::GetString(d, "code"), "invalid_message") << size;
  }
  // The connection stays usable, and the bounds themselves are fine.
  for (const char* size : {"1", "10000", "null"}) {
    std::vector<rapidjson::Document> load = Load(c, Request(std::string(",\"page_size\":") + size));
    ASSERT_EQ(load.size(), 1u) << size;
    EXPECT_TRUE(IsType(load[0], "initial_data_load")) << size;
  }
}

TEST_F(WsInitialLoadTest, TwentyFiveThousandEntitiesComeInTwentyFivePagesOfAThousand) {
  test::WsClient* c = Open(kTenant);
  ASSERT_NE(c, nullptr);
  constexpr int kEntities = 25000;
  std::mt19937 random(20261130);  // seeded: the same names every run
  for (int batch = 0; batch < kEntities / 1000; ++batch) {
    std::string entries;
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) {
      std::string id = std::to_string(i);
      if (!entries.empty()) entries += ",";
      // Multi-byte characters throughout: the unpaged load below goes out
      // in fragments, which must not cut a character.
      entries += test::EntryJson(
          "e" + id, kTenant, "Account", "a" + id, "create",
          test::AccountPayload("n\u20ac\u00e9\u20ac" + std::to_string(random()) + "\u20ac"),
          version_ms_ + i);
    }
    ASSERT_TRUE(c->Send(R"({"type":"process_sync_batch","entries":[)" + entries + "]}"));
  }
  ASSERT_EQ(test::CollectSyncReplies(*c, kEntities, Millis(120000)).size(),
            static_cast<size_t>(kEntities));

  std::vector<rapidjson::Document> pages = Load(c, Request(",\"page_size\":1000"));
  ASSERT_EQ(pages.size(), 25u);
  std::map<std::string, int> seen;
  const std::string cursor = test::GetString(pages[0], "cursor");
  EXPECT_FALSE(cursor.empty());
  for (size_t i = 0; i < pages.size(); ++i) {
    const rapidjson::Document& p = pages[i];
    EXPECT_EQ(test::GetInt(p, "page"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(p["last_page"].IsTrue(), i + 1 == pages.size());
    EXPECT_EQ(test::GetString(p, "cursor"), cursor);
    EXPECT_TRUE(p["full"].IsTrue());
    EXPECT_EQ(test::GetInt(p, "total_count"), 1000);
    EXPECT_EQ(p["payload"].MemberCount(), 9u);
    for (const std::string& id : AccountIds(p)) ++seen[id];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEntities));
  for (const auto& [id, times] : seen) ASSERT_EQ(times, 1) << id;

  // Without page_size: one message, however large (what the web frontend
  // expects), with the same cursor.
  std::vector<rapidjson::Document> one = Load(c, Request());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FALSE(one[0].HasMember("page"));
  EXPECT_EQ(test::GetInt(one[0], "total_count"), kEntities);
  EXPECT_EQ(AccountIds(one[0]).size(), static_cast<size_t>(kEntities));
  EXPECT_EQ(test::GetString(one[0], "cursor"), cursor);
}

TEST_F(WsInitialLoadTest, TwoLoadsOnOneConnectionAreNeverInterleaved) {
  test::WsClient* c = Open(kTenant);
  ASSERT_NE(c, nullptr);
  std::string entries;
  for (int i = 0; i < 600; ++i) {
    if (!entries.empty()) entries += ",";
    entries += test::EntryJson("e" + std::to_string(i), kTenant, "Account", "a" + std::to_string(i),
                               "create", test::AccountPayload("n"), version_ms_ + i);
  }
  ASSERT_TRUE(c->Send(R"({"type":"process_sync_batch","entries":[)" + entries + "]}"));
  ASSERT_EQ(test::CollectSyncReplies(*c, 600, Millis(60000)).size(), 600u);

  // Sent back to back: 60 pages of 10, then 3 pages of 200.
  ASSERT_TRUE(c->Send(Request(",\"page_size\":10")));
  ASSERT_TRUE(c->Send(Request(",\"page_size\":200")));
  std::vector<std::pair<int64_t, int64_t>> order;  // (total_count, page)
  for (int load = 0; load < 2; ++load) {
    for (const rapidjson::Document& d : Load(c, "")) {
      order.emplace_back(test::GetInt(d, "total_count"), test::GetInt(d, "page"));
    }
  }
  std::vector<std::pair<int64_t, int64_t>> expected;
  for (int page = 1; page <= 60; ++page) expected.emplace_back(10, page);
  for (int page = 1; page <= 3; ++page) expected.emplace_back(200, page);
  EXPECT_EQ(order, expected);
}

TEST_F(WsInitialLoadTest, RequestsOfOneTenantStateShareOneRead) {
  test::WsClient* a = Open(kTenant);
  test::WsClient* b = Open(kTenant);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Apply(a, kTenant, "e1", "a1", "create", "One");
  const int port = app_->http_port();
  const int64_t reads = Metric(port, "syncd_initial_load_reads_total");
  const int64_t shared = Metric(port, "syncd_initial_load_shared_total");
  ASSERT_GE(reads, 0);
  ASSERT_GE(shared, 0);

  // What the web frontend does on connecting: three requests at once, here
  // from two connections.
  ASSERT_TRUE(a->Send(Request()));
  ASSERT_TRUE(a->Send(Request()));
  std::vector<rapidjson::Document> from_b = Load(b, Request());
  std::vector<rapidjson::Document> first = Load(a, "");
  std::vector<rapidjson::Document> second = Load(a, "");
  ASSERT_EQ(from_b.size(), 1u);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  // One read: the same answer, to the millisecond of its server_timestamp.
  for (const auto* load : {&first, &second}) {
    EXPECT_EQ(test::GetInt((*load)[0], "server_timestamp"),
              test::GetInt(from_b[0], "server_timestamp"));
    EXPECT_EQ(test::GetString((*load)[0], "cursor"), test::GetString(from_b[0], "cursor"));
  }
  EXPECT_EQ(Metric(port, "syncd_initial_load_reads_total"), reads + 1);
  EXPECT_EQ(Metric(port, "syncd_initial_load_shared_total"), shared + 2);

  // A change committed in between: the next request reads again, and sees it.
  Apply(a, kTenant, "e2", "a2", "create", "Two");
  std::vector<rapidjson::Document> after = Load(b, Request());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(AccountIds(after[0]), (std::set<std::string>{"a1", "a2"}));
  EXPECT_EQ(Metric(port, "syncd_initial_load_reads_total"), reads + 2);
}

// A database file of the syncd before cursors (no entities.change_seq, no
// tenant_changes), made by undoing them in a file of this one: the real
// binary opens it, serves its entities with their stored checksums (equal to
// the checksum recomputed from what it serves) and hands out cursors that
// work from then on.
TEST(InitialLoadUpgradeTest, AnOldDatabaseFileServesItsStoredChecksumsAndCursorsAfterTheUpgrade) {
  test::TempDir dir;
  const std::string db = dir.path() + "/syncd.db";
  const std::string tenant = "tenant-old";
  auto entry = [&](const std::string& id, const std::string& entity, const std::string& name,
                   int64_t ts) {
    return test::SyncEntryMessage(
        test::EntryJson(id, tenant, "Account", entity, "create", test::AccountPayload(name), ts));
  };
  {
    test::SyncdProcess old;
    ASSERT_TRUE(old.Start({"--db", db}, {})) << old.error();
    test::WsClient c;
    ASSERT_TRUE(test::ConnectOnline(c, old.ws_url(tenant)));
    for (int i = 0; i < 3; ++i) {
      std::string n = std::to_string(i);
      ASSERT_TRUE(c.Send(entry("old-" + n, "a" + n, "N\u00e4me " + n, 1764130000000 + i)));
    }
    ASSERT_EQ(test::CollectSyncReplies(c, 3, Millis(10000)).size(), 3u);
    c.Close();
    ASSERT_EQ(old.Terminate(), 0) << old.stderr_text();
  }
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(handle,
                          "DROP INDEX entities_changes;"
                          "ALTER TABLE entities DROP COLUMN change_seq;"
                          "DROP TABLE tenant_changes;",
                          nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(handle);
    ASSERT_EQ(rc, SQLITE_OK);
  }

  test::SyncdProcess upgraded;
  ASSERT_TRUE(upgraded.Start({"--db", db}, {})) << upgraded.error();
  test::WsClient c;
  ASSERT_TRUE(test::ConnectOnline(c, upgraded.ws_url(tenant)));
  ASSERT_TRUE(c.Send(R"({"type":"request_initial_data"})"));
  std::optional<std::string> load_text = c.WaitFor(
      [](const rapidjson::Document& d) { return IsType(d, "initial_data_load"); }, Millis(10000));
  ASSERT_TRUE(load_text.has_value());
  rapidjson::Document load = test::ParseJson(*load_text);
  ASSERT_EQ(load["payload"]["accounts"].Size(), 3u);
  EXPECT_TRUE(load["full"].IsTrue());
  const std::string cursor = test::GetString(load, "cursor");
  EXPECT_FALSE(cursor.empty());

  ASSERT_TRUE(c.Send(R"({"type":"data_status_request","entity_types":["Account"]})"));
  std::optional<std::string> status_text =
      c.WaitFor([](const rapidjson::Document& d) { return IsType(d, "data_status_response"); },
                Millis(10000));
  ASSERT_TRUE(status_text.has_value());
  rapidjson::Document status = test::ParseJson(*status_text);
  std::map<std::string, std::string> stored;
  for (const rapidjson::Value& item : status["entity_checksums"]["Account"].GetArray()) {
    stored[test::GetString(item, "entity_id")] = test::GetString(item, "checksum");
  }
  ASSERT_EQ(stored.size(), 3u);
  for (const rapidjson::Value& e : load["payload"]["accounts"].GetArray()) {
    EXPECT_EQ(stored[test::GetString(e, "id")], ChecksumOf(e)) << test::GetString(e, "id");
  }

  // Changes after the upgrade come back incrementally.
  ASSERT_TRUE(c.Send(entry("new-1", "a-new", "New", 1764130000100)));
  ASSERT_EQ(test::CollectSyncReplies(c, 1, Millis(10000)).size(), 1u);
  ASSERT_TRUE(c.Send(R"({"type":"request_initial_data","since":")" + cursor + "\"}"));
  std::optional<std::string> changes_text = c.WaitFor(
      [](const rapidjson::Document& d) { return IsType(d, "initial_data_load"); }, Millis(10000));
  ASSERT_TRUE(changes_text.has_value());
  rapidjson::Document changes = test::ParseJson(*changes_text);
  EXPECT_TRUE(changes["full"].IsFalse());
  ASSERT_EQ(changes["payload"]["accounts"].Size(), 1u);
  EXPECT_EQ(test::GetString(changes["payload"]["accounts"][0], "id"), "a-new");
  c.Close();
  EXPECT_EQ(upgraded.Terminate(), 0) << upgraded.stderr_text();
}

}  // namespace
}  // namespace syncd::e2e
