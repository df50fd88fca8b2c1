// End-to-end: keep-alive (protocol.md, Connecting). The server pings every
// --ws-ping-interval-s and closes (1001) a connection that has not answered
// within --ws-pong-timeout-s; its result stays durable and a resend on a new
// connection gets it. A client that answers (websocketpp does, as browsers
// do) stays open. And a peer that goes away mid-write is not "fatal" in the
// server's log.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "raw_socket.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using test::Millis;

constexpr int kPingOpcode = 0x9;
constexpr int kCloseOpcode = 0x8;
constexpr int kTextOpcode = 0x1;

class WsKeepAliveTest : public E2eTest {
 protected:
  static constexpr int kIntervalS = 1;
  static constexpr int kTimeoutS = 1;

  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    StopApp();
    app::Options options = MakeOptions();
    options.ws_ping_interval_s = kIntervalS;
    options.ws_pong_timeout_s = kTimeoutS;
    StartApp(options);
  }

  // A raw connection of `tenant` past its upgrade and status online.
  std::unique_ptr<RawSocket> OpenRaw(const std::string& tenant) {
    auto raw = std::make_unique<RawSocket>(app_->ws_port());
    EXPECT_TRUE(raw->ok());
    EXPECT_TRUE(raw->SendAll(RawSocket::UpgradeRequest("/ws/" + tenant)));
    EXPECT_EQ(raw->ReadHttp().status, 101);
    RawFrame online = raw->ReadFrame();
    EXPECT_EQ(online.opcode, kTextOpcode);
    EXPECT_NE(online.payload.find("online"), std::string::npos) << online.payload;
    return raw;
  }
};

TEST_F(WsKeepAliveTest, APeerThatNeverAnswersPingsIsClosedAndItsResultIsReplayedLater) {
  test::WsClient* answering = Open("tenant-a");  // answers pings by itself
  ASSERT_NE(answering, nullptr);
  std::unique_ptr<RawSocket> silent = OpenRaw("tenant-a");
  auto opened = Clock::now();
  std::string entry = test::EntryJson("k1", "tenant-a", "Account", "acc-1", "create",
                                      test::AccountPayload("Kept"), NowMs());
  ASSERT_TRUE(silent->SendAll(RawSocket::ClientFrame(kTextOpcode, test::SyncEntryMessage(entry))));

  // Read everything, answer nothing: its ack, a ping, then the close.
  bool pinged = false;
  RawFrame frame;
  auto limit = Millis((kIntervalS + kTimeoutS) * 1000 + 1500);
  while (Clock::now() - opened < limit) {
    frame = silent->ReadFrame(Millis(500));
    if (frame.opcode == kPingOpcode) pinged = true;
    if (frame.opcode == kCloseOpcode) break;
  }
  auto closed_after = Clock::now() - opened;
  EXPECT_TRUE(pinged);
  ASSERT_EQ(frame.opcode, kCloseOpcode) << "no close within interval + timeout";
  ASSERT_GE(frame.payload.size(), 2u);
  int code = (static_cast<uint8_t>(frame.payload[0]) << 8) | static_cast<uint8_t>(frame.payload[1]);
  EXPECT_EQ(code, 1001);
  // Not before the peer had its interval and timeout to answer.
  EXPECT_GE(closed_after, Millis((kIntervalS + kTimeoutS) * 1000 - 100));
  EXPECT_TRUE(silent->WaitEnd(Millis(5000)));

  // The client that answers was pinged as often and is still served.
  EXPECT_FALSE(answering->closed());
  EXPECT_TRUE(test::FlushWithPing(answering, nullptr));

  // The closed client's entry was applied; a resend on a new connection is
  // answered with the stored result.
  test::WsClient* again = Open("tenant-a");
  ASSERT_NE(again, nullptr);
  rapidjson::Document replay = SendEntry(again, "k1", entry);
  EXPECT_EQ(test::GetString(replay, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(replay, "outcome"), "applied");
  ASSERT_TRUE(replay.HasMember("duplicate") && replay["duplicate"].IsBool());
  EXPECT_TRUE(replay["duplicate"].GetBool());
}

TEST_F(WsKeepAliveTest, APeerThatAnswersPingsStaysOpen) {
  std::unique_ptr<RawSocket> raw = OpenRaw("tenant-a");
  auto opened = Clock::now();
  int pongs = 0;
  // Three pings answered: past several interval + timeout periods.
  while (pongs < 3 && Clock::now() - opened < Millis(10000)) {
    RawFrame frame = raw->ReadFrame(Millis(3000));
    ASSERT_NE(frame.opcode, kCloseOpcode) << "closed although every ping was answered";
    if (frame.opcode == kPingOpcode) {
      ASSERT_TRUE(raw->SendAll(RawSocket::ClientFrame(0xA, frame.payload)));
      ++pongs;
    }
  }
  EXPECT_EQ(pongs, 3);
  ASSERT_TRUE(
      raw->SendAll(RawSocket::ClientFrame(kTextOpcode, R"({"type":"ping","timestamp":7})")));
  RawFrame pong;
  do {
    pong = raw->ReadFrame(Millis(3000));
    if (pong.opcode == kPingOpcode) raw->SendAll(RawSocket::ClientFrame(0xA, pong.payload));
  } while (pong.opcode == kPingOpcode);
  EXPECT_EQ(pong.opcode, kTextOpcode);
  EXPECT_NE(pong.payload.find("\"pong\""), std::string::npos) << pong.payload;
}

// A ping waits behind everything already queued for the connection. A
// client that reads a large load slowly but answers every ping it sees is
// alive: it stays open and gets the whole load, although the load takes
// several times interval + timeout to drain. (The server used to start the
// pong timeout when it queued the ping and closed such a client mid-load.)
TEST_F(WsKeepAliveTest, ASlowReaderThatAnswersThePingsItSeesGetsTheWholeLoad) {
  constexpr int kEntities = 20;
  constexpr int64_t kReadBytesPerS = 256 << 10;  // a ~2 MB load: ~8 s to read
  test::WsClient* writer = Open("tenant-a");
  ASSERT_NE(writer, nullptr);
  const std::string note(100 * 1000, 'n');
  const int64_t ts = NowMs();
  for (int i = 0; i < kEntities; ++i) {
    std::string id = "e-" + std::to_string(i);
    std::string payload = R"({"name":"tag-)" + std::to_string(i) + R"(","note":")" + note + "\"}";
    rapidjson::Document ack =
        SendEntry(writer, id,
                  test::EntryJson(id, "tenant-a", "Tag", "tag-" + std::to_string(i), "create",
                                  payload, ts + i));
    ASSERT_EQ(test::GetString(ack, "type"), "sync_ack");
  }

  RawSocket raw(app_->ws_port(), /*rcvbuf=*/16384);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.SendAll(RawSocket::UpgradeRequest("/ws/tenant-a")));
  ASSERT_EQ(raw.ReadHttp().status, 101);
  RawFrame online = raw.ReadFrame();
  ASSERT_EQ(online.opcode, kTextOpcode);
  auto opened = Clock::now();
  ASSERT_TRUE(raw.SendAll(RawSocket::ClientFrame(
      kTextOpcode, R"({"type":"request_initial_data","tenant_id":"tenant-a"})")));
  raw.ThrottleReads(kReadBytesPerS);

  // Read (slowly) until the load's last frame, answering every ping.
  std::string load;
  bool loading = false, complete = false;
  int pings = 0;
  while (!complete && Clock::now() - opened < Millis(60000)) {
    // A 1 MiB fragment alone takes ~4 s at this pace.
    RawFrame frame = raw.ReadFrame(Millis(20000));
    ASSERT_NE(frame.opcode, -1) << "connection ended or stalled after " << load.size()
                                << " bytes of the load";
    ASSERT_NE(frame.opcode, kCloseOpcode)
        << "closed mid-load after " << load.size() << " bytes and " << pings << " pings";
    if (frame.opcode == kPingOpcode) {
      ++pings;
      ASSERT_TRUE(raw.SendAll(RawSocket::ClientFrame(0xA, frame.payload)));
      continue;
    }
    if (frame.opcode == kTextOpcode && !loading) {
      if (frame.payload.find("initial_data_load") == std::string::npos) continue;
      loading = true;
    } else if (frame.opcode != 0 || !loading) {
      continue;
    }
    load += frame.payload;
    complete = frame.fin;
  }
  ASSERT_TRUE(complete) << load.size() << " bytes";
  // It took longer than the server waits for a pong (and than its close
  // would have waited before cutting the connection).
  EXPECT_GT(Clock::now() - opened, Millis((kIntervalS + kTimeoutS) * 1000 + 2000));
  rapidjson::Document d = test::ParseJson(load);
  ASSERT_FALSE(d.HasParseError());
  ASSERT_TRUE(d.HasMember("payload") && d["payload"].HasMember("tags") &&
              d["payload"]["tags"].IsArray());
  EXPECT_EQ(d["payload"]["tags"].Size(), static_cast<rapidjson::SizeType>(kEntities));

  // Still open and served; the ping that waited behind the load comes now
  // if it did not during it, and is answered.
  ASSERT_TRUE(raw.SendAll(RawSocket::ClientFrame(kTextOpcode, R"({"type":"ping","timestamp":7})")));
  RawFrame pong;
  do {
    pong = raw.ReadFrame(Millis(5000));
    if (pong.opcode == kPingOpcode) {
      ++pings;
      raw.SendAll(RawSocket::ClientFrame(0xA, pong.payload));
    }
  } while (pong.opcode == kPingOpcode);
  EXPECT_GE(pings, 1);
  EXPECT_EQ(pong.opcode, kTextOpcode);
  EXPECT_NE(pong.payload.find("\"pong\""), std::string::npos) << pong.payload;
}

// The real binary reads the interval from SYNCD_WS_PING_INTERVAL_S and the
// timeout from --ws-pong-timeout-s: a silent client is pinged after 1 s and
// closed (1001) 1 s later.
TEST(WsKeepAliveBinaryTest, TheBinaryTakesItsKeepAliveFromTheEnvironmentAndTheFlags) {
  test::TempDir dir;
  test::SyncdProcess syncd;
  ASSERT_TRUE(syncd.Start({"--db", dir.path() + "/syncd.db", "--ws-pong-timeout-s", "1"},
                          {{"SYNCD_WS_PING_INTERVAL_S", "1"}}))
      << syncd.error();
  RawSocket raw(syncd.ws_port());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.SendAll(RawSocket::UpgradeRequest("/ws/tenant-a")));
  ASSERT_EQ(raw.ReadHttp().status, 101);
  auto opened = Clock::now();
  std::vector<int> opcodes;
  RawFrame frame;
  while (Clock::now() - opened < Millis(5000) && frame.opcode != kCloseOpcode) {
    frame = raw.ReadFrame(Millis(500));
    if (frame.opcode >= 0) opcodes.push_back(frame.opcode);
  }
  EXPECT_EQ(opcodes, (std::vector<int>{kTextOpcode, kPingOpcode, kCloseOpcode}));
  EXPECT_LT(Clock::now() - opened, Millis(3500));
  EXPECT_EQ(syncd.Terminate(), 0);
}

// A browser reloading a page drops its socket while the server writes to it.
// The old server logged websocketpp's "[fatal] handle_write_frame error" for
// that; it is normal, and nothing of websocketpp's own log reaches stderr.
TEST(WsPeerGoneLogTest, APeerResettingWhileTheServerWritesIsNotLoggedAsFatal) {
  test::TempDir dir;
  test::SyncdProcess syncd;
  ASSERT_TRUE(syncd.Start({"--db", dir.path() + "/syncd.db"}, {})) << syncd.error();
  for (int round = 0; round < 3; ++round) {
    // A small receive buffer and many replies: the server's writes are still
    // pending when the reset arrives.
    RawSocket raw(syncd.ws_port(), /*rcvbuf=*/4096);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.SendAll(RawSocket::UpgradeRequest("/ws/tenant-a")));
    ASSERT_EQ(raw.ReadHttp().status, 101);
    std::string pings;
    for (int i = 0; i < 5000; ++i) {
      pings += RawSocket::ClientFrame(kTextOpcode,
                                      R"({"type":"ping","timestamp":)" + std::to_string(i) + "}");
    }
    ASSERT_TRUE(raw.SendAll(pings));
    linger reset{1, 0};  // close() sends RST
    ::setsockopt(raw.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    raw.Close();
  }
  // Every one of those connections is gone from the server's count.
  auto deadline = Clock::now() + Millis(10000);
  int64_t open = -1;
  while (Clock::now() < deadline) {
    test::HttpResponse r = test::HttpGet("127.0.0.1", syncd.http_port(), "/api/v1/queue/stats");
    rapidjson::Document d = test::ParseJson(r.body);
    open = r.status == 200 && d.IsObject() && d.HasMember("connections")
               ? d["connections"]["websocket"].GetInt64()
               : -1;
    if (open == 0) break;
  }
  EXPECT_EQ(open, 0);
  // And the server still serves.
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, syncd.ws_url("tenant-a")));
  EXPECT_TRUE(test::FlushWithPing(&client, nullptr));
  std::string err = syncd.stderr_text();
  EXPECT_EQ(err.find("[fatal]"), std::string::npos) << err;
  EXPECT_EQ(err.find("handle_write_frame"), std::string::npos) << err;
  EXPECT_EQ(syncd.Terminate(), 0);
}

}  // namespace
}  // namespace syncd::e2e
