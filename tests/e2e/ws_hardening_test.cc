// End-to-end: the WebSocket server's defences (issue #8). A WsServer on a
// real pipeline and SQLite file, started here rather than through App so
// that its test hooks (reads that wait, sends that fail) can be set; real
// clients over TCP.
#include <gtest/gtest.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): POSIX mkdtemp is declared here

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.h"
#include "raw_socket.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"
#include "syncd/common/clock.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/wire/data_status.h"
#include "syncd/ws/ws_server.h"

namespace syncd::e2e {
namespace {

using test::Millis;

using std::chrono::steady_clock;

// Reads wait here while closed (test_before_read), so that a test knows
// which reads are in progress.
class ReadGate {
 public:
  void Close(const std::string& kind) {
    std::lock_guard<std::mutex> lock(mu_);
    closed_kinds_.push_back(kind);
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_kinds_.clear();
    cv_.notify_all();
  }
  void Before(const std::string& kind) {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_[kind];
    cv_.notify_all();
    cv_.wait(lock, [&] { return !IsClosed(kind); });
  }
  bool WaitEntered(const std::string& kind, int n, Millis timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return entered_[kind] >= n; });
  }
  int entered(const std::string& kind) {
    std::lock_guard<std::mutex> lock(mu_);
    return entered_[kind];
  }

 private:
  bool IsClosed(const std::string& kind) const {
    for (const std::string& k : closed_kinds_) {
      if (k == kind) return true;
    }
    return false;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> closed_kinds_;
  std::map<std::string, int> entered_;
};

class WsHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "syncd-hard-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    gate_.Open();
    clients_.clear();
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  ws::WsOptions DefaultOptions() {
    ws::WsOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.health_body = [this] {
      common::Status s = reads_->Ping();
      return std::string(s.ok() ? "{\"status\":\"healthy\"}" : "{\"status\":\"unhealthy\"}");
    };
    o.data_status_body = [this](const std::string& tenant,
                                const std::vector<domain::EntityType>& types) {
      std::vector<db::StoredEntity> entities;
      reads_->ListEntities(tenant, types, true, &entities);
      // The real body (asyncapi.yaml checks every frame the tests receive).
      const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
      return wire::DataStatusJson(entities, types, tenant, /*last_sync_time_s=*/0, now_s,
                                  /*with_type_field=*/true);
    };
    o.test_before_read = [this](const std::string& kind) { gate_.Before(kind); };
    return o;
  }

  void Start(ws::WsOptions options) {
    db::SqliteOptions sqlite;
    sqlite.path = dir_ + "/syncd.db";
    sqlite.synchronous = "NORMAL";
    common::Status status;
    auto writes = db::OpenSqliteWriteStore(sqlite, &status);
    ASSERT_NE(writes, nullptr) << status.message();
    reads_ = db::OpenSqliteReadStore(sqlite, &status);
    ASSERT_NE(reads_, nullptr) << status.message();
    pipeline_ = std::make_unique<pipeline::Pipeline>(std::move(writes), pipeline::PipelineOptions{},
                                                     &clock_);
    server_ = std::make_unique<ws::WsServer>(std::move(options), pipeline_.get(), reads_.get());
    ASSERT_TRUE(pipeline_->Start().ok());
    common::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.message();
    port_ = server_->port();
  }

  void Stop() {
    if (!server_) return;
    server_->StopAccepting();
    pipeline_->Stop(3000);
    server_->Shutdown(1000);
    server_.reset();
    pipeline_.reset();
    reads_.reset();
  }

  std::string Url(const std::string& tenant) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + "/ws/" + tenant;
  }

  test::WsClient* Open(const std::string& tenant) {
    auto client = std::make_unique<test::WsClient>();
    test::ConnectResult r = client->Connect(Url(tenant));
    if (!r.ok) {
      ADD_FAILURE() << "connect failed: " << r.error << " (HTTP " << r.http_status << ")";
      return nullptr;
    }
    std::optional<std::string> first = client->Next();
    if (!first || first->find("online") == std::string::npos) {
      ADD_FAILURE() << "first frame is not status online: " << first.value_or("<none>");
      return nullptr;
    }
    clients_.push_back(std::move(client));
    return clients_.back().get();
  }

  // `count` accounts in `tenant`, each with `pad` bytes of note, through
  // process_sync_batch on `c`; waits for every ack.
  static void Seed(test::WsClient* c, const std::string& tenant, int count, size_t pad = 0) {
    ASSERT_NE(c, nullptr);
    std::string note(pad, 'x');
    int64_t ts = NowMs();
    // At most 1000 entries (the protocol's limit) and ~600 KB per batch.
    int per_batch = std::clamp<int>(static_cast<int>(600000 / (pad + 300)), 1, 1000);
    for (int start = 0; start < count; start += per_batch) {
      std::string batch = "{\"type\":\"process_sync_batch\",\"entries\":[";
      int end = std::min(count, start + per_batch);
      for (int i = start; i < end; ++i) {
        if (i > start) batch += ",";
        std::string payload = "{\"name\":\"account " + std::to_string(i) +
                              "\",\"accountGroupId\":\"g1\",\"note\":\"" + note + "\"}";
        batch += test::EntryJson("seed-" + std::to_string(i), tenant, "account",
                                 "acc-" + std::to_string(i), "create", payload, ts);
      }
      batch += "]}";
      ASSERT_TRUE(c->Send(batch));
      for (int i = start; i < end; ++i) {
        auto ack = c->WaitFor([](const rapidjson::Document& d) { return IsType(d, "sync_ack"); },
                              Millis(20000));
        ASSERT_TRUE(ack.has_value()) << "no ack for seed entry " << i;
      }
    }
  }

  static bool SendPing(test::WsClient* c, int64_t ts) {
    return c != nullptr && c->Send("{\"type\":\"ping\",\"timestamp\":" + std::to_string(ts) + "}");
  }

  static std::optional<std::string> WaitPong(test::WsClient* c, int64_t ts, Millis timeout,
                                             std::vector<std::string>* skipped = nullptr) {
    return c->WaitFor(
        [ts](const rapidjson::Document& d) {
          return IsType(d, "pong") && d.HasMember("timestamp") && d["timestamp"].IsInt64() &&
                 d["timestamp"].GetInt64() == ts;
        },
        timeout, skipped);
  }

  std::string dir_;
  int port_ = 0;
  ReadGate gate_;
  common::SystemClock clock_;
  std::unique_ptr<db::ReadStore> reads_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<ws::WsServer> server_;
  std::vector<std::unique_ptr<test::WsClient>> clients_;
};

// --- 2. A send that fails closes the connection ---------------------------

TEST_F(WsHardeningTest, FailedSendClosesTheConnectionWith1011AndLogsOnce) {
  ws::WsOptions o = DefaultOptions();
  o.test_refuse_send = [](const std::string& json) {
    return json.find("\"type\":\"pong\"") != std::string::npos;
  };
  Start(std::move(o));
  test::WsClient* c = Open("t1");
  ASSERT_NE(c, nullptr);
  testing::internal::CaptureStderr();
  ASSERT_TRUE(SendPing(c, 7));
  bool closed = c->WaitClosed(Millis(5000));
  std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(closed) << "a reply that could not be sent left the connection open";
  EXPECT_EQ(c->close_code(), 1011);
  EXPECT_NE(log.find("send failed on connection"), std::string::npos) << log;
  EXPECT_EQ(log.find("pong"), std::string::npos) << "the payload must not be logged: " << log;
  // Other connections go on.
  test::WsClient* other = Open("t1");
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(SendPing(other, 8));
  EXPECT_FALSE(WaitPong(other, 8, Millis(2000)).has_value())
      << "pong is refused on every connection in this test";
}

TEST_F(WsHardeningTest, AnAckThatCouldNotBeSentRecordsNoLatency) {
  ws::WsOptions o = DefaultOptions();
  o.test_refuse_send = [](const std::string& json) {
    return json.find("\"type\":\"sync_ack\"") != std::string::npos;
  };
  Start(std::move(o));
  test::WsClient* c = Open("t1");
  ASSERT_NE(c, nullptr);
  testing::internal::CaptureStderr();
  ASSERT_TRUE(c->Send(test::SyncEntryMessage(
      test::EntryJson("e1", "t1", "account", "a1", "create", test::AccountPayload("A"), NowMs()))));
  bool closed = c->WaitClosed(Millis(5000));
  testing::internal::GetCapturedStderr();
  ASSERT_TRUE(closed);
  EXPECT_EQ(c->close_code(), 1011);
  EXPECT_EQ(pipeline_->metrics().Take().latency_count, 0)
      << "an ack that never reached the socket was counted as answered";
}

// --- 4a. Connection cap ----------------------------------------------------

TEST_F(WsHardeningTest, UpgradeBeyondMaxConnectionsGets503UntilOneCloses) {
  ws::WsOptions o = DefaultOptions();
  o.max_connections = 3;
  Start(std::move(o));
  std::vector<test::WsClient*> open;
  open.reserve(3);
  for (int i = 0; i < 3; ++i) open.push_back(Open("t1"));
  for (test::WsClient* c : open) ASSERT_NE(c, nullptr);

  RawSocket extra(port_);
  ASSERT_TRUE(extra.ok());
  ASSERT_TRUE(extra.SendAll(RawSocket::UpgradeRequest("/ws/t1")));
  RawHttpAnswer answer = extra.ReadHttp();
  EXPECT_EQ(answer.status, 503) << answer.headers;
  rapidjson::Document body = test::ParseJson(answer.body);
  ASSERT_FALSE(body.HasParseError()) << answer.body;
  EXPECT_EQ(test::GetString(body["error"], "code"), "too_many_connections");
  EXPECT_FALSE(test::GetString(body["error"], "message").empty());

  open[0]->Close();
  ASSERT_TRUE(open[0]->WaitClosed());
  auto deadline = steady_clock::now() + std::chrono::seconds(5);
  while (server_->connections() > 2 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(10));
  }
  EXPECT_EQ(server_->connections(), 2);
  EXPECT_NE(Open("t1"), nullptr) << "a place freed by a close is available again";
}

// --- 6. Reads off the Asio thread ------------------------------------------

TEST_F(WsHardeningTest, PingIsAnsweredWhileEightLargeLoadsAreInProgress) {
  Start(DefaultOptions());
  Seed(Open("big"), "big", 5000);
  gate_.Close("initial_data");
  std::vector<test::WsClient*> loaders;
  for (int i = 0; i < 8; ++i) {
    test::WsClient* c = Open("big");
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Send("{\"type\":\"request_initial_data\"}"));
    loaders.push_back(c);
  }
  // Both reader threads are inside a read (and six reads wait their turn).
  ASSERT_TRUE(gate_.WaitEntered("initial_data", 2, Millis(5000)));
  test::WsClient* pinger = Open("big");
  ASSERT_NE(pinger, nullptr) << "a new connection must open while reads are in progress";
  ASSERT_TRUE(SendPing(pinger, 99));
  EXPECT_TRUE(WaitPong(pinger, 99, Millis(3000)).has_value())
      << "the pong waited for the database reads";
  gate_.Open();
  for (test::WsClient* c : loaders) {
    auto load = c->WaitFor(
        [](const rapidjson::Document& d) { return IsType(d, "initial_data_load"); }, Millis(30000));
    ASSERT_TRUE(load.has_value());
    rapidjson::Document d = test::ParseJson(*load);
    EXPECT_EQ(d["total_count"].GetInt64(), 5000);
  }
}

TEST_F(WsHardeningTest, TwoReadsOnOneConnectionAreAnsweredInRequestOrder) {
  Start(DefaultOptions());
  test::WsClient* c = Open("t1");
  ASSERT_NE(c, nullptr);
  Seed(c, "t1", 10);
  // The first read is held; the second could overtake it on the other
  // reader thread if the server let it.
  gate_.Close("initial_data");
  ASSERT_TRUE(c->Send("{\"type\":\"request_initial_data\"}"));
  ASSERT_TRUE(gate_.WaitEntered("initial_data", 1, Millis(5000)));
  ASSERT_TRUE(c->Send("{\"type\":\"data_status_request\"}"));
  ASSERT_TRUE(SendPing(c, 5));
  std::vector<std::string> before_pong;
  ASSERT_TRUE(WaitPong(c, 5, Millis(3000), &before_pong).has_value())
      << "a ping is not held behind the connection's reads";
  EXPECT_TRUE(before_pong.empty()) << before_pong.front().substr(0, 200);
  EXPECT_FALSE(c->Next(Millis(300)).has_value()) << "the second read overtook the first";
  gate_.Open();
  auto first = c->Next(Millis(10000));
  auto second = c->Next(Millis(10000));
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(IsType(test::ParseJson(*first), "initial_data_load")) << first->substr(0, 200);
  EXPECT_TRUE(IsType(test::ParseJson(*second), "data_status_response")) << *second;
}

TEST_F(WsHardeningTest, ReadsBeyondTheConnectionBoundAreAnsweredBusy) {
  Start(DefaultOptions());
  test::WsClient* c = Open("t1");
  ASSERT_NE(c, nullptr);
  gate_.Close("initial_data");
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c->Send("{\"type\":\"request_initial_data\"}"));
  // 1 running + 3 waiting; the 5th and 6th are refused at once.
  for (int i = 0; i < 2; ++i) {
    auto busy = c->Next(Millis(3000));
    ASSERT_TRUE(busy.has_value());
    rapidjson::Document d = test::ParseJson(*busy);
    EXPECT_TRUE(IsType(d, "error")) << *busy;
    EXPECT_EQ(test::GetString(d, "code"), "busy") << *busy;
    EXPECT_EQ(test::GetString(d, "original_type"), "request_initial_data") << *busy;
  }
  gate_.Open();
  for (int i = 0; i < 4; ++i) {
    auto load = c->Next(Millis(10000));
    ASSERT_TRUE(load.has_value());
    EXPECT_TRUE(IsType(test::ParseJson(*load), "initial_data_load")) << load->substr(0, 200);
  }
  EXPECT_FALSE(c->Next(Millis(300)).has_value());
}

TEST_F(WsHardeningTest, HealthOnTheWebSocketPortDoesNotBlockTheLoop) {
  Start(DefaultOptions());
  test::WsClient* c = Open("t1");
  ASSERT_NE(c, nullptr);
  gate_.Close("health");
  std::thread health([this] { test::HttpGet("127.0.0.1", port_, "/health", Millis(10000)); });
  ASSERT_TRUE(gate_.WaitEntered("health", 1, Millis(5000)));
  ASSERT_TRUE(SendPing(c, 3));
  EXPECT_TRUE(WaitPong(c, 3, Millis(3000)).has_value());
  gate_.Open();
  health.join();
}

// Over the budget of all connections' unsent bytes, the connection holding
// the most is closed; a reading client is not.
TEST_F(WsHardeningTest, AClientThatDoesNotReadIsClosedOverTheServerWideBudget) {
  ws::WsOptions o = DefaultOptions();
  o.max_buffered_total_bytes = 2 << 20;
  o.test_before_read = nullptr;
  Start(std::move(o));
  test::WsClient* reader = Open("big");
  ASSERT_NE(reader, nullptr);
  Seed(reader, "big", 300, 4000);  // a load of ~1.3 MB
  RawSocket lazy(port_, /*rcvbuf=*/4096);
  ASSERT_TRUE(lazy.SendAll(RawSocket::UpgradeRequest("/ws/big")));
  ASSERT_EQ(lazy.ReadHttp().status, 101);
  ASSERT_EQ(lazy.ReadFrame().opcode, 1);  // status online: the server counts it
  testing::internal::CaptureStderr();
  // Loads of 1.3 MB, one every 50 ms, more than the kernel's socket buffers
  // hold: the rest waits in the server.
  auto deadline = steady_clock::now() + std::chrono::seconds(15);
  for (int i = 0; i < 40 && server_->connections() > 1; ++i) {
    lazy.SendAll(RawSocket::ClientFrame(1, "{\"type\":\"request_initial_data\"}"), Millis(1000));
    std::this_thread::sleep_for(Millis(50));
  }
  while (server_->connections() > 1 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(20));
  }
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(server_->connections(), 1) << "the client that does not read is still connected";
  EXPECT_NE(log.find("closed (1008)"), std::string::npos) << log;
  ASSERT_TRUE(SendPing(reader, 11));
  EXPECT_TRUE(WaitPong(reader, 11, Millis(3000)).has_value());
  ASSERT_TRUE(reader->Send("{\"type\":\"request_initial_data\"}"));
  EXPECT_TRUE(
      reader->WaitFor([](const rapidjson::Document& d) { return IsType(d, "initial_data_load"); })
          .has_value());
}

// --- 8. A frame over the limit ends with a close frame the client reads ----

TEST_F(WsHardeningTest, OversizedFrameIsClosedWith1009Reliably) {
  Start(DefaultOptions());
  const std::string big(2 << 20, 'a');
  const std::string frame = RawSocket::ClientFrame(1, big);
  for (int run = 0; run < 20; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    // A small send buffer: the frame cannot hide in kernel buffers, as with
    // a client on a real network.
    RawSocket s(port_, 0, /*sndbuf=*/65536);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s.SendAll(RawSocket::UpgradeRequest("/ws/t1")));
    ASSERT_EQ(s.ReadHttp().status, 101);
    RawFrame online = s.ReadFrame();
    ASSERT_EQ(online.opcode, 1);
    // In four writes, as a client library does for a large frame; a write
    // that fails means the server reset the connection (a client sees 1006).
    const size_t quarter = frame.size() / 4;
    for (int part = 0; part < 4; ++part) {
      size_t from = part * quarter;
      size_t n = part == 3 ? frame.size() - from : quarter;
      ASSERT_TRUE(s.SendAll(frame.substr(from, n)))
          << "connection reset while sending, part " << part;
    }
    RawFrame close = s.ReadFrame(Millis(10000));
    ASSERT_EQ(close.opcode, 8) << "no close frame (a client would report 1006)";
    ASSERT_GE(close.payload.size(), 2u);
    int code =
        (static_cast<uint8_t>(close.payload[0]) << 8) | static_cast<uint8_t>(close.payload[1]);
    EXPECT_EQ(code, 1009);
    // The client answers the close and the server ends the TCP connection.
    s.SendAll(RawSocket::ClientFrame(8, close.payload.substr(0, 2)));
    EXPECT_TRUE(s.WaitEnd(Millis(5000)));
  }
}

// --- 11. Browsers: Origin on upgrades, CORS on the port's HTTP routes -------

TEST_F(WsHardeningTest, UpgradeFromAnOriginNotAllowedGets403) {
  Start(DefaultOptions());  // default policy: loopback origins
  RawSocket evil(port_);
  ASSERT_TRUE(evil.SendAll(RawSocket::UpgradeRequest("/ws/secret-tenant", "https://evil.example")));
  RawHttpAnswer answer = evil.ReadHttp();
  EXPECT_EQ(answer.status, 403);
  rapidjson::Document body = test::ParseJson(answer.body);
  ASSERT_FALSE(body.HasParseError()) << answer.body;
  EXPECT_EQ(test::GetString(body["error"], "code"), "forbidden_origin");
  EXPECT_EQ(answer.body.find("secret-tenant"), std::string::npos) << answer.body;

  RawSocket local(port_);
  ASSERT_TRUE(local.SendAll(RawSocket::UpgradeRequest("/ws/t1", "http://localhost:5173")));
  EXPECT_EQ(local.ReadHttp().status, 101);

  RawSocket no_browser(port_);
  ASSERT_TRUE(no_browser.SendAll(RawSocket::UpgradeRequest("/ws/t1")));
  EXPECT_EQ(no_browser.ReadHttp().status, 101);
}

TEST_F(WsHardeningTest, AnyOriginPolicyAcceptsEveryOrigin) {
  ws::WsOptions o = DefaultOptions();
  std::string error;
  o.origins = *common::OriginPolicy::Parse("*", &error);
  Start(std::move(o));
  RawSocket s(port_);
  ASSERT_TRUE(s.SendAll(RawSocket::UpgradeRequest("/ws/t1", "https://app.example.com")));
  EXPECT_EQ(s.ReadHttp().status, 101);
}

RawHttpAnswer HttpWithOrigin(int port, const std::string& method, const std::string& origin) {
  RawSocket s(port);
  std::string request = method + " /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!origin.empty()) request += "Origin: " + origin + "\r\n";
  if (method == "OPTIONS") request += "Access-Control-Request-Method: GET\r\n";
  s.SendAll(request + "\r\n");
  return s.ReadHttp();
}

std::string Header(const RawHttpAnswer& a, const std::string& name) {
  std::string lower = a.headers, key = "\r\n" + name + ":";
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t at = lower.find(key);
  if (at == std::string::npos) return "";
  size_t from = at + key.size();
  size_t end = a.headers.find("\r\n", from);
  std::string value = a.headers.substr(from, end - from);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

TEST_F(WsHardeningTest, HealthAnswersCorsOnlyForAllowedOrigins) {
  Start(DefaultOptions());
  RawHttpAnswer allowed = HttpWithOrigin(port_, "GET", "http://localhost:3000");
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(Header(allowed, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(Header(allowed, "Vary"), "Origin");

  RawHttpAnswer denied = HttpWithOrigin(port_, "GET", "https://evil.example");
  EXPECT_EQ(Header(denied, "Access-Control-Allow-Origin"), "") << denied.headers;

  RawHttpAnswer preflight = HttpWithOrigin(port_, "OPTIONS", "http://127.0.0.1:8080");
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(Header(preflight, "Access-Control-Allow-Origin"), "http://127.0.0.1:8080");
  EXPECT_EQ(Header(preflight, "Access-Control-Allow-Headers"),
            "Content-Type, Authorization, X-Tenant-Id, X-User-Id");
  EXPECT_NE(Header(preflight, "Access-Control-Allow-Methods").find("GET"), std::string::npos);

  RawHttpAnswer denied_preflight = HttpWithOrigin(port_, "OPTIONS", "https://evil.example");
  EXPECT_EQ(Header(denied_preflight, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(Header(denied_preflight, "Access-Control-Allow-Headers"), "");
}

TEST_F(WsHardeningTest, HealthWithAnyOriginPolicySaysStar) {
  ws::WsOptions o = DefaultOptions();
  std::string error;
  o.origins = *common::OriginPolicy::Parse("*", &error);
  Start(std::move(o));
  RawHttpAnswer a = HttpWithOrigin(port_, "GET", "https://app.example.com");
  EXPECT_EQ(Header(a, "Access-Control-Allow-Origin"), "*");
}

}  // namespace
}  // namespace syncd::e2e
