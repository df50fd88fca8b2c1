// The pipeline's one worker: the loop that takes what arrived (Inbox),
// persists it and claims a batch (Ingest), applies the batch (ApplyBatch),
// answers operators (OperatorActions), keeps house (Maintenance) and hands
// results to the sinks. Owns the write store and every step's state. Created
// by Pipeline; the Inbox side and the statistics from any thread, the rest on
// the worker thread (or the test's thread via RunOnce).
#ifndef SYNCD_PIPELINE_WORKER_H_
#define SYNCD_PIPELINE_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "counter_mirror.h"
#include "inbox.h"
#include "item.h"
#include "maintenance.h"
#include "schedule.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

class Pipeline::Worker {
 public:
  Worker(std::unique_ptr<db::WriteStore> store, PipelineOptions options,
         const common::Clock* clock);

  // ---- any thread ----
  Inbox& inbox() { return inbox_; }
  const CounterMirror& counters() const { return counters_; }
  CounterMirror& mutable_counters() { return counters_; }
  Health health() const {
    return degraded_.load() || failures_.lost() ? Health::kDegraded : Health::kOk;
  }
  int64_t OldestUnfinishedMs() const {
    return oldest_unfinished_ms_.load(std::memory_order_relaxed);
  }
  Metrics& metrics() { return metrics_; }
  void AddSink(ResultSink* sink) { sinks_.push_back(sink); }  // before Start
  // Results another instance committed: to the sinks, nothing else (the
  // sinks are fixed before Start and thread-safe).
  void DeliverFromElsewhere(std::vector<Delivery> deliveries) { Deliver(std::move(deliveries)); }

  // ---- lifecycle ----
  common::Status Recover();
  common::Status Start();
  void Stop(int64_t deadline_ms);
  bool RunOnce() { return Step(/*block=*/false); }

 private:
  void Run();
  bool Finished();
  bool Step(bool block);
  bool StepOnce(bool block);
  bool BackingOff(int64_t now) const { return ingest_retry_at_ms_ > now; }
  bool HasClaimable(int64_t now) const { return !BackingOff(now) && schedule_.HasClaimable(now); }
  Inbox::WorkerView View() const;

  // Each returns whether the batch may be applied (ingest committed).
  bool IngestAndClaim(std::vector<Incoming> incoming, db::CounterMap refusals,
                      std::vector<Item>* batch);
  void Apply(std::vector<Item> batch);
  // Recovered or taken-over queue rows into the schedule.
  void Adopt(std::vector<db::QueueRow> rows, int64_t now);
  bool TakeOrphans(int64_t now);
  bool ReloadClaims(int64_t now);
  void HandleOperator(OperatorRequest& request);
  void HandlePurge(OperatorRequest& request, std::vector<Incoming>* incoming,
                   db::CounterMap* refusals);
  void FailIncoming(std::vector<Incoming> incoming);
  void AnswerLost(std::vector<Incoming> incoming);
  void RefuseUnavailable(const std::vector<Incoming>& incoming, Deltas* refused,
                         std::vector<Delivery>* out);
  Delivery UnavailableNack(const domain::SyncEntry& entry, int64_t received_us) const;
  Delivery NotPersisted(const Incoming& in);
  void Deliver(std::vector<Delivery> deliveries);

  std::unique_ptr<db::WriteStore> store_;
  const PipelineOptions options_;
  const common::Clock* clock_;
  std::vector<ResultSink*> sinks_;
  Metrics metrics_;
  FailureLog failures_;
  CounterMirror counters_;
  Inbox inbox_;
  std::atomic<bool> degraded_{false};
  std::atomic<int64_t> oldest_unfinished_ms_{0};

  // Worker thread only.
  Schedule schedule_;
  Maintenance maintenance_;
  std::vector<Incoming> carry_;  // not yet persisted after a failed ingest
  int ingest_failures_ = 0;
  int64_t ingest_retry_at_ms_ = 0;
  int64_t next_orphan_scan_ms_ = 0;
  bool busy_ = false;
  std::mt19937_64 rng_;
  std::thread thread_;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_WORKER_H_
