// Drives the WebSocket connections of a run. The only file that sees websocketpp.
#ifndef SYNCD_TOOLS_LOADGEN_WS_RUNNER_H_
#define SYNCD_TOOLS_LOADGEN_WS_RUNNER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "entry_factory.h"
#include "options.h"
#include "tracker.h"

namespace syncd::loadgen {

// What the connections saw besides the per-entry replies.
struct RunStats {
  int connections_online = 0;
  std::vector<std::string> connection_errors;  // connect failures, early closes, timeouts
  uint64_t data_updates = 0;
  uint64_t foreign_replies = 0;  // sync_ack/sync_nack whose id is not one of this run's
  uint64_t unparsable = 0;       // frames that were not JSON
  uint64_t other_messages = 0;
  std::map<std::string, uint64_t> errors;  // {"type":"error"} frames by code
  bool shutdown_seen = false;              // the server said status "shutdown"
  bool timed_out = false;                  // replies were still missing at the deadline
  double connect_ms = 0;                   // until every connection was online
};

// Connects, waits for every connection's {"type":"status","status":"online"},
// sends all entries as options.mode says, collects replies into *tracker
// until every sent entry is answered (plus the grace period) or the timeout
// passes, then closes. Runs on the calling thread (one io thread).
void RunLoad(const Options& options, const EntryFactory& factory, ReplyTracker* tracker,
             RunStats* stats);

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_WS_RUNNER_H_
