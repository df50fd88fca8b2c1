// The counters table as of the last commit, in memory, for the statistics
// (QueueCounts): loaded at recovery, then every committed transaction adds
// its deltas. Refusals are added at once (they reach the table with the next
// ingest commit). Owned by the worker; any thread.
#ifndef SYNCD_PIPELINE_COUNTER_MIRROR_H_
#define SYNCD_PIPELINE_COUNTER_MIRROR_H_

#include <cstdint>
#include <string>

#include "item.h"
#include "syncd/common/mutex.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

class CounterMirror {
 public:
  void Load(db::CounterMap loaded) LOCKS_EXCLUDED(mu_);
  void Add(const Deltas& deltas) LOCKS_EXCLUDED(mu_);
  // Forgets every counter of one tenant (a purged tenant).
  void DropScope(const std::string& scope) LOCKS_EXCLUDED(mu_);
  QueueCounts Counts(const std::string& scope) const LOCKS_EXCLUDED(mu_);
  int64_t TenantCount() const LOCKS_EXCLUDED(mu_);  // tenants that have counters

 private:
  mutable Mutex mu_;
  db::CounterMap counters_ GUARDED_BY(mu_);
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_COUNTER_MIRROR_H_
