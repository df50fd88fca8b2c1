// syncd: parses options, builds the App, runs until SIGTERM/SIGINT, then
// stops gracefully. Exit codes: 0 after a clean stop, 2 for bad options, a
// database that cannot be opened or a port that cannot be bound.
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "syncd/app/app.h"
#include "syncd/app/options.h"

int main(int argc, char** argv) {
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

  // A peer that goes away must not kill the process; termination signals are
  // taken by sigwait below, so block them in every thread we start.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  syncd::db::Status status;
  std::unique_ptr<syncd::app::App> app = syncd::app::App::Create(options, &status);
  if (!app) {
    std::fprintf(stderr, "syncd: cannot open database %s: %s\n", options.db.c_str(),
                 status.message().c_str());
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
