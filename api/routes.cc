#include "handlers.h"
#include "syncd/common/clock.h"

namespace syncd::api {

const std::vector<RouteSpec>& RouteTable() {
  static const std::vector<RouteSpec> kRoutes = {
      {"GET", "/health", HandleHealth, false, true},
      {"GET", "/api/v1/websocket/health", HandleHealth, false, true},
      {"GET", "/api/v1/sync/status/{tenant_id}", HandleTenantStatus, false, false},
      {"GET", "/api/v1/sync/data-status/{tenant_id}", HandleDataStatus, false, false},
      {"POST", "/api/v1/sync/detect-conflicts", HandleDetectConflicts, true, false},
      {"POST", "/api/v1/sync/acknowledge", HandleAcknowledge, true, false},
      {"GET", "/api/v1/sync/conflicts/{tenant_id}", HandleConflicts, false, false},
      {"POST", "/api/v1/sync/entries", HandleSubmitEntries, true, false},
      {"GET", "/api/v1/sync/entries/{tenant_id}/{entry_id}", HandleGetEntry, false, false},
      {"GET", "/api/v1/queue/stats", HandleQueueStats, false, false},
      {"GET", "/metrics", HandleMetrics, false, false},
      {"GET", "/openapi.yaml", HandleOpenApi, false, false},
      // The operator console (console.md): its API, then its static files.
      {"GET", "/api/v1/overview", HandleOverview, false, false},
      {"GET", "/api/v1/events", HandleEvents, false, false},
      {"GET", "/api/v1/metrics/history", HandleMetricsHistory, false, false},
      {"GET", "/api/v1/dead-letters", HandleListDeadLetters, false, false},
      {"POST", "/api/v1/dead-letters/actions", HandleDeadLetterActions, true, false},
      {"GET", "/api/v1/conflicts", HandleListAllConflicts, false, false},
      {"POST", "/api/v1/conflicts/{conflict_id}/resolve", HandleResolveConflict, true, false},
      {"GET", "/api/v1/tenants", HandleListTenants, false, false},
      {"GET", "/api/v1/tenants/{tenant_id}/entities", HandleTenantEntities, false, false},
      {"GET", "/api/v1/tenants/{tenant_id}/entities/{entity_type}/{entity_id}", HandleTenantEntity,
       false, false},
      {"GET", "/api/v1/entries/{tenant_id}/{entry_id}/timeline", HandleEntryTimeline, false, false},
      {"GET", "/", HandleRoot, false, false},
      {"GET", "/console", HandleConsoleIndex, false, false},
      {"GET", "/console/{file}", HandleConsoleFile, false, false},
      {"GET", "/console/assets/{file}", HandleConsoleAsset, false, false},
  };
  return kRoutes;
}

int64_t ApiContext::UptimeS() const { return (common::MonotonicMicros() - started_us) / 1000000; }

std::vector<std::string> HttpServer::Routes() {
  std::vector<std::string> out;
  for (const RouteSpec& r : RouteTable()) out.push_back(std::string(r.method) + " " + r.path);
  return out;
}

}  // namespace syncd::api
