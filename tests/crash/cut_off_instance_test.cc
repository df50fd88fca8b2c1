// Several instances (scale.md 2): an instance cut off from the database for
// longer than --instance-timeout-ms is presumed dead and its entries are
// taken over by another instance, which applies them. When the cut-off
// instance gets the database back it must not touch them again: not claim
// them back, not dead-letter what was applied meanwhile. The test puts a
// TCP proxy of its own between instance a and PostgreSQL and cuts it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::crash {
namespace {

using test::Millis;

// Forwards 127.0.0.1:port() to a PostgreSQL port until Cut(): then every
// open connection is closed and new ones are closed at once, until Mend().
class CuttableProxy {
 public:
  explicit CuttableProxy(int target) : target_(target) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CuttableProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    Cut();
    if (acceptor_.joinable()) acceptor_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (std::thread& t : pumps_) t.join();
  }
  CuttableProxy(const CuttableProxy&) = delete;
  CuttableProxy& operator=(const CuttableProxy&) = delete;

  int port() const { return port_; }
  void Cut() {
    std::lock_guard<std::mutex> lock(mu_);
    cut_ = true;
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  void Mend() {
    std::lock_guard<std::mutex> lock(mu_);
    cut_ = false;
  }

 private:
  void Accept() {
    while (!stopping_) {
      int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (cut_ || stopping_) {
        ::close(client);
        continue;
      }
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(target_));
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      open_.insert(client);
      open_.insert(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server); });
      pumps_.emplace_back([this, client, server] { Pump(server, client); });
    }
  }
  void Pump(int from, int to) {
    char buf[16384];
    while (true) {
      ssize_t n = ::recv(from, buf, sizeof(buf), 0);
      if (n <= 0 || ::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  int target_ = 0, port_ = 0, listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  bool cut_ = false;
  std::set<int> open_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

int PortOf(const std::string& url) {
  size_t colon = url.rfind(':');
  return std::atoi(url.c_str() + colon + 1);
}

// postgresql://u@127.0.0.1:PORT/db -> the same through 127.0.0.1:proxy.
std::string Through(const std::string& url, int proxy) {
  size_t colon = url.rfind(':');
  size_t slash = url.find('/', colon);
  return url.substr(0, colon + 1) + std::to_string(proxy) + url.substr(slash);
}

std::string EntryState(int http_port, const std::string& tenant, const std::string& id) {
  test::HttpResponse r =
      test::HttpRequest("127.0.0.1", http_port, "GET", "/api/v1/sync/entries/" + tenant + "/" + id);
  return test::GetString(test::ParseJson(r.body), "state");
}

int64_t Unfinished(int http_port) {
  test::HttpResponse r = test::HttpRequest("127.0.0.1", http_port, "GET", "/api/v1/queue/stats");
  rapidjson::Document s = test::ParseJson(r.body);
  return test::GetInt2(s, "depth", "in_flight") + test::GetInt2(s, "depth", "retry_wait") +
         test::GetInt2(s, "depth", "pending");
}

TEST(CutOffInstanceTest, AnInstanceBackFromACutLeavesTheEntriesOthersTookOver) {
  std::string url;
  SYNCD_POSTGRES_DATABASE_OR_SKIP(url);
  CuttableProxy proxy(PortOf(url));
  ASSERT_GT(proxy.port(), 0);
  constexpr const char* kTenant = "cut";
  constexpr int kEntries = 20;
  // a cannot apply anything (every apply commit fails) and retries slowly:
  // its entries stay unfinished, its own, until it gives up on them.
  test::SyncdProcess a;
  ASSERT_TRUE(a.Start({"--db", Through(url, proxy.port()), "--instance-id", "a", "--heartbeat-ms",
                       "100", "--instance-timeout-ms", "1000", "--max-attempts", "4",
                       "--retry-base-ms", "300", "--retry-max-ms", "600"},
                      {{"SYNCD_FAULT_COMMIT_RATE", "1"}, {"SYNCD_FAULT_SEED", "3"}}))
      << a.error();
  test::SyncdProcess b;
  ASSERT_TRUE(b.Start(
      {"--db", url, "--instance-id", "b", "--heartbeat-ms", "100", "--instance-timeout-ms", "1000"},
      {}))
      << b.error();
  {
    test::WsClient client;
    ASSERT_TRUE(test::ConnectOnline(client, a.ws_url(kTenant)));
    for (int i = 0; i < kEntries; ++i) {
      ASSERT_TRUE(client.Send(test::AccountEntryJson(kTenant, "c-" + std::to_string(i),
                                                     "acc-" + std::to_string(i), "create", "n", "g",
                                                     i, 1764130000000LL + i)));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Unfinished(a.http_port()) < kEntries && std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> ignored;
      ASSERT_TRUE(test::FlushWithPing(&client, &ignored));
    }
    ASSERT_EQ(Unfinished(a.http_port()), kEntries);
  }
  // a is cut off; b takes its entries over once a's heartbeat is a second
  // old, and applies them.
  proxy.Cut();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int done = 0;
  while (done < kEntries && std::chrono::steady_clock::now() < deadline) {
    done = 0;
    for (int i = 0; i < kEntries; ++i) {
      done += EntryState(b.http_port(), kTenant, "c-" + std::to_string(i)) == "done" ? 1 : 0;
    }
  }
  ASSERT_EQ(done, kEntries) << b.stderr_text();
  // a comes back. Whatever it still held it must leave alone: it says it
  // dropped its claims and reloads them once it is healthy again. Without
  // that, its retries (4 attempts, under a second apart) dead-letter the
  // entries b applied, well within the deadline.
  proxy.Mend();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         (a.stderr_text().find("its claims are dropped") == std::string::npos ||
          test::GetString(
              test::ParseJson(test::HttpRequest("127.0.0.1", a.http_port(), "GET", "/health").body),
              "status") != "ok")) {
  }
  for (int i = 0; i < kEntries; ++i) {
    EXPECT_EQ(EntryState(b.http_port(), kTenant, "c-" + std::to_string(i)), "done") << i;
  }
  EXPECT_EQ(a.Terminate(), 0) << a.stderr_text();
  EXPECT_EQ(b.Terminate(), 0);
}

}  // namespace
}  // namespace syncd::crash
