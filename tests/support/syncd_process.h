// The real syncd binary as a child process for crash and fault tests: started
// on free ports with chosen flags and environment, stopped with SIGKILL (a
// crash) or SIGTERM (a graceful stop). A thread drains its stderr the whole
// time, so a chatty server (every failed commit logs a line) never blocks on
// a full pipe; the test waits on that text with timeouts, never with sleeps.
#ifndef SYNCD_TESTS_SUPPORT_SYNCD_PROCESS_H_
#define SYNCD_TESTS_SUPPORT_SYNCD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/ws_client.h"

namespace syncd::test {

class SyncdProcess {
 public:
  SyncdProcess() = default;
  ~SyncdProcess();  // SIGKILLs a child that is still running
  SyncdProcess(const SyncdProcess&) = delete;
  SyncdProcess& operator=(const SyncdProcess&) = delete;

  // Starts SYNCD_BINARY with `args` plus --host 127.0.0.1 --ws-port 0
  // --http-port 0, an environment without any inherited SYNCD_* variable plus
  // `env`, and waits until both servers print their port. false (with the
  // reason in error()) when it did not come up within `timeout`.
  bool Start(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
             Millis timeout = Millis(15000));

  // SIGKILL, then reap the child: the database lock is free afterwards.
  void Kill9();
  // SIGTERM, then wait for the exit. The exit code, or -1 on timeout (the
  // child is then killed) or abnormal termination.
  int Terminate(Millis timeout = Millis(10000));

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int ws_port() const { return ws_port_; }
  int http_port() const { return http_port_; }
  std::string ws_url(const std::string& tenant) const;
  const std::string& error() const { return error_; }
  std::string stderr_text() const;
  // True once `needle` has appeared on its stderr (read by a thread).
  bool WaitForStderr(const std::string& needle, Millis timeout);

 private:
  void Drain(int fd);
  bool WaitForEof(Millis timeout);
  int Reap();

  pid_t pid_ = -1;
  int ws_port_ = 0, http_port_ = 0;
  std::string error_;
  std::thread drainer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string err_text_;
  bool eof_ = false;
};

// The environment of a child syncd: this process's without any SYNCD_*
// variable (so only the flags and `env` given count), plus `env`.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& env);

// Pointers to `strings` for execve, ending in nullptr; built before fork()
// (between fork and exec only async-signal-safe calls are allowed). `strings`
// must outlive them.
std::vector<char*> ExecPointers(std::vector<std::string>& strings);

// A temporary folder, removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_SYNCD_PROCESS_H_
