#include "maintenance.h"

#include <cstdio>

namespace syncd::pipeline {

using common::Status;

namespace {

std::string SnapshotBody(const CounterMirror& counters, const Metrics& metrics) {
  QueueCounts c = counters.Counts("");
  Metrics::Snapshot m = metrics.Take();
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"depth\":{\"pending\":%lld,\"in_flight\":%lld,\"retry_wait\":%lld,"
                "\"dead\":%lld},\"totals\":{\"received\":%lld,\"applied\":%lld,"
                "\"superseded\":%lld,\"nacked\":%lld},\"rates\":{\"received_per_s\":%.3f,"
                "\"acked_per_s\":%.3f},\"latency_ms\":{\"ack_p50\":%.3f,\"ack_p99\":%.3f}}",
                static_cast<long long>(c.pending), static_cast<long long>(c.in_flight),
                static_cast<long long>(c.retry_wait), static_cast<long long>(c.dead),
                static_cast<long long>(c.received), static_cast<long long>(c.applied),
                static_cast<long long>(c.superseded), static_cast<long long>(c.nacked),
                m.received_per_s, m.acked_per_s, m.ack_p50_ms, m.ack_p99_ms);
  return buf;
}

}  // namespace

void Maintenance::Run(db::WriteStore* store, int64_t now, const CounterMirror& counters,
                      const Metrics& metrics, FailureLog* failures) {
  if (now < next_maintenance_ms_) return;
  next_maintenance_ms_ = now + options_.maintenance_interval_ms;
  failures->Flush();
  if (failures->lost()) return;
  int deleted = 0;
  Status s = store->Begin(db::TxnKind::kMaintenance);
  if (s.ok()) {
    s = store->DeleteFinishedBefore(now - options_.result_retention_ms, options_.retention_batch,
                                    &deleted);
  }
  if (s.ok() && now >= next_snapshot_ms_) {
    next_snapshot_ms_ = now + options_.snapshot_interval_ms;
    s = store->InsertMetricSnapshot(now, SnapshotBody(counters, metrics),
                                    now - options_.snapshot_keep_ms);
  }
  if (s.ok()) s = store->Commit();
  if (!s.ok()) {
    store->Rollback();
    failures->Record("maintenance", s);
    return;
  }
  // More to delete: come back soon, without starving the pipeline.
  if (deleted >= options_.retention_batch) next_maintenance_ms_ = now + 10;
}

void FlushRefusals(db::WriteStore* store, const db::CounterMap& refusals, FailureLog* failures) {
  if (refusals.empty() || failures->lost()) return;
  Status s = store->Begin(db::TxnKind::kMaintenance);
  if (s.ok()) s = store->AddCounters(refusals);
  if (s.ok()) s = store->Commit();
  if (!s.ok()) {
    store->Rollback();
    failures->Record("counter flush", s);
  }
}

}  // namespace syncd::pipeline
