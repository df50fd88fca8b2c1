// Transaction 2 of an entry's life: apply a claimed batch (last-write-wins,
// results, conflicts, sync log, counters in the same commit), and what
// happens to a batch whose commit failed. Both return what they decided;
// the worker applies that to its memory and delivers. Worker thread.
#ifndef SYNCD_PIPELINE_APPLY_BATCH_H_
#define SYNCD_PIPELINE_APPLY_BATCH_H_

#include <cstdint>
#include <random>
#include <vector>

#include "item.h"
#include "syncd/common/clock.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

struct ApplyOutcome {
  common::Status commit;             // failed: nothing was written; `failed` holds the batch
  int64_t batch_size = 0;            // entries in the batch
  int64_t commit_us = 0;             // how long the transaction took
  Deltas deltas;                     // to mirror after a successful commit
  std::vector<Item> retries;         // to wait (next_attempt_at_ms set)
  std::vector<Delivery> deliveries;  // finished: acked, NACKed or dead
  std::vector<Item> failed;          // the batch, when the commit failed
};

// One savepoint per entry: a transient failure of one entry sends only that
// entry (and later entries of its entity) to retry; a permanent one NACKs it.
ApplyOutcome ApplyBatch(db::WriteStore* store, const PipelineOptions& options,
                        const common::Clock* clock, std::mt19937_64* rng, std::vector<Item> batch,
                        FailureLog* failures);

struct FailBatchOutcome {
  bool persisted = false;            // the retry times and dead letters were committed
  Deltas deltas;                     // to mirror when persisted
  std::vector<Item> retries;         // to wait again
  std::vector<Delivery> deliveries;  // dead-lettered
};

// The apply commit failed with `failure`: every entry of the batch waits (one
// shared, jittered delay keeps their order) or, out of attempts, is
// dead-lettered.
FailBatchOutcome FailBatch(db::WriteStore* store, const PipelineOptions& options,
                           const common::Clock* clock, std::mt19937_64* rng,
                           std::vector<Item> batch, const common::Status& failure,
                           FailureLog* failures);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_APPLY_BATCH_H_
