// End-to-end: a client that does not read its replies. Once more than
// --ws-max-buffered-bytes are queued unsent to it, the server closes that
// connection (1008, "client too slow") instead of buffering without bound;
// the process's memory stays bounded and other clients keep working. A client
// that does read gets every reply under the same small cap.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"

#if defined(__SANITIZE_ADDRESS__)
#define SYNCD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNCD_TEST_ASAN 1
#endif
#endif
#ifdef SYNCD_TEST_ASAN
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

namespace syncd::e2e {
namespace {

using test::Millis;

constexpr int64_t kCapBytes = 256 << 10;
constexpr int kEntities = 300;
constexpr size_t kNoteBytes = 1000;
constexpr int kSlowRequests = 200;
const std::string kTenant = "slow-tenant";

using Clock = std::chrono::steady_clock;

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 when absent.
int64_t ProcStatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size() + 1, field + ":") == 0) {
      return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0). false when not permitted.
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// Polls `condition` until it holds or `timeout` passes; `on_poll` runs on each round.
bool PollUntil(
    const std::function<bool()>& condition, Millis timeout,
    const std::function<void()>& on_poll = [] {}) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    on_poll();
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(20));
  }
}

// A WebSocket client spoken by hand over a plain TCP socket, so the test
// decides exactly when (and whether) replies are read.
class RawWsClient {
 public:
  ~RawWsClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Connects with a small receive buffer and reads the handshake response
  // byte by byte up to its blank line, nothing after it.
  bool Connect(int port, const std::string& path, int rcvbuf, std::string* error) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return Fail(error, "socket");
    // Before connect(): the window scale is negotiated in the handshake.
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0) {
      return Fail(error, "SO_RCVBUF");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return Fail(error, "connect");
    }
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";
    if (!SendAll(request)) return Fail(error, "send handshake");
    std::string head;
    auto deadline = Clock::now() + Millis(5000);
    while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
        return Fail(error, "no handshake response: " + head);
      }
      char c;
      if (::recv(fd_, &c, 1, 0) != 1) return Fail(error, "handshake response cut: " + head);
      head.push_back(c);
    }
    if (head.compare(0, 12, "HTTP/1.1 101") != 0) return Fail(error, "not upgraded: " + head);
    return true;
  }

  // One masked text frame (RFC 6455, 5.3).
  bool SendText(const std::string& text) {
    std::string frame;
    frame.push_back(static_cast<char>(0x81));
    if (text.size() < 126) {
      frame.push_back(static_cast<char>(0x80 | text.size()));
    } else {
      frame.push_back(static_cast<char>(0x80 | 126));
      frame.push_back(static_cast<char>((text.size() >> 8) & 0xFF));
      frame.push_back(static_cast<char>(text.size() & 0xFF));
    }
    unsigned char mask[4];
    for (unsigned char& m : mask) m = static_cast<unsigned char>(rng_());
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < text.size(); ++i) {
      frame.push_back(static_cast<char>(static_cast<unsigned char>(text[i]) ^ mask[i % 4]));
    }
    return SendAll(frame);
  }

  // Reads until the server ends the TCP connection or `timeout` passes;
  // true on EOF/reset. Records a close frame's code when one is seen.
  bool DrainUntilClosed(Millis timeout) {
    auto deadline = Clock::now() + timeout;
    std::vector<char> buf(1 << 16);
    for (;;) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n <= 0) return true;
      received_.append(buf.data(), static_cast<size_t>(n));
      ParseFrames();
    }
  }

  int close_code() const { return close_code_; }
  int text_frames() const { return text_frames_; }
  // Text frames that are initial_data_load answers.
  int load_frames() const { return load_frames_; }

 private:
  bool Fail(std::string* error, const std::string& what) {
    *error = what + " failed";
    return false;
  }

  bool SendAll(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Consumes whole unmasked server frames from received_.
  void ParseFrames() {
    for (;;) {
      if (received_.size() < 2) return;
      auto byte = [this](size_t i) { return static_cast<unsigned char>(received_[i]); };
      uint64_t len = byte(1) & 0x7F;
      size_t off = 2;
      if (len == 126) {
        if (received_.size() < 4) return;
        len = (uint64_t{byte(2)} << 8) | byte(3);
        off = 4;
      } else if (len == 127) {
        if (received_.size() < 10) return;
        len = 0;
        for (size_t i = 2; i < 10; ++i) len = (len << 8) | byte(i);
        off = 10;
      }
      if (received_.size() < off + len) return;
      int opcode = byte(0) & 0x0F;
      if (opcode == 0x1) ++text_frames_;
      constexpr std::string_view kLoad = R"({"type":"initial_data_load",)";
      if (opcode == 0x1 && received_.compare(off, kLoad.size(), kLoad) == 0) ++load_frames_;
      if (opcode == 0x8 && len >= 2) close_code_ = (byte(off) << 8) | byte(off + 1);
      received_.erase(0, off + len);
    }
  }

  int fd_ = -1;
  std::mt19937 rng_{12345};
  std::string received_;
  int close_code_ = 0;
  int text_frames_ = 0;
  int load_frames_ = 0;
};

class SlowClientTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    // The fixture started an App with default options; restart it on the
    // same (still empty) database with a small cap.
    StopApp();
    app::Options options = MakeOptions();
    options.ws_max_buffered_bytes = kCapBytes;
    StartApp(options);
  }

  // connections.websocket of GET /api/v1/queue/stats; -1 when unreadable.
  // connections.<name> of the queue statistics, or -1.
  int64_t ConnectionsStat(const char* name) {
    test::HttpResponse r =
        test::HttpGet(kHost, app_->http_port(), "/api/v1/queue/stats", Millis(2000));
    if (r.status != 200) return -1;
    rapidjson::Document d = test::ParseJson(r.body);
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("connections") ||
        !d["connections"].IsObject() || !d["connections"].HasMember(name) ||
        !d["connections"][name].IsInt64()) {
      return -1;
    }
    return d["connections"][name].GetInt64();
  }
  int64_t WsConnections() { return ConnectionsStat("websocket"); }
  int64_t SlowCloses() { return ConnectionsStat("closed_slow"); }

  // Stores kEntities tags with ~1 KB each for kTenant over `c` (pipelined)
  // and waits for every ack.
  void StoreLargeTenant(test::WsClient* c) {
    const std::string note(kNoteBytes, 'n');
    const int64_t ts = NowMs();
    for (int i = 0; i < kEntities; ++i) {
      std::string id = "e-" + std::to_string(i);
      std::string payload = R"({"name":"tag-)" + std::to_string(i) + R"(","note":")" + note + "\"}";
      ASSERT_TRUE(c->Send(test::SyncEntryMessage(test::EntryJson(
          id, kTenant, "Tag", "tag-" + std::to_string(i), "create", payload, ts + i))));
    }
    std::set<std::string> acked;
    while (acked.size() < static_cast<size_t>(kEntities)) {
      std::optional<std::string> frame = c->WaitFor(
          [](const rapidjson::Document& d) {
            return IsType(d, "sync_ack") || IsType(d, "sync_nack");
          },
          Millis(10000));
      ASSERT_TRUE(frame.has_value()) << "only " << acked.size() << " acks";
      rapidjson::Document d = test::ParseJson(*frame);
      ASSERT_TRUE(IsType(d, "sync_ack")) << *frame;
      EXPECT_EQ(test::GetString(d, "outcome"), "applied") << *frame;
      acked.insert(test::GetString(d, "id"));
    }
  }

  std::string RequestInitialData() const {
    return R"({"type":"request_initial_data","tenant_id":")" + kTenant + "\"}";
  }
};

TEST_F(SlowClientTest, ClientThatDoesNotReadIsClosedAndMemoryStaysBounded) {
  test::WsClient* normal = Open(kTenant);
  ASSERT_NE(normal, nullptr);
  StoreLargeTenant(normal);
  ASSERT_FALSE(HasFatalFailure());

  // One reply is larger than the cap: a single one cannot trip it alone
  // (only what is queued behind the one being written counts).
  std::string load_text;
  ASSERT_TRUE(normal->Send(RequestInitialData()));
  std::optional<std::string> load = normal->WaitFor(
      [](const rapidjson::Document& d) { return IsType(d, "initial_data_load"); }, Millis(5000));
  ASSERT_TRUE(load.has_value());
  rapidjson::Document load_doc = test::ParseJson(*load);
  ASSERT_NE(FindEntity(load_doc, "tags", "tag-299"), nullptr);
  const int64_t reply_bytes = static_cast<int64_t>(load->size());
  ASSERT_GT(reply_bytes, kCapBytes);

  ASSERT_TRUE(PollUntil([&] { return WsConnections() == 1; }, Millis(5000)))
      << "connections.websocket: " << WsConnections();

  const int64_t rss_before_kb = ProcStatusKb("VmRSS");
  ASSERT_GT(rss_before_kb, 0);
  const bool peak_reset = ResetPeakRss() && ProcStatusKb("VmHWM") <= rss_before_kb + 1024;
  int64_t rss_max_kb = rss_before_kb;
  auto sample_rss = [&] { rss_max_kb = std::max(rss_max_kb, ProcStatusKb("VmRSS")); };

  RawWsClient slow;
  std::string error;
  ASSERT_TRUE(slow.Connect(app_->ws_port(), "/ws_finwise/ws/" + kTenant, 4096, &error)) << error;
  ASSERT_TRUE(PollUntil([&] { return WsConnections() == 2; }, Millis(5000)))
      << "connections.websocket: " << WsConnections();
  int sent = 0;
  for (; sent < kSlowRequests; ++sent) {
    // A send may fail once the server has given up on the connection.
    if (!slow.SendText(RequestInitialData())) break;
    // Paced: a connection has at most 4 reads in progress and a burst would
    // mostly be answered `busy`; this way loads keep being queued for it.
    std::this_thread::sleep_for(Millis(10));
  }
  EXPECT_GT(sent, 3);

  // websocketpp waits up to its close handshake timeout (5 s) for a client
  // that does not read before it drops the TCP connection.
  const auto started = Clock::now();
  EXPECT_TRUE(PollUntil([&] { return WsConnections() == 1; }, Millis(15000), sample_rss))
      << "the slow connection is still open; connections.websocket: " << WsConnections();
  const auto closed_after = std::chrono::duration_cast<Millis>(Clock::now() - started).count();
  sample_rss();

  const int64_t peak_kb = peak_reset ? std::max(rss_max_kb, ProcStatusKb("VmHWM")) : rss_max_kb;
  const int64_t unbounded_kb = kSlowRequests * reply_bytes / 1024;
  // Under AddressSanitizer freed memory waits in its quarantine (256 MiB by
  // default), so RSS says nothing about what syncd buffers; the bound is
  // checked in the ordinary build.
  if (!kAddressSanitizer) {
    EXPECT_LT(peak_kb - rss_before_kb, 32 << 10)
        << "RSS grew from " << rss_before_kb << " KiB to " << peak_kb << " KiB; "
        << "buffering every reply would be ~" << unbounded_kb << " KiB";
  }

  // The server ended the TCP connection (after what it had already written).
  EXPECT_TRUE(slow.DrainUntilClosed(Millis(10000)));
  RecordProperty("slow_close_code", slow.close_code());
  RecordProperty("slow_text_frames", slow.text_frames());
  RecordProperty("slow_closed_after_ms", static_cast<int>(closed_after));
  RecordProperty("rss_growth_kb", static_cast<int>(peak_kb - rss_before_kb));
  // The server closed it for not reading (1008), whether or not the close
  // frame got through before the TCP connection was cut: its count says so.
  EXPECT_EQ(SlowCloses(), 1) << "queue stats connections.closed_slow";
  // When the close frame got through (the kernel absorbed what was written
  // before it), it says why too.
  if (slow.close_code() != 0) {
    EXPECT_EQ(slow.close_code(), 1008);
  }
  // Far fewer loads than requests reached the client (the others were
  // refused as `busy` or never sent).
  EXPECT_LT(slow.load_frames(), sent) << "close code " << slow.close_code();

  // The normal client is unaffected.
  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(normal, &before));
  EXPECT_FALSE(normal->closed());
  rapidjson::Document ack = SendEntry(normal, "after-1",
                                      test::EntryJson("after-1", kTenant, "Tag", "tag-after",
                                                      "create", R"({"name":"after"})", NowMs()));
  EXPECT_EQ(test::GetString(ack, "type"), "sync_ack");
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
  // And a fresh client is accepted.
  test::WsClient* fresh = Open(kTenant);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(test::FlushWithPing(fresh, &before));
}

TEST_F(SlowClientTest, ClientThatReadsGetsEveryReplyUnderTheSameCap) {
  test::WsClient* writer = Open(kTenant);
  ASSERT_NE(writer, nullptr);
  StoreLargeTenant(writer);
  ASSERT_FALSE(HasFatalFailure());

  test::WsClient* reader = Open(kTenant);
  ASSERT_NE(reader, nullptr);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    rapidjson::Document load = Request(reader, RequestInitialData(), "initial_data_load");
    ASSERT_TRUE(load.IsObject());
    ASSERT_NE(FindEntity(load, "tags", "tag-0"), nullptr);
    ASSERT_NE(FindEntity(load, "tags", "tag-299"), nullptr);
  }
  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(reader, &before));
  EXPECT_TRUE(before.empty());
  EXPECT_FALSE(reader->closed());
  EXPECT_FALSE(writer->closed());
  EXPECT_EQ(WsConnections(), 2);
  EXPECT_EQ(SlowCloses(), 0);  // nobody was closed for not reading
}

// connection_status measures health (it used to say true and count every
// connection): a connection with more than the cap queued unsent is reported
// unhealthy. The slow client asks one question at a time, polling after each.
TEST_F(SlowClientTest, AConnectionOverTheCapIsReportedUnhealthy) {
  test::WsClient* normal = Open(kTenant);
  ASSERT_NE(normal, nullptr);
  StoreLargeTenant(normal);
  ASSERT_FALSE(HasFatalFailure());

  // (connection_healthy, healthy_connections, total_connections) as `normal` is told.
  struct Health {
    bool self = false;
    int64_t healthy = -1, total = -1;
  };
  auto health = [&] {
    Health h;
    if (!normal->Send(R"({"type":"connection_status_request"})")) return h;
    std::optional<std::string> status = normal->WaitFor(
        [](const rapidjson::Document& d) { return IsType(d, "connection_status_response"); });
    if (!status) return h;
    rapidjson::Document d = test::ParseJson(*status);
    h.self = d["connection_healthy"].GetBool();
    h.healthy = d["stats"]["healthy_connections"].GetInt64();
    h.total = d["stats"]["total_connections"].GetInt64();
    return h;
  };

  RawWsClient slow;
  std::string error;
  ASSERT_TRUE(slow.Connect(app_->ws_port(), "/ws_finwise/ws/" + kTenant, 4096, &error)) << error;
  Health h = health();
  EXPECT_TRUE(h.self);
  EXPECT_EQ(h.healthy, 2);
  EXPECT_EQ(h.total, 2);

  bool unhealthy = false;
  for (int sent = 0; sent < kSlowRequests && !unhealthy; ++sent) {
    ASSERT_TRUE(slow.SendText(RequestInitialData()));
    // The slow request and these polls arrive on different sockets: poll a
    // few times so that the reply to it has been queued.
    for (int poll = 0; poll < 20 && !unhealthy; ++poll) {
      h = health();
      ASSERT_EQ(h.total, 2) << "the slow connection went away before it was seen over the cap";
      unhealthy = h.healthy == 1;
    }
  }
  ASSERT_TRUE(unhealthy) << "never reported over the cap";
  EXPECT_TRUE(h.self) << "the client that reads is healthy";
}

}  // namespace
}  // namespace syncd::e2e
