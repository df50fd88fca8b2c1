// GET /api/v1/queue/stats (JSON) and GET /metrics (Prometheus text 0.0.4):
// the same numbers, gathered once into StatsInput. Plain functions.
#ifndef SYNCD_API_METRICS_TEXT_H_
#define SYNCD_API_METRICS_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "syncd/pipeline/metrics.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

struct StatsInput {
  pipeline::QueueCounts counts;         // exact, global
  pipeline::Metrics::Snapshot metrics;  // windows and histogram
  int64_t oldest_pending_age_ms = 0;
  int64_t ws_connections = 0;
  int64_t ws_tenants = 0;
  int64_t ws_slow_closes = 0;
  int64_t ws_initial_load_reads = 0;
  int64_t ws_initial_load_shared = 0;
  int64_t uptime_s = 0;
  bool degraded = false;  // GET /health says "degraded" (database, or a server down)
  // Several instances (PostgreSQL): this one's id ("" alone) and every
  // instance sharing the database (scale.md 5).
  std::string instance_id;
  std::vector<db::InstanceRow> instances;
};

// The shape of service.md "Queue statistics" (plus totals.manual).
std::string QueueStatsJson(const StatsInput& in);
// Every metric named syncd_*, with HELP and TYPE lines.
std::string MetricsText(const StatsInput& in);

}  // namespace syncd::api

#endif  // SYNCD_API_METRICS_TEXT_H_
