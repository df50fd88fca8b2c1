// End-to-end: the syncd binary itself (service.md): --help, bad options as a
// one-line error with exit code 2, and a real start, serve, SIGTERM, exit 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "ws_client.h"

#ifndef SYNCD_BINARY
#error "SYNCD_BINARY must name the syncd executable"
#endif

namespace syncd::e2e {
namespace {

// A child process with its stdout and stderr on pipes. The environment is
// cleared of SYNCD_* so that only the flags given count.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    std::vector<std::string> all = {SYNCD_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("SYNCD_", 0) != 0) env_strings.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
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

TEST(BinaryTest, ServesThenStopsGracefullyOnSigterm) {
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

    WsClient client;
    ConnectResult r = client.Connect("ws://127.0.0.1:" + std::to_string(port) + "/ws/tenant-a");
    ASSERT_TRUE(r.ok) << r.error;
    std::optional<std::string> online = client.Next();
    ASSERT_TRUE(online.has_value());
    EXPECT_EQ(GetString(ParseJson(*online), "status"), "online");
    ASSERT_TRUE(
        client.Send(R"({"type":"process_sync_entry","payload":{"id":"e1","tenantId":"tenant-a",)"
                    R"("entityType":"Tag","entityId":"t-1","operationType":"create",)"
                    R"("payload":{"name":"x"},"timestamp":1764130000000}})"));
    std::optional<std::string> ack = client.WaitFor(
        [](const rapidjson::Document& d) { return GetString(d, "type") == "sync_ack"; });
    ASSERT_TRUE(ack.has_value());

    ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
    std::optional<std::string> status = client.WaitFor(
        [](const rapidjson::Document& d) { return GetString(d, "type") == "status"; });
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(GetString(ParseJson(*status), "status"), "shutdown");
    ASSERT_TRUE(client.WaitClosed());
    EXPECT_EQ(client.close_code(), 1001);
    EXPECT_EQ(child.Finish(Millis(5000)), 0) << child.err();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

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

}  // namespace
}  // namespace syncd::e2e
