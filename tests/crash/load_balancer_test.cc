// The documented deployment is the tested one (docs/deploy.md): three syncd
// instances on one PostgreSQL database behind nginx, which ends TLS for
// wss:// and https:// with a certificate made here (self-signed, openssl
// CLI) and passes the WebSocket upgrade through. nginx runs
// deploy/nginx.conf, the very file docs/deploy.md shows, as a child process
// with a prefix of its own in a temporary folder on a free port. The
// clients verify the certificate (tls_client.h).
//
// Without nginx installed the test is skipped loudly, unless
// SYNCD_REQUIRE_NGINX=1 (scripts/test.sh installs it and sets that).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "tls_client.h"

#ifndef SYNCD_SOURCE_DIR
#error "SYNCD_SOURCE_DIR must name the source tree (deploy/nginx.conf, docs/deploy.md)"
#endif

namespace syncd::crash {
namespace {

using test::Millis;
using Clock = std::chrono::steady_clock;

constexpr const char* kTenant = "lb-tenant";
constexpr const char* kHost = "localhost";
constexpr int kInstances = 3;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Replace(std::string* text, const std::string& from, const std::string& to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at)) {
    text->replace(at, from.size(), to);
    at += to.size();
  }
}

std::string NginxBinary() {
  for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

// A port that was free a moment ago (nginx binds it next; a clash is retried).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// nginx in the foreground (daemon off) with its own prefix; SIGTERM at the end.
class Nginx {
 public:
  ~Nginx() { Stop(); }
  // Starts nginx on `main_conf`; true once it accepts TLS on `port`.
  bool Start(const std::string& binary, const std::string& prefix, const std::string& main_conf,
             int port, const std::string& ca) {
    std::vector<std::string> args = {binary,    "-p", prefix + "/",         "-c",
                                     main_conf, "-e", prefix + "/error.log"};
    std::vector<char*> argv = test::ExecPointers(args);
    const std::string log = prefix + "/stderr.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlives the test
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;  // it exited (a taken port, a config error)
      }
      test::TlsConnection probe(port, ca, kHost);
      if (probe.ok()) return true;
      std::this_thread::sleep_for(Millis(20));  // a poll's pace
    }
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class LoadBalancerTest : public ::testing::Test {
 protected:
  void SetUp() override { SYNCD_POSTGRES_DATABASE_OR_SKIP(url_); }
  void TearDown() override {
    if (!url_.empty()) test::DropPostgresDatabase(url_);
  }
  std::string url_;
};

TEST_F(LoadBalancerTest, ClientsReachThreeInstancesThroughNginxOverTls) {
  const std::string source = SYNCD_SOURCE_DIR;
  const std::string conf_template = ReadFile(source + "/deploy/nginx.conf");
  ASSERT_FALSE(conf_template.empty());
  // docs/deploy.md shows this very file, so the two cannot drift.
  EXPECT_NE(ReadFile(source + "/docs/deploy.md").find(conf_template), std::string::npos)
      << "docs/deploy.md must contain deploy/nginx.conf verbatim";

  const std::string nginx = NginxBinary();
  if (nginx.empty()) {
    const char* required = std::getenv("SYNCD_REQUIRE_NGINX");
    if (required != nullptr && std::string(required) == "1") FAIL() << "nginx is not installed";
    GTEST_SKIP() << "*** nginx SKIPPED: not installed (scripts/install-deps.sh --test)";
  }

  std::vector<std::unique_ptr<test::SyncdProcess>> servers;
  for (int k = 0; k < kInstances; ++k) {
    servers.push_back(std::make_unique<test::SyncdProcess>());
    ASSERT_TRUE(servers.back()->Start(
        {"--db", url_, "--instance-id", "lb" + std::to_string(k + 1), "--heartbeat-ms", "100"}, {}))
        << servers.back()->error();
  }

  // The certificate: self-signed for localhost and 127.0.0.1.
  test::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ::chmod(dir.path().c_str(), 0755);  // nginx's workers may run as another user
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const std::string openssl =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' >'" + dir.path() + "/openssl.log' 2>&1";
  ASSERT_EQ(std::system(openssl.c_str()), 0) << ReadFile(dir.path() + "/openssl.log");

  // deploy/nginx.conf with this run's ports and files, inside a main
  // configuration of the test's own (foreground, files in the folder).
  Nginx lb;
  int port = 0;
  bool started = false;
  for (int attempt = 0; attempt < 5 && !started; ++attempt) {
    port = FreePort();
    std::string conf = conf_template;
    Replace(&conf, "@LISTEN@", "127.0.0.1:" + std::to_string(port));
    Replace(&conf, "@SERVER_NAME@", kHost);
    Replace(&conf, "@CERTIFICATE@", cert);
    Replace(&conf, "@CERTIFICATE_KEY@", key);
    for (int k = 0; k < kInstances; ++k) {
      Replace(&conf, "@WS_" + std::to_string(k + 1) + "@", std::to_string(servers[k]->ws_port()));
      Replace(&conf, "@HTTP_" + std::to_string(k + 1) + "@",
              std::to_string(servers[k]->http_port()));
    }
    std::istringstream lines(conf);
    for (std::string line; std::getline(lines, line);) {
      if (line.find('#') == std::string::npos) {
        ASSERT_EQ(line.find('@'), std::string::npos) << "a placeholder is left: " << line;
      }
    }
    std::ofstream(dir.path() + "/syncd.conf") << conf;
    const std::string main_conf = dir.path() + "/nginx.conf";
    std::ofstream(main_conf) << "daemon off;\nworker_processes 1;\npid " << dir.path()
                             << "/nginx.pid;\nerror_log " << dir.path()
                             << "/error.log warn;\nevents { worker_connections 256; }\n"
                                "http {\n  access_log off;\n  include "
                             << dir.path() << "/syncd.conf;\n}\n";
    started = lb.Start(nginx, dir.path(), main_conf, port, cert);
  }
  ASSERT_TRUE(started) << "nginx did not start:\n"
                       << ReadFile(dir.path() + "/stderr.log")
                       << ReadFile(dir.path() + "/error.log");

  // https://: the REST API through the balancer, answered by every instance.
  auto https = [&](const std::string& method, const std::string& path) {
    return test::HttpsRequest(port, cert, kHost, method, path);
  };
  test::HttpsAnswer health = https("GET", "/health");
  ASSERT_EQ(health.status, 200) << health.head << health.body;
  EXPECT_EQ(test::GetString(test::ParseJson(health.body), "status"), "ok");
  EXPECT_NE(health.head.find("Server: nginx"), std::string::npos) << health.head;
  std::set<std::string> answered_by;
  for (int i = 0; i < 3 * kInstances && answered_by.size() < kInstances; ++i) {
    test::HttpsAnswer s = https("GET", "/api/v1/queue/stats");
    ASSERT_EQ(s.status, 200) << s.head << s.body;
    answered_by.insert(test::GetString(test::ParseJson(s.body), "instance"));
  }
  EXPECT_EQ(answered_by.size(), static_cast<size_t>(kInstances));

  // wss://: one device per instance (least_conn spreads new connections).
  std::vector<std::unique_ptr<test::TlsWebSocket>> devices;
  for (int k = 0; k < kInstances; ++k) {
    devices.push_back(
        std::make_unique<test::TlsWebSocket>(port, cert, kHost, std::string("/ws/") + kTenant));
    test::TlsWebSocket& d = *devices.back();
    ASSERT_TRUE(d.open()) << d.status() << " " << d.head() << " " << d.error();
    EXPECT_NE(d.head().find("Server: nginx"), std::string::npos) << d.head();
    std::optional<std::string> status = d.Next(Millis(5000));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(test::GetString(test::ParseJson(*status), "status"), "online") << *status;
  }
  EXPECT_NE(devices[0]->protocol().find("TLS"), std::string::npos);
  // Each instance holds one of them (the instances list, through https).
  auto spread = [&] {
    rapidjson::Document s = test::ParseJson(https("GET", "/api/v1/queue/stats").body);
    if (!s.HasMember("instances") || !s["instances"].IsArray()) return false;
    int with_one = 0;
    for (const rapidjson::Value& i : s["instances"].GetArray()) {
      with_one += test::GetInt(i, "connections") == 1 ? 1 : 0;
    }
    return with_one == kInstances;
  };
  bool spread_out = false;
  for (auto deadline = Clock::now() + std::chrono::seconds(10);
       !spread_out && Clock::now() < deadline;) {
    spread_out = spread();
  }
  EXPECT_TRUE(spread_out) << https("GET", "/api/v1/queue/stats").body;

  // An entry sent by one device is acknowledged to it and reaches the others,
  // which are on the other instances, as data_update.
  auto wait_for = [](test::TlsWebSocket* d, const std::string& type, const std::string& id) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      std::optional<std::string> f =
          d->Next(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
      if (!f) break;
      rapidjson::Document doc = test::ParseJson(*f);
      if (test::GetString(doc, "type") == type &&
          (test::GetString(doc, "id") == id || test::GetString(doc, "source_entry_id") == id)) {
        return std::optional<rapidjson::Document>(std::move(doc));
      }
    }
    return std::optional<rapidjson::Document>();
  };
  ASSERT_TRUE(devices[0]->Send(test::AccountEntryJson(kTenant, "lb-1", "acc-lb-1", "create", "Cash",
                                                      "g", 1, 1764130000000LL)));
  std::optional<rapidjson::Document> ack = wait_for(devices[0].get(), "sync_ack", "lb-1");
  ASSERT_TRUE(ack.has_value());
  for (int k = 1; k < kInstances; ++k) {
    std::optional<rapidjson::Document> update = wait_for(devices[k].get(), "data_update", "lb-1");
    ASSERT_TRUE(update.has_value()) << "device " << k << " got no data_update";
    EXPECT_EQ(test::GetString(*update, "checksum"), test::GetString(*ack, "checksum"));
  }
  // The entry through https too, from any instance.
  test::HttpsAnswer entry = https("GET", std::string("/api/v1/sync/entries/") + kTenant + "/lb-1");
  EXPECT_EQ(entry.status, 200) << entry.body;

  std::printf(
      "[ nginx    ] %s; https answered by %zu instances; 3 wss:// devices, one per "
      "instance: ack on the sender, data_update on the other two\n",
      devices[0]->protocol().c_str(), answered_by.size());
  devices.clear();
  lb.Stop();
  for (auto& s : servers) EXPECT_EQ(s->Terminate(), 0) << s->stderr_text();
}

}  // namespace
}  // namespace syncd::crash
