// Admission: where Submit, CountRejected and Operate hand work to the worker,
// and where an entry is refused before it reaches the queue (queue full,
// shutting down; results.h). Also the unfinished-entry count admission is
// decided by, and refusals counted but not yet written. Owned by the worker;
// the submitting side from any thread, the taking side on the worker thread.
#ifndef SYNCD_PIPELINE_INBOX_H_
#define SYNCD_PIPELINE_INBOX_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "counter_mirror.h"
#include "item.h"
#include "syncd/common/clock.h"
#include "syncd/common/mutex.h"
#include "syncd/pipeline/metrics.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

// Entries taken while the queue is full, waiting to be told apart
// (duplicate or new); beyond this they are refused at once.
inline constexpr size_t kMaxOverLimitInbox = 4096;
// Entries refused as they were read, waiting to be remembered; beyond this
// they are answered at once and not remembered.
inline constexpr size_t kMaxRefusedInbox = 4096;

class Inbox {
 public:
  Inbox(const PipelineOptions& options, const common::Clock* clock, const Metrics* metrics,
        CounterMirror* mirror)
      : options_(options), clock_(clock), metrics_(metrics), mirror_(mirror) {}

  // ---- any thread ----

  // Takes the entry, or refuses it (counted as received and NACKed).
  SubmitOutcome Submit(domain::SyncEntry entry, int64_t received_us) LOCKS_EXCLUDED(mu_);
  // Takes an entry refused as it was read, to be remembered (see
  // Pipeline::SubmitRefused), or answers it now.
  SubmitOutcome SubmitRefused(const std::string& tenant_id, domain::EntryError error,
                              int64_t received_us) LOCKS_EXCLUDED(mu_);
  // Counts one refusal of an entry that never reached Submit.
  void CountRejected(const std::string& tenant_id) LOCKS_EXCLUDED(mu_);
  // NACKs of entries nothing was written for: in the statistics at once, in
  // the counters table with the next ingest transaction.
  void CountRefusals(const Deltas& refused) LOCKS_EXCLUDED(mu_);
  void AddOperatorRequest(OperatorRequest request) LOCKS_EXCLUDED(mu_);
  // Roughly how long the backlog takes to drain at the recent ack rate.
  int64_t RetryAfterMs() const;

  // Unfinished entries (held, queued or in the inbox), for admission.
  int64_t unfinished() const { return unfinished_.load(std::memory_order_relaxed); }
  void AddUnfinished(int64_t n) { unfinished_.fetch_add(n, std::memory_order_relaxed); }
  void SetUnfinished(int64_t n) { unfinished_.store(n); }
  std::atomic<int64_t>* unfinished_counter() { return &unfinished_; }  // for Ingest

  // Stops admission. Returns false when it was stopped already and no
  // worker runs (nothing left to do).
  bool BeginStop(int64_t deadline_us, bool worker_running) LOCKS_EXCLUDED(mu_);

  // ---- worker thread ----

  // What the worker knows when it decides whether to wait.
  struct WorkerView {
    bool lost = false;                             // the database is lost
    bool busy = false;                             // the last batch had more than one entry
    std::function<bool(int64_t now)> backing_off;  // no ingest before the backoff passed
    std::function<bool(int64_t now)> has_work;     // carried entries or claimable ones
    std::function<int64_t(int64_t now)> wake_at;   // maintenance or a retry due
  };
  // Blocks until there is work (or something is due); under load, gives a
  // batch up to batch_wait_ms to fill.
  void WaitForWork(const WorkerView& view) LOCKS_EXCLUDED(mu_);

  struct Taken {
    std::vector<Incoming> incoming;
    std::vector<OperatorRequest> ops;
    db::CounterMap refusals;
  };
  Taken Take(bool take_refusals) LOCKS_EXCLUDED(mu_);
  // Refusals a failed commit did not write.
  void RestoreRefusals(const db::CounterMap& refusals) LOCKS_EXCLUDED(mu_);
  db::CounterMap TakeRefusals() LOCKS_EXCLUDED(mu_);
  // Forgets the unwritten refusals of a purged tenant's scope.
  void DropRefusalsOf(const std::string& tenant) LOCKS_EXCLUDED(mu_);

  struct StopState {
    bool stopping = false;
    bool past_deadline = false;
    bool drained = false;  // nothing arrived, no operator request, no refusal to write
  };
  StopState stop_state(bool lost) LOCKS_EXCLUDED(mu_);

  void Wake() { cv_.Signal(); }

 private:
  const PipelineOptions& options_;
  const common::Clock* clock_;
  const Metrics* metrics_;
  CounterMirror* mirror_;
  std::atomic<int64_t> unfinished_{0};

  Mutex mu_;
  CondVar cv_{&mu_};
  std::vector<Incoming> inbox_ GUARDED_BY(mu_);
  std::vector<OperatorRequest> ops_ GUARDED_BY(mu_);
  db::CounterMap refusals_ GUARDED_BY(mu_);  // in the mirror, not yet in the database
  bool stopping_ GUARDED_BY(mu_) = false;
  int64_t stop_deadline_us_ GUARDED_BY(mu_) = 0;
  size_t over_limit_in_inbox_ GUARDED_BY(mu_) = 0;
  size_t refused_in_inbox_ GUARDED_BY(mu_) = 0;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_INBOX_H_
