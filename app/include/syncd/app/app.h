// The one place that wires syncd: database → pipeline → WebSocket and REST
// servers, and the order they stop in. Used by main() and by end-to-end
// tests (which start it on port 0). Create/Start/Shutdown from one thread.
#ifndef SYNCD_APP_APP_H_
#define SYNCD_APP_APP_H_

#include <memory>

#include "syncd/app/options.h"
#include "syncd/common/status.h"

namespace syncd::app {

class App {
 public:
  // Opens the database (creating it) and builds every part. nullptr and
  // *status on failure (unreadable database, database in use, ...).
  static std::unique_ptr<App> Create(const Options& options, common::Status* status);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Recovers the queue, starts the pipeline, then both servers.
  common::Status Start();
  int ws_port() const;
  int http_port() const;

  // Graceful stop: refuse new work, finish and answer what is in flight,
  // send status shutdown, close connections with 1001. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit App(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace syncd::app

#endif  // SYNCD_APP_APP_H_
