// Housekeeping between batches, in small transactions of its own: result
// retention, metric snapshots, and the last flush of counted refusals at
// stop. Owned by the worker; worker thread (FlushRefusals: the stopping
// thread, after the worker joined).
#ifndef SYNCD_PIPELINE_MAINTENANCE_H_
#define SYNCD_PIPELINE_MAINTENANCE_H_

#include <cstdint>
#include <string>

#include "counter_mirror.h"
#include "item.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/metrics.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

class Maintenance {
 public:
  explicit Maintenance(const PipelineOptions& options) : options_(options) {}

  // Does what is due at `now` (flushing the failure log too); nothing else
  // is written once the database is lost.
  void Run(db::WriteStore* store, int64_t now, const CounterMirror& counters,
           const Metrics& metrics, FailureLog* failures);
  // When Run has something to do next.
  int64_t next_at_ms() const { return next_maintenance_ms_; }

 private:
  const PipelineOptions& options_;
  int64_t next_maintenance_ms_ = 0;
  int64_t next_snapshot_ms_ = 0;
};

// Refusals counted since the last ingest commit, in a transaction of their
// own (at stop).
void FlushRefusals(db::WriteStore* store, const db::CounterMap& refusals, FailureLog* failures);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_MAINTENANCE_H_
