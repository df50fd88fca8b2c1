// The operator console's routes and static files, end to end: a real
// Pipeline on a temporary SQLite file, the console store, the HttpServer on
// port 0 and a plain HTTP client.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "api_json.h"
#include "support/http_client.h"
#include "support/syncd_process.h"
#include "syncd/api/http_server.h"
#include "syncd/db/console_store.h"
#include "syncd/db/fault_injecting_store.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {
namespace {

namespace fs = std::filesystem;

std::string Account(const std::string& id, const std::string& entity_id, const std::string& name,
                    int64_t version_ms, const std::string& tenant = "t1") {
  return R"({"id":")" + id + R"(","tenantId":")" + tenant +
         R"(","entityType":"Account","entityId":")" + entity_id +
         R"(","operationType":"update","payload":{"name":")" + name +
         R"(","accountGroupId":"g1"},"timestamp":)" + std::to_string(version_ms) + "}";
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

constexpr int64_t kT0 = 1764130000000;

// A raw client of GET /api/v1/events: sends the request, then reads the
// chunked answer as it comes and splits it into events.
class EventClient {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EventClient(int port, const std::string& extra_headers = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return;
    }
    std::string request = "GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n" + extra_headers +
                          "Accept: text/event-stream\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      Close();
    }
  }
  ~EventClient() { Close(); }
  EventClient(const EventClient&) = delete;
  EventClient& operator=(const EventClient&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The status line and headers (names lowercased), once they came.
  std::string Head(std::chrono::milliseconds wait) {
    Clock::time_point deadline = Clock::now() + wait;
    while (!head_done_ && Fill(deadline)) {
    }
    return head_;
  }

  // The data of the next event; "" when none came in time.
  std::string NextData(std::chrono::milliseconds wait) {
    Clock::time_point deadline = Clock::now() + wait;
    for (;;) {
      size_t end = body_.find("\n\n");
      if (end != std::string::npos) {
        std::string block = body_.substr(0, end + 1);
        body_.erase(0, end + 2);
        std::string data;
        size_t at = 0;
        while (at < block.size()) {
          size_t nl = block.find('\n', at);
          std::string line = block.substr(at, nl - at);
          at = nl + 1;
          if (line.rfind("event: ", 0) == 0) last_event_ = line.substr(7);
          if (line.rfind("data: ", 0) == 0) data += line.substr(6);
        }
        if (!data.empty()) return data;
        continue;  // a comment or `retry:` alone
      }
      if (!Fill(deadline)) return "";
    }
  }

  // True once the last chunk or the end of the connection came.
  bool Ended(std::chrono::milliseconds wait) {
    Clock::time_point deadline = Clock::now() + wait;
    while (!ended_ && Fill(deadline)) {
    }
    return ended_;
  }

  const std::string& last_event() const { return last_event_; }

 private:
  // Reads what is there (waiting until `deadline`), then decodes. false on
  // timeout, end or error.
  bool Fill(Clock::time_point deadline) {
    if (fd_ < 0 || ended_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      ended_ = true;
      return false;
    }
    raw_.append(buf, static_cast<size_t>(n));
    Decode();
    return true;
  }

  void Decode() {
    if (!head_done_) {
      size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end + 2);
      for (char& c : head_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      raw_.erase(0, end + 4);
      head_done_ = true;
    }
    for (;;) {
      size_t line = raw_.find("\r\n");
      if (line == std::string::npos) return;
      size_t size = std::strtoul(raw_.substr(0, line).c_str(), nullptr, 16);
      if (size == 0) {
        ended_ = true;
        return;
      }
      if (raw_.size() < line + 2 + size + 2) return;
      body_ += raw_.substr(line + 2, size);
      raw_.erase(0, line + 2 + size + 2);
    }
  }

  int fd_ = -1;
  std::string raw_, head_, body_, last_event_;
  bool head_done_ = false, ended_ = false;
};

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_.path().empty());
    dir_ = temp_.path();
    // A built console, a file next to it that must stay unreachable, and a
    // symlink inside that points at it.
    WriteFile(dir_ / "console/index.html", "<!doctype html><title>console</title>");
    WriteFile(dir_ / "console/favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    WriteFile(dir_ / "console/assets/index-abc123.js", "console.log('ok')");
    WriteFile(dir_ / "console/assets/index-abc123.css", "body{}");
    WriteFile(dir_ / "console/noext", "no type");
    fs::create_directories(dir_ / "console/sub");
    WriteFile(dir_ / "secret.txt", "TOP SECRET");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "console/leak.html");
    fs::create_symlink(dir_ / "secret.txt", dir_ / "console/assets/leak.js");
    Start();
  }

  void TearDown() override { Stop(); }

  void Start(double apply_fail_rate = 0, const std::string& console_dir = "") {
    db::SqliteOptions sqlite;
    sqlite.path = (dir_ / "syncd.db").string();
    sqlite.synchronous = "NORMAL";
    common::Status s;
    auto writes = db::OpenSqliteWriteStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto faulty = std::make_unique<db::FaultInjectingStore>(std::move(writes));
    faulty->SetApplyCommitFailureRate(apply_fail_rate, 7);
    reads_ = db::OpenSqliteReadStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    console_ = db::OpenSqliteConsoleStore(sqlite, &s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    pipeline::PipelineOptions options;
    options.retry.max_attempts = 1;
    options.retry.base_ms = 1;
    options.retry.max_ms = 5;
    pipeline_ = std::make_unique<pipeline::Pipeline>(std::move(faulty), options, &clock_);
    HttpOptions http;
    http.port = 0;
    http.console_dir = console_dir.empty() ? (dir_ / "console").string() : console_dir;
    WsInfo ws;  // the rest (slow closes, load counters) reads as 0
    ws.connections = [] { return int64_t{0}; };
    ws.tenants = [] { return int64_t{0}; };
    ws.up = [] { return true; };
    server_ = std::make_unique<HttpServer>(http, pipeline_.get(), reads_.get(), ws);
    server_->UseConsoleStore(console_.get(), [] {
      return std::map<std::string, int64_t>{{"t1", 2}};
    });
    ASSERT_TRUE(pipeline_->Start().ok());
    ASSERT_TRUE(server_->Start().ok());
  }

  void Stop() {
    if (server_) {
      server_->BeginShutdown();
      server_->Stop();
    }
    if (pipeline_) pipeline_->Stop();
    server_.reset();
    pipeline_.reset();
    console_.reset();
    reads_.reset();
  }

  test::HttpReply Get(const std::string& target) {
    return test::HttpRequest(server_->port(), "GET", target);
  }
  // `user` is sent as X-User-Id (after the Content-Type line of the helper).
  test::HttpReply Post(const std::string& target, const std::string& body,
                       const std::string& user = "") {
    std::string type = "application/json";
    if (!user.empty()) type += "\r\nX-User-Id: " + user;
    return test::HttpRequest(server_->port(), "POST", target, body, type);
  }

  void SubmitAndWait(const std::string& entries) {
    test::HttpReply r =
        Post("/api/v1/sync/entries?wait_ms=5000", R"({"entries":[)" + entries + "]}");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string WaitForState(const std::string& entry, const std::string& state) {
    std::string now;
    for (int i = 0; i < 500 && now != state; ++i) {
      now = Str(Json(Get("/api/v1/sync/entries/t1/" + entry).body), "state");
      if (now != state) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return now;
  }

  test::TempDir temp_;  // first: removed after everything that uses it
  fs::path dir_;
  common::SystemClock clock_;
  std::unique_ptr<db::ReadStore> reads_;
  std::unique_ptr<db::ConsoleStore> console_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ConsoleRoutesTest, ServesTheBuiltConsoleWithTypesAndCaching) {
  test::HttpReply root = Get("/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers["location"], "/console/");

  for (const char* index : {"/console", "/console/", "/console/index.html"}) {
    test::HttpReply r = Get(index);
    EXPECT_EQ(r.status, 200) << index;
    EXPECT_EQ(r.headers["content-type"].rfind("text/html", 0), 0u) << index;
    EXPECT_EQ(r.headers["cache-control"], "no-cache") << index;
    EXPECT_NE(r.body.find("<title>console</title>"), std::string::npos);
  }
  test::HttpReply js = Get("/console/assets/index-abc123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"].rfind("text/javascript", 0), 0u);
  EXPECT_EQ(js.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(js.body, "console.log('ok')");
  EXPECT_EQ(Get("/console/assets/index-abc123.css").headers["content-type"].rfind("text/css", 0),
            0u);
  EXPECT_EQ(Get("/console/favicon.svg").headers["content-type"], "image/svg+xml");
}

TEST_F(ConsoleRoutesTest, NoPathLeavesTheConsoleFolder) {
  for (const char* target : {
           "/console/..%2fsecret.txt",
           "/console/%2e%2e%2fsecret.txt",
           "/console/%2E%2E%2Fsecret.txt",
           "/console/..%2f..%2f..%2fetc%2fpasswd",
           "/console/assets/..%2f..%2fsecret.txt",
           "/console/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
           "/console/%2fetc%2fpasswd",
           "/console/assets/%2fetc%2fpasswd",
           "/console/..%5csecret.txt",
           "/console/leak.html",         // a symlink out of the folder
           "/console/assets/leak.js",    // the same, among the assets
           "/console/sub",               // a directory
           "/console/noext",             // no known content type
           "/console/.hidden",           // dot files are never served
           "/console/index.html%00.js",  // NUL
           "/console/missing.js",
       }) {
    test::HttpReply r = Get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("TOP SECRET"), std::string::npos) << target;
  }
}

TEST_F(ConsoleRoutesTest, MissingConsoleSaysHowToBuildIt) {
  Stop();
  Start(0, (dir_ / "not-built").string());
  test::HttpReply r = Get("/console/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["content-type"].rfind("text/html", 0), 0u);
  EXPECT_NE(r.body.find("scripts/build-console.sh"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/overview").status, 200);  // the API does not need it
}

TEST_F(ConsoleRoutesTest, DeadLettersAreListedFilteredAndRetriedInBulk) {
  Stop();
  Start(/*apply_fail_rate=*/1);
  SubmitAndWait(Account("e1", "a1", "One", kT0) + "," + Account("e2", "a2", "Two", kT0 + 1));
  ASSERT_EQ(WaitForState("e2", "dead"), "dead");
  Stop();
  Start();  // the same database, commits work again

  rapidjson::Document all = Json(Get("/api/v1/dead-letters").body);
  ASSERT_EQ(Int(all, "total"), 2);
  EXPECT_EQ(Str(all["items"][0], "entry_id"), "e2");  // newest first
  EXPECT_EQ(Str(all["items"][0]["payload"], "name"), "Two");
  // The stable text: the database's own stays in the log (issue #8).
  EXPECT_EQ(Str(all["items"][0], "last_error"), pipeline::kDatabaseUnavailable);
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters?tenant_id=other").body), "total"), 0);
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters?entity_type=account").body), "total"), 2);
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters?entity_type=Tag").body), "total"), 0);
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters?error=database%20unavailable").body), "total"), 2);
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters?error=disk").body), "total"), 0);
  rapidjson::Document paged = Json(Get("/api/v1/dead-letters?limit=1&offset=1").body);
  EXPECT_EQ(Str(paged["items"][0], "entry_id"), "e1");
  EXPECT_EQ(Get("/api/v1/dead-letters?entity_type=Nope").status, 400);
  EXPECT_EQ(Get("/api/v1/dead-letters?limit=0").status, 400);

  const std::string body =
      R"({"action":"retry","entries":[{"tenant_id":"t1","entry_id":"e1"},)"
      R"({"tenant_id":"t1","entry_id":"e2"},{"tenant_id":"t1","entry_id":"nope"}]})";
  EXPECT_EQ(Post("/api/v1/dead-letters/actions", body, "bad user!").status, 400);
  test::HttpReply r = Post("/api/v1/dead-letters/actions", body, "alice");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document out = Json(r.body);
  EXPECT_EQ(Str(out, "actor"), "alice");
  EXPECT_EQ(Int(out, "succeeded"), 2);
  EXPECT_EQ(Str(out["results"][2], "code"), "not_found");
  EXPECT_EQ(WaitForState("e1", "done"), "done");
  EXPECT_EQ(WaitForState("e2", "done"), "done");
  EXPECT_EQ(Int(Json(Get("/api/v1/dead-letters").body), "total"), 0);

  // The operator is in the entity's history and the entry's timeline.
  rapidjson::Document entity = Json(Get("/api/v1/tenants/t1/entities/Account/a1").body);
  bool found = false;
  for (const auto& h : entity["history"].GetArray()) {
    found = found || (Str(h, "result") == "operator_retry" && Str(h, "actor") == "alice");
  }
  EXPECT_TRUE(found) << Get("/api/v1/tenants/t1/entities/Account/a1").body;
  std::string timeline = Get("/api/v1/entries/t1/e1/timeline").body;
  EXPECT_NE(timeline.find("\"operator_retry\""), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("\"alice\""), std::string::npos) << timeline;
  // Each failed attempt is in the timeline (here the one before dead-lettering).
  EXPECT_NE(timeline.find(std::string("attempt 1: ") + pipeline::kDatabaseUnavailable),
            std::string::npos)
      << timeline;
  EXPECT_NE(timeline.find("\"dead_lettered\""), std::string::npos) << timeline;
  EXPECT_EQ(Get("/api/v1/entries/t1/nope/timeline").status, 404);
}

TEST_F(ConsoleRoutesTest, TakeIncomingAppliesTheIncomingStateAsANewerChange) {
  SubmitAndWait(Account("new", "a1", "Stored", kT0 + 1000));
  SubmitAndWait(Account("old", "a1", "Incoming", kT0));
  rapidjson::Document open = Json(Get("/api/v1/conflicts?status=open").body);
  ASSERT_EQ(Int(open, "total"), 1);
  const rapidjson::Value& c = open["items"][0];
  EXPECT_EQ(Str(c["incoming_data"], "name"), "Incoming");
  EXPECT_EQ(Str(c["stored_data"], "name"), "Stored");
  EXPECT_EQ(Str(c, "incoming_operation"), "update");
  int64_t id = Int(c, "id");

  test::HttpReply r = Post("/api/v1/conflicts/" + std::to_string(id) + "/resolve",
                           R"({"resolution":"take_incoming"})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document out = Json(r.body);
  EXPECT_EQ(Str(out["result"], "status"), "processed");
  EXPECT_EQ(Str(out["result"], "outcome"), "applied");
  EXPECT_EQ(Str(out["conflict"], "resolved_by"), "operator");
  EXPECT_EQ(Str(out["conflict"], "status"), "resolved");
  EXPECT_EQ(Str(out["conflict"], "resolution_entry_id"), Str(out, "entry_id"));

  rapidjson::Document entity = Json(Get("/api/v1/tenants/t1/entities/account/a1").body);
  EXPECT_EQ(Str(entity["data"], "name"), "Incoming");
  EXPECT_EQ(Str(entity, "source_entry_id"), Str(out, "entry_id"));
  EXPECT_GT(Int(entity, "version"), kT0 + 1000);  // newer than the stored version

  // Once only; then it is listed as resolved.
  EXPECT_EQ(Post("/api/v1/conflicts/" + std::to_string(id) + "/resolve",
                 R"({"resolution":"keep_stored"})")
                .status,
            409);
  EXPECT_EQ(Int(Json(Get("/api/v1/conflicts?status=open").body), "total"), 0);
  EXPECT_EQ(Int(Json(Get("/api/v1/conflicts?status=resolved&tenant_id=t1").body), "total"), 1);
  EXPECT_EQ(Post("/api/v1/conflicts/999/resolve", R"({"resolution":"keep_stored"})").status, 404);
  EXPECT_EQ(Post("/api/v1/conflicts/abc/resolve", R"({"resolution":"keep_stored"})").status, 404);
  EXPECT_EQ(Post("/api/v1/conflicts/1/resolve", R"({"resolution":"merge"})").status, 400);
}

TEST_F(ConsoleRoutesTest, KeepStoredOnlyMarksTheConflictResolved) {
  SubmitAndWait(Account("new", "a1", "Stored", kT0 + 1000));
  SubmitAndWait(Account("old", "a1", "Incoming", kT0));
  int64_t id = Int(Json(Get("/api/v1/conflicts").body)["items"][0], "id");
  test::HttpReply r = Post("/api/v1/conflicts/" + std::to_string(id) + "/resolve",
                           R"({"resolution":"keep_stored"})", "bob");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document out = Json(r.body);
  EXPECT_EQ(Str(out["conflict"], "resolution"), "server_wins");  // its kind stays
  EXPECT_EQ(Str(out["conflict"], "resolved_action"), "keep_stored");
  EXPECT_EQ(Str(out["conflict"], "resolved_by"), "bob");
  EXPECT_TRUE(out["result"].IsNull());
  rapidjson::Document entity = Json(Get("/api/v1/tenants/t1/entities/Account/a1").body);
  EXPECT_EQ(Str(entity["data"], "name"), "Stored");
}

// A tie won by the incoming change: the conflict records the state it
// replaced. keep_stored keeps the winner; restore_replaced sends the replaced
// state as a newer change; take_incoming has nothing to do.
TEST_F(ConsoleRoutesTest, ATieConflictKeepsTheWinnerOrRestoresTheReplacedState) {
  SubmitAndWait(Account("first", "a1", "Replaced", kT0) + "," +
                Account("first2", "a2", "Replaced2", kT0));
  SubmitAndWait(Account("second", "a1", "Winner", kT0) + "," +
                Account("second2", "a2", "Winner2", kT0));
  rapidjson::Document open = Json(Get("/api/v1/conflicts?status=open").body);
  ASSERT_EQ(Int(open, "total"), 2);
  int64_t restore_id = 0, keep_id = 0;
  for (const auto& c : open["items"].GetArray()) {
    EXPECT_EQ(Str(c, "resolution"), "client_wins_tie");
    EXPECT_TRUE(c["resolved_action"].IsNull());
    (Str(c, "entity_id") == "a1" ? restore_id : keep_id) = Int(c, "id");
    if (Str(c, "entity_id") == "a1") {
      EXPECT_EQ(Str(c["stored_data"], "name"), "Replaced");
      EXPECT_EQ(Str(c["incoming_data"], "name"), "Winner");
    }
  }
  auto resolve = [&](int64_t id, const std::string& how) {
    return Post("/api/v1/conflicts/" + std::to_string(id) + "/resolve",
                R"({"resolution":")" + how + R"("})", "carol");
  };
  // The incoming state is stored already.
  test::HttpReply take = resolve(restore_id, "take_incoming");
  EXPECT_EQ(take.status, 409) << take.body;
  EXPECT_NE(take.body.find("restore_replaced"), std::string::npos) << take.body;

  test::HttpReply r = resolve(restore_id, "restore_replaced");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document out = Json(r.body);
  EXPECT_EQ(Str(out["result"], "outcome"), "applied");
  EXPECT_EQ(Str(out["conflict"], "status"), "resolved");
  EXPECT_EQ(Str(out["conflict"], "resolution"), "client_wins_tie");
  EXPECT_EQ(Str(out["conflict"], "resolved_action"), "restore_replaced");
  EXPECT_EQ(Str(out["conflict"], "resolution_entry_id"), Str(out, "entry_id"));
  rapidjson::Document a1 = Json(Get("/api/v1/tenants/t1/entities/Account/a1").body);
  EXPECT_EQ(Str(a1["data"], "name"), "Replaced");
  EXPECT_GT(Int(a1, "version"), kT0);
  bool logged = false;
  for (const auto& h : a1["history"].GetArray()) {
    logged =
        logged || (Str(h, "result") == "conflict_restore_replaced" && Str(h, "actor") == "carol");
  }
  EXPECT_TRUE(logged) << Get("/api/v1/tenants/t1/entities/Account/a1").body;

  // keep_stored keeps what is stored now: the winner.
  r = resolve(keep_id, "keep_stored");
  ASSERT_EQ(r.status, 200) << r.body;
  out = Json(r.body);
  EXPECT_TRUE(out["result"].IsNull());
  EXPECT_EQ(Str(out["conflict"], "resolution"), "client_wins_tie");
  EXPECT_EQ(Str(out["conflict"], "resolved_action"), "keep_stored");
  EXPECT_EQ(Str(Json(Get("/api/v1/tenants/t1/entities/Account/a2").body)["data"], "name"),
            "Winner2");
  // The per-tenant list keeps the kinds too.
  std::string listed = Get("/api/v1/sync/conflicts/t1").body;
  EXPECT_EQ(listed.find("keep_stored"), std::string::npos) << listed;
  EXPECT_NE(listed.find("client_wins_tie"), std::string::npos) << listed;
}

TEST_F(ConsoleRoutesTest, RestoreReplacedIsOnlyForTies) {
  SubmitAndWait(Account("new", "a1", "Stored", kT0 + 1000));
  SubmitAndWait(Account("old", "a1", "Incoming", kT0));
  int64_t id = Int(Json(Get("/api/v1/conflicts").body)["items"][0], "id");
  test::HttpReply r = Post("/api/v1/conflicts/" + std::to_string(id) + "/resolve",
                           R"({"resolution":"restore_replaced"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Str(Json(Get("/api/v1/conflicts").body)["items"][0], "status"), "open");
}

// A change that cannot be queued (the pipeline stopped) re-opens the
// conflict as it was: server_wins stays server_wins, client_wins_tie stays
// client_wins_tie.
TEST_F(ConsoleRoutesTest, AConflictReopenedAfterARefusedChangeKeepsItsKind) {
  SubmitAndWait(Account("new", "a1", "Stored", kT0 + 1000) + "," +
                Account("tie1", "a2", "Replaced", kT0));
  SubmitAndWait(Account("old", "a1", "Incoming", kT0) + "," + Account("tie2", "a2", "Winner", kT0));
  rapidjson::Document open = Json(Get("/api/v1/conflicts?status=open").body);
  ASSERT_EQ(Int(open, "total"), 2);
  pipeline_->Stop();  // new entries are refused from now on
  for (const auto& c : open["items"].GetArray()) {
    const std::string kind = Str(c, "resolution");
    const std::string how = kind == "client_wins_tie" ? "restore_replaced" : "take_incoming";
    test::HttpReply r = Post("/api/v1/conflicts/" + std::to_string(Int(c, "id")) + "/resolve",
                             R"({"resolution":")" + how + R"("})");
    EXPECT_EQ(r.status, 503) << r.body;
  }
  rapidjson::Document after = Json(Get("/api/v1/conflicts?status=open").body);
  ASSERT_EQ(Int(after, "total"), 2);
  std::map<std::string, std::string> kinds;
  for (const auto& c : after["items"].GetArray()) {
    kinds[Str(c, "entity_id")] = Str(c, "resolution");
    EXPECT_TRUE(c["resolved_action"].IsNull());
    EXPECT_TRUE(c["resolved_by"].IsNull());
  }
  EXPECT_EQ(kinds["a1"], "server_wins");
  EXPECT_EQ(kinds["a2"], "client_wins_tie");
}

TEST_F(ConsoleRoutesTest, TenantsEntitiesAndOverview) {
  SubmitAndWait(Account("e1", "a1", "Checking", kT0) + "," + Account("e2", "a2", "Savings", kT0));
  rapidjson::Document tenants = Json(Get("/api/v1/tenants").body);
  ASSERT_EQ(tenants["items"].Size(), 1u);
  const rapidjson::Value& t = tenants["items"][0];
  EXPECT_EQ(Str(t, "tenant_id"), "t1");
  EXPECT_EQ(Int(t["entities"], "Account"), 2);
  EXPECT_EQ(Int(t, "connections"), 2);
  EXPECT_GT(Int(t, "last_sync_ms"), 0);

  rapidjson::Document found = Json(Get("/api/v1/tenants/t1/entities?q=sav").body);
  ASSERT_EQ(Int(found, "total"), 1);
  EXPECT_EQ(Str(found["items"][0], "entity_id"), "a2");
  EXPECT_EQ(Int(Json(Get("/api/v1/tenants/t1/entities?q=a1").body), "total"), 1);
  EXPECT_EQ(Int(Json(Get("/api/v1/tenants/t1/entities?q=%25").body), "total"), 0);  // literal %
  EXPECT_EQ(Get("/api/v1/tenants/t1/entities/Account/zzz").status, 404);

  rapidjson::Document overview = Json(Get("/api/v1/overview").body);
  EXPECT_EQ(Str(overview["health"], "status"), "ok");
  EXPECT_EQ(Int(overview["totals"], "applied"), 2);
  rapidjson::Document history = Json(Get("/api/v1/metrics/history").body);
  EXPECT_GE(history["points"].Size(), 1u);
  EXPECT_EQ(Get("/api/v1/metrics/history?minutes=0").status, 400);
}

TEST_F(ConsoleRoutesTest, EventsStreamTheOverviewEveryTwoSeconds) {
  EventClient client(server_->port());
  std::string head = client.Head(std::chrono::seconds(5));
  EXPECT_EQ(head.rfind("http/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("content-type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("cache-control: no-cache"), std::string::npos) << head;
  EXPECT_NE(head.find("transfer-encoding: chunked"), std::string::npos) << head;

  // The first event comes at once, the next about 2 s later.
  auto t0 = std::chrono::steady_clock::now();
  rapidjson::Document first = Json(client.NextData(std::chrono::seconds(3)));
  EXPECT_EQ(client.last_event(), "overview");
  ASSERT_TRUE(first.IsObject());
  EXPECT_EQ(Str(first["health"], "status"), "ok");
  EXPECT_EQ(Int(first["totals"], "received"), 0);
  EXPECT_TRUE(first.HasMember("queue") && first.HasMember("point") && first.HasMember("batch"));

  SubmitAndWait(Account("s1", "a1", "One", kT0) + "," + Account("s2", "a2", "Two", kT0 + 1) + "," +
                Account("s3", "a3", "Three", kT0 + 2));
  // The events after the entries say so (the one in between may not yet).
  int64_t received = 0;
  int64_t streams = 0;
  for (int i = 0; i < 3 && received != 3; ++i) {
    rapidjson::Document next = Json(client.NextData(std::chrono::seconds(4)));
    ASSERT_TRUE(next.IsObject());
    EXPECT_EQ(client.last_event(), "overview");
    received = Int(next["totals"], "received");
    streams = Int(next, "event_streams");
  }
  EXPECT_EQ(received, 3);
  EXPECT_EQ(streams, 1);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(1500));  // pushed every 2 s, not faster

  // The same numbers as GET /api/v1/overview.
  rapidjson::Document overview = Json(Get("/api/v1/overview").body);
  EXPECT_EQ(Int(overview["totals"], "received"), 3);
  EXPECT_EQ(Int(overview, "event_streams"), 1);
}

TEST_F(ConsoleRoutesTest, EventsDropAClientThatLeaves) {
  auto streams = [&] { return Int(Json(Get("/api/v1/overview").body), "event_streams"); };
  auto wait_for = [&](int64_t want) {
    for (int i = 0; i < 80 && streams() != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return streams();
  };
  {
    EventClient a(server_->port());
    EventClient b(server_->port());
    ASSERT_FALSE(a.NextData(std::chrono::seconds(3)).empty());
    ASSERT_FALSE(b.NextData(std::chrono::seconds(3)).empty());
    EXPECT_EQ(wait_for(2), 2);
    a.Close();
    EXPECT_EQ(wait_for(1), 1);                                  // within one round (2 s)
    EXPECT_FALSE(b.NextData(std::chrono::seconds(4)).empty());  // the other one goes on
  }
  EXPECT_EQ(wait_for(0), 0);
  EXPECT_EQ(Get("/health").status, 200);  // the server keeps serving
}

TEST_F(ConsoleRoutesTest, EventsFollowCorsLikeOtherGets) {
  EventClient foreign(server_->port(), "Origin: http://elsewhere.example\r\n");
  std::string head = foreign.Head(std::chrono::seconds(5));
  EXPECT_EQ(head.rfind("http/1.1 200", 0), 0u) << head;
  EXPECT_EQ(head.find("access-control-allow-origin"), std::string::npos) << head;
  EXPECT_NE(head.find("vary: origin"), std::string::npos) << head;
}

TEST_F(ConsoleRoutesTest, EventsEndWhenTheServerStopsWithoutHanging) {
  EventClient a(server_->port());
  EventClient b(server_->port());
  ASSERT_FALSE(a.NextData(std::chrono::seconds(3)).empty());
  ASSERT_FALSE(b.NextData(std::chrono::seconds(3)).empty());
  auto t0 = std::chrono::steady_clock::now();
  server_->BeginShutdown();
  EXPECT_EQ(Get("/api/v1/events").status, 503);  // no new streams while stopping
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_TRUE(a.Ended(std::chrono::seconds(2)));
  EXPECT_TRUE(b.Ended(std::chrono::seconds(2)));
}

}  // namespace
}  // namespace syncd::api
