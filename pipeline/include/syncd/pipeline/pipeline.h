// The pipeline: group-commits accepted entries into the queue table, applies
// them in batches (one transaction, a savepoint per entry, last-write-wins),
// retries transient failures with backoff and dead-letters after the last
// attempt, then hands each result to the sinks. Knows no WebSocket or HTTP type.
//
// Threads: Submit/Reject/Acknowledge/stats may be called from any thread.
// One worker thread (Start) owns the WriteStore; sinks are called on it,
// after the commit that made the results durable, and must not block.
#ifndef SYNCD_PIPELINE_PIPELINE_H_
#define SYNCD_PIPELINE_PIPELINE_H_

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "syncd/common/clock.h"
#include "syncd/db/store.h"
#include "syncd/domain/entity.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/lww.h"
#include "syncd/domain/result.h"
#include "syncd/pipeline/metrics.h"
#include "syncd/pipeline/results.h"
#include "syncd/pipeline/retry.h"

namespace syncd::pipeline {

struct PipelineOptions {
  int batch_max = 512;         // most entries in one apply transaction
  int batch_wait_ms = 2;       // longest an entry waits for its batch to fill (only under load)
  RetryPolicy retry;           // attempts and backoff
  int64_t queue_max = 100000;  // unfinished entries before rate_limit_error
  // Who wins an updated_at tie with a differing state (--lww-tie).
  domain::TieRule lww_tie = domain::TieRule::kIncoming;
  int64_t result_retention_ms = 168LL * 3600 * 1000;
  int64_t lease_ms = 30000;   // in_flight lease; an expired lease is claimed again
  int retention_batch = 500;  // rows deleted per maintenance transaction
  int64_t maintenance_interval_ms = 1000;
  int64_t snapshot_interval_ms = 60000;  // metric snapshots into the database
  int64_t snapshot_keep_ms = 7LL * 24 * 3600 * 1000;
  // Several instances on one database: how often the worker claims the
  // unfinished entries of instances that stopped (WriteStore::ClaimOrphaned)
  // and reloads the counters the others changed. 0: never (one writer, SQLite).
  int64_t orphan_scan_ms = 0;
  // Seeds the backoff jitter. Unset (production): std::random_device. Tests
  // set it so that a run is repeatable (full jitter includes a zero delay).
  std::optional<uint64_t> rng_seed;
};

// The reply to one entry, handed to the sinks.
struct Delivery {
  std::string tenant_id;
  std::string entry_id;
  domain::EntityType entity_type = domain::EntityType::kAccount;
  std::string entity_id;
  // Enums until the wire: the writers (wire/) spell them.
  domain::Operation operation_type = domain::Operation::kCreate;
  domain::EntryResult result;  // made by results.h
  // What the entry's queue row says after this result: a transport keeps
  // waiting for a kDead entry (an operator answers it later), and a
  // kRefused one has no row to wait on.
  FinalState state = FinalState::kDone;
  bool duplicate = false;   // a resent id whose result was already known
  int64_t received_us = 0;  // monotonic receipt time; 0 when unknown (after a restart)
  // The entity after this entry: for `applied` the new state (fan-out to the
  // tenant's other connections), for `superseded` the stored state (sent back
  // to the sender). Empty for NACKs and duplicates.
  std::string entity_data;  // canonical JSON; {"id":…} when deleted
  bool entity_deleted = false;
  // Set for an entry refused as it was read (validation, permission): the
  // NACK names the fields as they were read (any of them may be missing),
  // not the typed ones above.
  std::optional<domain::EntryError> refused;
};

// One batch of results, shared (not copied) by every sink.
using Deliveries = std::shared_ptr<const std::vector<Delivery>>;

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Called on the worker thread after commit. Must not block.
  virtual void Deliver(Deliveries deliveries) = 0;
};

// Counts of one scope (the whole queue, or one tenant), exact: mirrored from
// the counters table after each commit.
struct QueueCounts {
  int64_t pending = 0, in_flight = 0, retry_wait = 0, dead = 0;
  int64_t received = 0, applied = 0, superseded = 0, manual = 0, duplicates = 0, nacked = 0,
          retries = 0, dead_lettered = 0;
};

// Submit's answer. Not accepted: `refused` is the NACK to send now (queue
// full or shutting down, from results.h, state kRefused), with the entry's
// id, entity and operation; Submit counted it (received, nacked).
struct SubmitOutcome {
  std::optional<Delivery> refused;
  bool accepted() const { return !refused.has_value(); }
};

// Operator actions on one entry (REST /api/v1/sync/acknowledge).
enum class OperatorAction { kRetry, kAck, kNack };
// The answer to an operator action on one entry, or to a tenant purge.
struct OperatorResult {
  enum class Code { kOk, kNotFound, kNotDead, kError } code = Code::kOk;
  std::string message;
  std::string state;  // the entry's state afterwards
  // A tenant purge that committed: what it removed.
  std::optional<db::TenantPurge> purged;
};

enum class Health { kOk, kDegraded };

class Pipeline {
 public:
  // Takes the write store; recovers unfinished entries from it on Start().
  Pipeline(std::unique_ptr<db::WriteStore> store, PipelineOptions options,
           const common::Clock* clock);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Before Start. Not owned; must outlive the pipeline.
  void AddSink(ResultSink* sink);

  // Loads counters and unfinished entries, then starts the worker thread.
  common::Status Start();
  // Stops accepting, applies and answers everything queued that is due,
  // then joins the worker (at most `deadline_ms`).
  void Stop(int64_t deadline_ms = 3000);

  // Queues one validated entry. Refused when unfinished entries reached
  // queue_max (rate_limit_error, retry after RetryAfterMs()) or when stopping;
  // nothing is persisted then.
  SubmitOutcome Submit(domain::SyncEntry entry, int64_t received_us);
  // An entry refused as it was read (validation, permission) on a connection
  // of `tenant_id` (protocol.md: remembered NACKs). With a readable id (an
  // identifier) it is accepted: written to the queue as finished with its
  // NACK, which is delivered (state kDone) after that commit to the
  // connections waiting on the id; a resend of the id, valid or not, is then
  // answered with that NACK marked duplicate (and an id the tenant sent
  // before is answered as any duplicate). Without a readable id, when
  // stopping, or beyond kMaxRefusedInbox waiting, `refused` is the NACK to
  // send now, not remembered. Counted either way (received, nacked).
  SubmitOutcome SubmitRefused(const std::string& tenant_id, domain::EntryError error,
                              int64_t received_us);
  // Counts an entry NACKed before it reached the queue (validation,
  // permission); nothing else is written. The count shows in the statistics
  // at once and reaches the counters table with the next ingest commit.
  // tenant_id "" counts only in the global scope.
  void CountRejected(const std::string& tenant_id);
  int64_t RetryAfterMs() const;

  // Several instances: entries another instance finished (its NOTIFY, read
  // back by this one's listener) go to this instance's sinks like its own
  // results, so that its connections waiting on those ids get their reply
  // and the tenant's other connections their data_update. No counters,
  // metrics or state of this worker change. Any thread, after Start.
  void DeliverFinishedElsewhere(const std::vector<db::FinishedEntry>& finished);

  std::future<OperatorResult> Operate(const std::string& tenant_id, const std::string& entry_id,
                                      OperatorAction action, const std::string& detail);

  // A tenant delete (`remove_tenant`) or reset (accounts.md), run by the
  // worker between its transactions: it drops the tenant's entries it holds
  // (queued, waiting for a retry, arrived and not yet written) and answers
  // each with a non-permanent system_error NACK (results::TenantPurged), then
  // removes every row of the tenant in one transaction with the counters,
  // and drops the tenant from the statistics. kOk with `purged`, or kError
  // (nothing removed, nothing dropped). docs/design.md "Tenant delete and reset".
  std::future<OperatorResult> PurgeTenant(const std::string& tenant_id, bool remove_tenant);

  QueueCounts GlobalCounts() const;
  QueueCounts TenantCounts(const std::string& tenant_id) const;
  int64_t TenantCount() const;  // tenants that have counters
  // Receipt time (epoch ms) of the oldest unfinished (not dead) entry the
  // worker holds; 0 if none. From memory, refreshed after each worker loop.
  int64_t OldestUnfinishedReceivedMs() const;
  // kDegraded after a failed commit until the next successful one, and for
  // good once the store reported the database lost (Status::unavailable()).
  Health health() const;
  Metrics& metrics();

  // For tests with a fake clock: Recover() instead of Start(), then drive the
  // worker on the calling thread. RunOnce returns whether it did any work.
  common::Status RecoverForTest();
  bool RunOnceForTest();

 private:
  class Worker;
  std::unique_ptr<Worker> worker_;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_PIPELINE_H_
