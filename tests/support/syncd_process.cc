#include "support/syncd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#ifndef SYNCD_BINARY
#error "SYNCD_BINARY must name the syncd executable"
#endif

namespace syncd::test {

namespace {

// The port printed after `marker` ("...listening on 127.0.0.1:PORT"), or 0.
int PortAfter(const std::string& text, const std::string& marker) {
  size_t at = text.find(marker);
  if (at == std::string::npos) return 0;
  size_t colon = text.find(':', at + marker.size());
  size_t eol = text.find('\n', at);
  if (colon == std::string::npos || (eol != std::string::npos && colon > eol)) return 0;
  return std::atoi(text.c_str() + colon + 1);
}

}  // namespace

SyncdProcess::~SyncdProcess() {
  if (pid_ > 0) Kill9();
  if (drainer_.joinable()) drainer_.join();
}

bool SyncdProcess::Start(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env, Millis timeout) {
  if (pid_ > 0) {
    error_ = "already running";
    return false;
  }
  if (drainer_.joinable()) drainer_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    err_text_.clear();
    eof_ = false;
  }
  ws_port_ = http_port_ = 0;
  error_.clear();

  // Everything the child needs is built before fork(): between fork and exec
  // the child of a multi-threaded process may only call async-signal-safe code.
  std::vector<std::string> all = {SYNCD_BINARY, "--host",      "127.0.0.1", "--ws-port",
                                  "0",          "--http-port", "0"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv = ExecPointers(all);
  std::vector<std::string> env_strings = ChildEnvironment(env);
  std::vector<char*> envp = ExecPointers(env_strings);

  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) {
    error_ = "pipe2 failed";
    return false;
  }
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_ = fork();
  if (pid_ == 0) {
    if (devnull >= 0) dup2(devnull, 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (devnull >= 0) ::close(devnull);
  ::close(err[1]);
  if (pid_ < 0) {
    ::close(err[0]);
    error_ = "fork failed";
    return false;
  }
  int fd = err[0];
  drainer_ = std::thread([this, fd] { Drain(fd); });

  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
  };
  if (!WaitForStderr("syncd: websocket listening on", left()) ||
      !WaitForStderr("syncd: http listening on", left())) {
    error_ = "syncd did not start; stderr:\n" + stderr_text();
    Kill9();
    return false;
  }
  std::string text = stderr_text();
  ws_port_ = PortAfter(text, "syncd: websocket listening on");
  http_port_ = PortAfter(text, "syncd: http listening on");
  if (ws_port_ <= 0 || http_port_ <= 0) {
    error_ = "could not read the ports; stderr:\n" + text;
    Kill9();
    return false;
  }
  return true;
}

void SyncdProcess::Drain(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    // Keep the start of the text (the port lines) and a bounded tail.
    if (err_text_.size() > (4u << 20)) err_text_.erase(64 * 1024, err_text_.size() / 2);
    err_text_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

bool SyncdProcess::WaitForStderr(const std::string& needle, Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return err_text_.find(needle) != std::string::npos || eof_;
  }) && err_text_.find(needle) != std::string::npos;
}

bool SyncdProcess::WaitForEof(Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return eof_; });
}

int SyncdProcess::Reap() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (drainer_.joinable()) drainer_.join();
  return status;
}

void SyncdProcess::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  Reap();
}

int SyncdProcess::Terminate(Millis timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  // stderr reaches its end when the process (its only writer) has exited.
  if (!WaitForEof(timeout)) {
    Kill9();
    return -1;
  }
  int status = Reap();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SyncdProcess::ws_url(const std::string& tenant) const {
  return "ws://127.0.0.1:" + std::to_string(ws_port_) + "/ws/" + tenant;
}

std::string SyncdProcess::stderr_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_text_;
}

std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("SYNCD_", 0) != 0) strings.emplace_back(*e);
  }
  for (const auto& [key, value] : env) strings.push_back(key + "=" + value);
  return strings;
}

std::vector<char*> ExecPointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

TempDir::TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "syncd-crash-XXXXXX").string();
  if (mkdtemp(dir.data()) != nullptr) path_ = dir;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace syncd::test
