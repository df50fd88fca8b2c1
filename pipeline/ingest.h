// Transaction 1 of an entry's life: persist what arrived (new entries that
// fit go straight to in_flight), claim the picked older ones, count, and
// answer resent ids and over-limit refusals. Returns what it decided; the
// worker applies that to its memory. Worker thread (it uses the write store).
#ifndef SYNCD_PIPELINE_INGEST_H_
#define SYNCD_PIPELINE_INGEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "item.h"
#include "schedule.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

struct IngestInput {
  std::vector<Item> claims;                    // picked from the schedule
  std::vector<Incoming> incoming;              // arrived since the last ingest (and carried)
  db::CounterMap refusals;                     // counted refusals to write
  const Schedule* schedule = nullptr;          // which entities are blocked, whether any is ready
  std::atomic<int64_t>* unfinished = nullptr;  // admission's count (over-limit entries)
  std::function<int64_t()> retry_after_ms;     // for a rate_limit_error
};

struct IngestOutcome {
  common::Status status;  // the commit; on failure nothing was written
  // Success: entries to apply now, and new ones that wait (claimed or pending).
  std::vector<Item> batch;
  std::vector<Item> held;
  Deltas deltas;                     // to mirror (refusals were mirrored already)
  std::vector<Delivery> deliveries;  // duplicates with a known result, refusals
  int64_t duplicates = 0;            // resent ids (nothing added to the queue)
  // Failure: the claims as they were, and what arrived (entries in place).
  std::vector<Item> claims;
  std::vector<Incoming> incoming;
  db::CounterMap refusals;
};

IngestOutcome Ingest(db::WriteStore* store, const PipelineOptions& options, int64_t now,
                     IngestInput in, FailureLog* failures);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_INGEST_H_
