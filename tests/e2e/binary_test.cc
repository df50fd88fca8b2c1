// End-to-end: the syncd binary itself (service.md): --help, every option by
// flag and by environment variable (the flag wins), bad options as a
// one-line error with exit code 2, an unusable database or busy port exits 2,
// and a real start, serve, SIGTERM or SIGINT, exit 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#ifndef SYNCD_BINARY
#error "SYNCD_BINARY must name the syncd executable"
#endif

#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

using test::Millis;

// A child process with its stdout and stderr on pipes. The environment is
// cleared of SYNCD_* so that only the flags (and `env`) given count.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {}) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    std::vector<std::string> all = {SYNCD_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv = test::ExecPointers(all);
    std::vector<std::string> env_strings = test::ChildEnvironment(env);
    std::vector<char*> envp = test::ExecPointers(env_strings);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }

  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  bool started() const { return pid_ > 0; }

  // Reads stderr until it contains `needle` (returns true) or ends/times out.
  bool ReadStderrUntil(const std::string& needle, Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (err_text_.find(needle) == std::string::npos) {
      if (!ReadSome(deadline)) return err_text_.find(needle) != std::string::npos;
    }
    return true;
  }

  // Reads both pipes to their end, then reaps the child. The exit code, or
  // -1 on timeout or abnormal termination.
  int Finish(Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ReadSome(deadline)) {
    }
    if (out_ >= 0 || err_ >= 0) return -1;  // timed out: the destructor kills it
    int status = Wait();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  pid_t pid() const { return pid_; }
  const std::string& out() const { return out_text_; }
  const std::string& err() const { return err_text_; }

 private:
  // One poll over the open pipes. false when both ended or the deadline passed.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (out_ < 0 && err_ < 0) return false;
    auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left)) <= 0) return false;
    char buf[4096];
    int* fd_ptrs[2] = {&out_, &err_};
    std::string* texts[2] = {&out_text_, &err_text_};
    for (int i = 0; i < 2; ++i) {
      if (*fd_ptrs[i] < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(*fd_ptrs[i], buf, sizeof(buf));
      if (n <= 0) {
        close(*fd_ptrs[i]);
        *fd_ptrs[i] = -1;
      } else {
        texts[i]->append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }

  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

  pid_t pid_ = -1;
  bool reaped_ = false;
  int out_ = -1, err_ = -1;
  std::string out_text_, err_text_;
};

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(BinaryTest, HelpExitsZeroAndNamesTheOptions) {
  Child child({"--help"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.Finish(Millis(10000)), 0) << child.err();
  for (const char* flag :
       {"--host", "--http-port", "--ws-port", "--db", "--batch-max", "--max-message-bytes"}) {
    EXPECT_NE(child.out().find(flag), std::string::npos) << flag << " missing from --help";
  }
}

TEST(BinaryTest, PortOutOfRangeExitsTwoWithOneLine) {
  Child child({"--http-port", "99999"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.Finish(Millis(10000)), 2);
  EXPECT_EQ(Lines(child.err()), 1) << child.err();
  EXPECT_NE(child.err().find("http-port"), std::string::npos) << child.err();
}

TEST(BinaryTest, UnknownFlagExitsTwoWithOneLine) {
  Child child({"--bogus"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.Finish(Millis(10000)), 2);
  EXPECT_EQ(Lines(child.err()), 1) << child.err();
  EXPECT_NE(child.err().find("--bogus"), std::string::npos) << child.err();
}

// Starts the binary, syncs one entry, sends `signal`: the client sees status
// shutdown and a 1001 close, the process exits 0.
void ServeThenStopGracefully(int signal) {
  std::string dir = (std::filesystem::temp_directory_path() / "syncd-bin-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    Child child(
        {"--host", "127.0.0.1", "--ws-port", "0", "--http-port", "0", "--db", dir + "/syncd.db"});
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(child.ReadStderrUntil("syncd: http listening on", Millis(10000))) << child.err();
    const std::string marker = "syncd: websocket listening on 127.0.0.1:";
    size_t at = child.err().find(marker);
    ASSERT_NE(at, std::string::npos) << child.err();
    int port = std::atoi(child.err().c_str() + at + marker.size());
    ASSERT_GT(port, 0);

    test::WsClient client;
    test::ConnectResult r =
        client.Connect("ws://127.0.0.1:" + std::to_string(port) + "/ws/tenant-a");
    ASSERT_TRUE(r.ok) << r.error;
    std::optional<std::string> online = client.Next();
    ASSERT_TRUE(online.has_value());
    EXPECT_EQ(test::GetString(test::ParseJson(*online), "status"), "online");
    ASSERT_TRUE(
        client.Send(R"({"type":"process_sync_entry","payload":{"id":"e1","tenantId":"tenant-a",)"
                    R"("entityType":"Tag","entityId":"t-1","operationType":"create",)"
                    R"("payload":{"name":"x"},"timestamp":1764130000000}})"));
    std::optional<std::string> ack = client.WaitFor(
        [](const rapidjson::Document& d) { return test::GetString(d, "type") == "sync_ack"; });
    ASSERT_TRUE(ack.has_value());

    ASSERT_EQ(kill(child.pid(), signal), 0);
    std::optional<std::string> status = client.WaitFor(
        [](const rapidjson::Document& d) { return test::GetString(d, "type") == "status"; });
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(test::GetString(test::ParseJson(*status), "status"), "shutdown");
    ASSERT_TRUE(client.WaitClosed());
    EXPECT_EQ(client.close_code(), 1001);
    EXPECT_EQ(child.Finish(Millis(5000)), 0) << child.err();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(BinaryTest, ServesThenStopsGracefullyOnSigterm) { ServeThenStopGracefully(SIGTERM); }

// service.md: SIGINT (Ctrl-C) stops like SIGTERM.
TEST(BinaryTest, ServesThenStopsGracefullyOnSigint) { ServeThenStopGracefully(SIGINT); }

// service.md: --db is "created with its folder if missing".
TEST(BinaryTest, CreatesTheDatabaseFolderIfMissing) {
  std::string dir = (std::filesystem::temp_directory_path() / "syncd-bin-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string db = dir + "/not/yet/syncd.db";
  {
    Child child({"--host", "127.0.0.1", "--ws-port", "0", "--http-port", "0", "--db", db});
    ASSERT_TRUE(child.started());
    ASSERT_TRUE(child.ReadStderrUntil("syncd: http listening on", Millis(10000))) << child.err();
    EXPECT_TRUE(std::filesystem::exists(db));
    ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
    EXPECT_EQ(child.Finish(Millis(5000)), 0) << child.err();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---- the configuration surface (service.md, options table) ----

// The options of service.md and those syncd added (README). --help must list
// exactly these, each with its environment variable.
const std::vector<std::pair<std::string, std::string>>& ContractOptions() {
  static const std::vector<std::pair<std::string, std::string>> options = {
      {"--host", "SYNCD_HOST"},
      {"--http-port", "SYNCD_HTTP_PORT"},
      {"--ws-port", "SYNCD_WS_PORT"},
      {"--db", "SYNCD_DB"},
      {"--batch-max", "SYNCD_BATCH_MAX"},
      {"--batch-wait-ms", "SYNCD_BATCH_WAIT_MS"},
      {"--max-attempts", "SYNCD_MAX_ATTEMPTS"},
      {"--retry-base-ms", "SYNCD_RETRY_BASE_MS"},
      {"--retry-max-ms", "SYNCD_RETRY_MAX_MS"},
      {"--queue-max", "SYNCD_QUEUE_MAX"},
      {"--max-message-bytes", "SYNCD_MAX_MESSAGE_BYTES"},
      {"--result-retention-h", "SYNCD_RESULT_RETENTION_H"},
      {"--ws-max-buffered-bytes", "SYNCD_WS_MAX_BUFFERED_BYTES"},
      {"--sqlite-synchronous", "SYNCD_SQLITE_SYNCHRONOUS"},
      {"--openapi", "SYNCD_OPENAPI"},
      // Added with the hardening and the console (README's options table).
      {"--max-connections", "SYNCD_MAX_CONNECTIONS"},
      {"--cors-origins", "SYNCD_CORS_ORIGINS"},
      {"--http-header-timeout-ms", "SYNCD_HTTP_HEADER_TIMEOUT_MS"},
      {"--console-dir", "SYNCD_CONSOLE_DIR"},
      // scale.md: several instances on PostgreSQL.
      {"--instance-id", "SYNCD_INSTANCE_ID"},
      {"--heartbeat-ms", "SYNCD_HEARTBEAT_MS"},
      {"--instance-timeout-ms", "SYNCD_INSTANCE_TIMEOUT_MS"},
      // Protocol round 2 (service.md, options added since the table).
      {"--lww-tie", "SYNCD_LWW_TIE"},
      {"--ws-ping-interval-s", "SYNCD_WS_PING_INTERVAL_S"},
      {"--ws-pong-timeout-s", "SYNCD_WS_PONG_TIMEOUT_S"},
      // Accounts and access control (accounts.md). The secret itself may
      // also come in SYNCD_JWT_SECRET (auth_test.cc).
      {"--auth", "SYNCD_AUTH"},
      {"--jwt-secret-file", "SYNCD_JWT_SECRET_FILE"},
      {"--jwt-public-key-file", "SYNCD_JWT_PUBLIC_KEY_FILE"},
      {"--access-token-ttl-s", "SYNCD_ACCESS_TOKEN_TTL_S"},
      {"--refresh-token-ttl-s", "SYNCD_REFRESH_TOKEN_TTL_S"},
      // none mode's Host check (security.md, DNS rebinding).
      {"--allowed-hosts", "SYNCD_ALLOWED_HOSTS"},
  };
  return options;
}

// (flag, env) of every "  --flag VALUE  help  [ENV]" line of --help.
std::vector<std::pair<std::string, std::string>> HelpOptions() {
  Child child({"--help"});
  EXPECT_EQ(child.Finish(Millis(10000)), 0) << child.err();
  std::vector<std::pair<std::string, std::string>> out;
  static const std::regex line(R"(^  (--[a-z0-9-]+) VALUE .*\[(SYNCD_[A-Z0-9_]+)\]$)");
  std::istringstream in(child.out());
  std::string text;
  while (std::getline(in, text)) {
    std::smatch m;
    if (std::regex_match(text, m, line)) {
      out.emplace_back(m[1], m[2]);
    } else if (text.rfind("  --", 0) == 0 && text.rfind("  --help", 0) != 0) {
      ADD_FAILURE() << "a --help option line without its [SYNCD_*] variable: " << text;
    }
  }
  return out;
}

TEST(BinaryConfigTest, HelpListsEveryOptionWithItsEnvironmentVariable) {
  std::vector<std::pair<std::string, std::string>> help = HelpOptions();
  std::set<std::pair<std::string, std::string>> listed(help.begin(), help.end());
  std::set<std::pair<std::string, std::string>> contract(ContractOptions().begin(),
                                                         ContractOptions().end());
  EXPECT_EQ(listed, contract);
  EXPECT_EQ(help.size(), listed.size()) << "an option listed twice";
}

class TempFolder {
 public:
  TempFolder() {
    path_ = (std::filesystem::temp_directory_path() / "syncd-bin-XXXXXX").string();
    if (mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every option's flag and variable reach its parser: an empty value (which
// no option but --openapi accepts) exits 2 with one line naming what was set.
TEST(BinaryConfigTest, EveryOptionIsReadFromItsFlagAndFromItsVariable) {
  std::vector<std::pair<std::string, std::string>> help = HelpOptions();
  ASSERT_FALSE(help.empty());
  TempFolder dir;
  ASSERT_FALSE(dir.path().empty());
  // Should an option be ignored, the server starts: on free ports, in `dir`.
  const std::map<std::string, std::string> harmless = {{"SYNCD_HOST", "127.0.0.1"},
                                                       {"SYNCD_HTTP_PORT", "0"},
                                                       {"SYNCD_WS_PORT", "0"},
                                                       {"SYNCD_DB", dir.path() + "/syncd.db"}};
  for (const auto& [flag, env] : help) {
    if (flag == "--openapi") continue;  // any path; checked by what is served below
    Child by_flag({flag + "="}, harmless);
    EXPECT_EQ(by_flag.Finish(Millis(10000)), 2) << flag;
    EXPECT_EQ(Lines(by_flag.err()), 1) << by_flag.err();
    EXPECT_NE(by_flag.err().find(flag), std::string::npos) << by_flag.err();

    std::map<std::string, std::string> with_env = harmless;
    with_env[env] = "";
    Child by_env({}, with_env);
    EXPECT_EQ(by_env.Finish(Millis(10000)), 2) << env;
    EXPECT_EQ(Lines(by_env.err()), 1) << by_env.err();
    EXPECT_NE(by_env.err().find(env), std::string::npos) << by_env.err();
  }
}

int PortAfter(const std::string& text, const std::string& marker) {
  size_t at = text.find(marker);
  return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + marker.size());
}

// A server configured through the environment only, then the same variables
// with flags that contradict them: the flags win.
TEST(BinaryConfigTest, TheVariablesConfigureTheServerAndFlagsWinOverThem) {
  TempFolder dir;
  ASSERT_FALSE(dir.path().empty());
  std::ofstream(dir.path() + "/env.yaml") << "openapi: from-the-environment\n";
  std::ofstream(dir.path() + "/flag.yaml") << "openapi: from-the-flag\n";
  std::map<std::string, std::string> env = {
      {"SYNCD_HOST", "127.0.0.1"},
      {"SYNCD_HTTP_PORT", "0"},
      {"SYNCD_WS_PORT", "0"},
      {"SYNCD_DB", dir.path() + "/env.db"},
      {"SYNCD_OPENAPI", dir.path() + "/env.yaml"},
      {"SYNCD_MAX_MESSAGE_BYTES", "1024"},
  };
  const std::string big_frame = R"({"type":"ping","pad":")" + std::string(4000, 'x') + "\"}";
  {
    Child child({}, env);
    ASSERT_TRUE(child.ReadStderrUntil("syncd: http listening on", Millis(10000))) << child.err();
    int http = PortAfter(child.err(), "syncd: http listening on 127.0.0.1:");
    int ws = PortAfter(child.err(), "syncd: websocket listening on 127.0.0.1:");
    ASSERT_GT(http, 0) << child.err();
    ASSERT_GT(ws, 0) << child.err();
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/env.db"));
    test::HttpResponse spec = test::HttpGet("127.0.0.1", http, "/openapi.yaml");
    EXPECT_NE(spec.body.find("from-the-environment"), std::string::npos) << spec.body;
    test::WsClient client;
    ASSERT_TRUE(client.Connect("ws://127.0.0.1:" + std::to_string(ws) + "/ws/t-1").ok);
    ASSERT_TRUE(client.Send(big_frame));
    EXPECT_TRUE(client.WaitClosed());
    EXPECT_EQ(client.close_code(), 1009) << "SYNCD_MAX_MESSAGE_BYTES=1024 not applied";
    ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
    EXPECT_EQ(child.Finish(Millis(5000)), 0) << child.err();
  }
  {
    // If the variable won, the server would listen on port 1 (or fail to bind it).
    env["SYNCD_HTTP_PORT"] = "1";
    Child child({"--http-port", "0", "--db", dir.path() + "/flag.db", "--openapi",
                 dir.path() + "/flag.yaml", "--max-message-bytes", "1048576"},
                env);
    ASSERT_TRUE(child.ReadStderrUntil("syncd: http listening on", Millis(10000))) << child.err();
    int http = PortAfter(child.err(), "syncd: http listening on 127.0.0.1:");
    int ws = PortAfter(child.err(), "syncd: websocket listening on 127.0.0.1:");
    ASSERT_GT(http, 1) << child.err();
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/flag.db"));
    test::HttpResponse spec = test::HttpGet("127.0.0.1", http, "/openapi.yaml");
    EXPECT_NE(spec.body.find("from-the-flag"), std::string::npos) << spec.body;
    test::WsClient client;
    ASSERT_TRUE(client.Connect("ws://127.0.0.1:" + std::to_string(ws) + "/ws/t-1").ok);
    ASSERT_TRUE(client.Send(big_frame));
    std::optional<std::string> reply = client.WaitFor(
        [](const rapidjson::Document& d) { return test::GetString(d, "type") == "pong"; });
    EXPECT_TRUE(reply.has_value()) << "--max-message-bytes did not win over the variable";
    EXPECT_FALSE(client.closed());
    ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
    EXPECT_EQ(child.Finish(Millis(5000)), 0) << child.err();
  }
}

// service.md: exit code 2 when the database cannot be used.
TEST(BinaryConfigTest, AnUnusableDatabasePathExitsTwo) {
  TempFolder dir;
  ASSERT_FALSE(dir.path().empty());
  std::ofstream(dir.path() + "/a-file") << "not a folder\n";
  Child child({"--host", "127.0.0.1", "--ws-port", "0", "--http-port", "0", "--db",
               dir.path() + "/a-file/syncd.db"});
  EXPECT_EQ(child.Finish(Millis(10000)), 2) << child.err();
  EXPECT_NE(child.err().find("database"), std::string::npos) << child.err();
}

// scale.md: an unreachable PostgreSQL database at start is exit 2 with one
// line, and the password of the URL never reaches the log.
TEST(BinaryConfigTest, AnUnreachablePostgresDatabaseExitsTwoWithOneLineWithoutThePassword) {
  Child child({"--host", "127.0.0.1", "--ws-port", "0", "--http-port", "0", "--db",
               "postgresql://syncd:s3cret@127.0.0.1:1/syncd?connect_timeout=3"});
  EXPECT_EQ(child.Finish(Millis(15000)), 2) << child.err();
  const std::string& err = child.err();
  EXPECT_EQ(err.find("s3cret"), std::string::npos) << err;
  size_t line = err.find("syncd: cannot open database postgresql://syncd:***@127.0.0.1:1/");
  ASSERT_NE(line, std::string::npos) << err;
  EXPECT_EQ(err.find('\n', line), err.size() - 1) << "not one last line: " << err;
}

// A listening socket on a free port of 127.0.0.1.
class BusyPort {
 public:
  BusyPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BusyPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// service.md: exit code 2 when a port cannot be bound, for either server.
TEST(BinaryConfigTest, ABusyPortExitsTwo) {
  TempFolder dir;
  ASSERT_FALSE(dir.path().empty());
  BusyPort busy;
  ASSERT_GT(busy.port(), 0);
  const std::string port = std::to_string(busy.port());
  for (const auto& [busy_flag, free_flag] :
       {std::pair<std::string, std::string>{"--http-port", "--ws-port"},
        std::pair<std::string, std::string>{"--ws-port", "--http-port"}}) {
    Child child(
        {"--host", "127.0.0.1", busy_flag, port, free_flag, "0", "--db", dir.path() + "/syncd.db"});
    EXPECT_EQ(child.Finish(Millis(10000)), 2) << busy_flag << ": " << child.err();
    EXPECT_NE(child.err().find(port), std::string::npos) << child.err();
  }
}

}  // namespace
}  // namespace syncd::e2e
