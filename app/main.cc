// syncd: parses options, builds the App, runs until SIGTERM/SIGINT, then
// stops gracefully. Exit codes: 0 after a clean stop, 2 for bad options, a
// database that cannot be opened or a port that cannot be bound.
#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>

#include "syncd/app/app.h"
#include "syncd/app/options.h"
#include "syncd/app/user_command.h"
#include "syncd/db/postgres_store.h"

namespace {

// Descriptors syncd needs besides its connections: database files and WAL,
// listening sockets, epoll/event/timer descriptors of both servers.
constexpr int64_t kReservedFds = 256;

// Raises the soft limit on open descriptors to the hard limit and returns the
// limit in force. The usual soft limit, 1024, let 1,100 half-open
// connections stop both ports for everyone.
int64_t RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) != 0 && lim.rlim_max == RLIM_INFINITY) {
      // An unlimited hard limit is refused; the kernel's ceiling is not.
      int64_t nr_open = 0;
      std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
      want.rlim_cur = static_cast<rlim_t>(std::max<int64_t>(nr_open, 0));
      if (want.rlim_cur > lim.rlim_cur) setrlimit(RLIMIT_NOFILE, &want);
    }
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(lim.rlim_cur);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "user")
    return syncd::app::RunUserCommand(argc - 1, argv + 1);
  syncd::app::Options options;
  std::string error;
  switch (syncd::app::ParseOptions(argc, argv, &options, &error)) {
    case syncd::app::ParseOutcome::kHelp:
      std::fputs(syncd::app::HelpText().c_str(), stdout);
      return 0;
    case syncd::app::ParseOutcome::kError:
      std::fprintf(stderr, "syncd: %s\n", error.c_str());
      return 2;
    case syncd::app::ParseOutcome::kRun:
      break;
  }

  // Each port may hold --max-connections connections; both must fit under the
  // descriptor limit, or accept() fails with EMFILE, which Pistache's accept
  // loop retries at once without end (a busy loop, nothing served).
  int64_t fd_limit = RaiseFileLimit();
  std::fprintf(stderr, "syncd: open file limit %lld\n", static_cast<long long>(fd_limit));
  if (fd_limit > 0 && 2 * static_cast<int64_t>(options.max_connections) + kReservedFds > fd_limit) {
    int fitting = static_cast<int>(std::max<int64_t>(1, (fd_limit - kReservedFds) / 2));
    if (options.max_connections_explicit) {
      // The operator's number stands; the WebSocket accept loop waits while
      // descriptors run out, Pistache's does not (docs/design.md).
      std::fprintf(stderr,
                   "syncd: warning: --max-connections %d per port does not fit the open file "
                   "limit %lld (%d would)\n",
                   options.max_connections, static_cast<long long>(fd_limit), fitting);
    } else {
      std::fprintf(stderr,
                   "syncd: warning: --max-connections %d does not fit the open file limit %lld; "
                   "using %d per port\n",
                   options.max_connections, static_cast<long long>(fd_limit), fitting);
      options.max_connections = fitting;
    }
  }

  // A peer that goes away must not kill the process; termination signals are
  // taken by sigwait below, so block them in every thread we start.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  syncd::common::Status status;
  std::unique_ptr<syncd::app::App> app = syncd::app::App::Create(options, &status);
  if (!app) {
    // The password of a postgresql:// URI is never printed.
    std::string db =
        syncd::db::IsPostgresUrl(options.db) ? syncd::db::RedactedUrl(options.db) : options.db;
    std::string why = status.message();
    for (char& c : why) {
      if (c == '\n' || c == '\t') c = ' ';  // one line
    }
    std::fprintf(stderr, "syncd: cannot open database %s: %s\n", db.c_str(), why.c_str());
    return 2;
  }
  status = app->Start();
  if (!status.ok()) {
    // Usually a port in use or an address that cannot be bound: a setting to fix.
    std::fprintf(stderr, "syncd: cannot start: %s\n", status.message().c_str());
    return 2;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "syncd: signal %d, shutting down\n", signal_number);
  app->Shutdown();
  std::fprintf(stderr, "syncd: stopped\n");
  return 0;
}
