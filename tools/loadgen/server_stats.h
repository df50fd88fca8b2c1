// The server's own view of a run: the "batches" block of GET /api/v1/queue/stats.
#ifndef SYNCD_TOOLS_LOADGEN_SERVER_STATS_H_
#define SYNCD_TOOLS_LOADGEN_SERVER_STATS_H_

#include <string>

namespace syncd::loadgen {

struct BatchesSnapshot {
  bool ok = false;
  std::string error;         // why ok is false
  std::string batches_json;  // the "batches" object as the server sent it
  double count = 0;
  double avg_size = 0;
  double max_size = 0;
  double avg_commit_ms = 0;
};

// GETs stats_url + "/api/v1/queue/stats" and extracts "batches".
BatchesSnapshot FetchBatches(const std::string& stats_url);

// Batches committed between two snapshots and their average size.
struct BatchesDelta {
  double count = 0;
  double avg_size = 0;
};
BatchesDelta Delta(const BatchesSnapshot& before, const BatchesSnapshot& after);

}  // namespace syncd::loadgen

#endif  // SYNCD_TOOLS_LOADGEN_SERVER_STATS_H_
