// Health, statistics, metrics and the OpenAPI document.
#include <fstream>
#include <sstream>

#include "handlers.h"
#include "metrics_text.h"
#include "syncd/wire/health.h"

namespace syncd::api {

namespace {

int64_t Call(const std::function<int64_t()>& f) { return f ? f() : 0; }

// Everything /api/v1/queue/stats and /metrics report, from memory: exact
// counters mirrored after each commit, windows, and the worker's oldest entry.
bool GatherStats(ApiContext& ctx, StatsInput* in, ApiResponse*) {
  in->counts = ctx.pipeline->GlobalCounts();
  in->metrics = ctx.pipeline->metrics().Take();
  int64_t oldest = ctx.pipeline->OldestUnfinishedReceivedMs();
  in->oldest_pending_age_ms = oldest > 0 ? std::max<int64_t>(0, NowEpochMs() - oldest) : 0;
  in->ws_connections = Call(ctx.ws.connections);
  in->ws_tenants = Call(ctx.ws.tenants);
  in->ws_slow_closes = Call(ctx.ws.slow_closes);
  in->ws_initial_load_reads = Call(ctx.ws.initial_load_reads);
  in->ws_initial_load_shared = Call(ctx.ws.initial_load_shared);
  in->uptime_s = ctx.UptimeS();
  bool ws_up = ctx.ws.up && ctx.ws.up();
  in->degraded = !ctx.reads->Ping().ok() || ctx.pipeline->health() != pipeline::Health::kOk ||
                 !ws_up || !ctx.http_up;
  in->instance_id = ctx.options.instance_id;
  // Without the list (database away) the statistics still answer.
  if (!ctx.reads->ListInstances(&in->instances).ok()) in->instances.clear();
  return true;
}

}  // namespace

ApiResponse HandleHealth(ApiContext& ctx, const ApiRequest&) {
  bool stopping = ctx.shutting_down.load();
  return JsonResponse(wire::HealthJson(*ctx.pipeline, *ctx.reads, ctx.ws.up, ctx.http_up.load(),
                                       stopping, ctx.UptimeS(), ctx.options.version),
                      stopping ? HttpStatusOf(ApiError::kShuttingDown) : 200);
}

ApiResponse HandleQueueStats(ApiContext& ctx, const ApiRequest&) {
  StatsInput in;
  ApiResponse error;
  if (!GatherStats(ctx, &in, &error)) return error;
  return JsonResponse(QueueStatsJson(in));
}

ApiResponse HandleMetrics(ApiContext& ctx, const ApiRequest&) {
  StatsInput in;
  ApiResponse error;
  if (!GatherStats(ctx, &in, &error)) return error;
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = MetricsText(in);
  return r;
}

ApiResponse HandleOpenApi(ApiContext& ctx, const ApiRequest&) {
  std::ifstream file(ctx.options.openapi_path, std::ios::binary);
  std::ostringstream text;
  if (ctx.options.openapi_path.empty() || !file || !(text << file.rdbuf())) {
    return ErrorResponse(ApiError::kNotFound, "openapi.yaml is not available");
  }
  ApiResponse r;
  r.content_type = "application/yaml";
  r.body = text.str();
  return r;
}

}  // namespace syncd::api
