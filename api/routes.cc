#include "handlers.h"
#include "syncd/common/clock.h"

namespace syncd::api {

namespace {
constexpr auth::Access kOpen = auth::Access::kOpen;
constexpr auth::Access kUser = auth::Access::kUser;
constexpr auth::Access kTenant = auth::Access::kTenant;
constexpr auth::Access kOperator = auth::Access::kOperator;
}  // namespace

// The last column is each route's rule in token mode (accounts.md, Access
// rules); the end-to-end test walks this table, so a new route cannot be
// forgotten.
const std::vector<RouteSpec>& RouteTable() {
  static const std::vector<RouteSpec> kRoutes = {
      {"GET", "/health", HandleHealth, false, true, kOpen},
      {"GET", "/api/v1/websocket/health", HandleHealth, false, true, kOpen},
      {"GET", "/api/v1/sync/status/{tenant_id}", HandleTenantStatus, false, false, kTenant},
      {"GET", "/api/v1/sync/data-status/{tenant_id}", HandleDataStatus, false, false, kTenant},
      {"POST", "/api/v1/sync/detect-conflicts", HandleDetectConflicts, true, false, kTenant},
      {"POST", "/api/v1/sync/acknowledge", HandleAcknowledge, true, false, kOperator},
      {"GET", "/api/v1/sync/conflicts/{tenant_id}", HandleConflicts, false, false, kTenant},
      {"POST", "/api/v1/sync/entries", HandleSubmitEntries, true, false, kTenant},
      {"GET", "/api/v1/sync/entries/{tenant_id}/{entry_id}", HandleGetEntry, false, false, kTenant},
      {"GET", "/api/v1/queue/stats", HandleQueueStats, false, false, kOperator},
      {"GET", "/metrics", HandleMetrics, false, false, kOperator},
      {"GET", "/openapi.yaml", HandleOpenApi, false, false, kOpen},
      // Accounts (accounts.md): the paths the web frontend calls, no prefix.
      // Pistache drops a trailing '/', so POST /tenants/ is POST /tenants.
      {"GET", "/ping", HandlePing, false, false, kOpen},
      {"POST", "/register", HandleRegister, true, false, kOpen},
      {"POST", "/login", HandleLogin, true, false, kOpen},
      {"POST", "/token/refresh", HandleRefresh, true, false, kOpen},
      {"POST", "/logout", HandleLogout, true, false, kOpen},
      {"GET", "/users/me", HandleUsersMe, false, false, kUser},
      {"GET", "/users", HandleListUsers, false, false, kUser},
      {"POST", "/users", HandleCreateUser, true, false, kUser},
      {"PUT", "/users/{uuid}", HandleUpdateUser, true, false, kUser},
      {"POST", "/tenants", HandleCreateTenant, true, false, kUser},
      {"GET", "/tenants", HandleListUserTenants, false, false, kUser},
      {"PUT", "/tenants/{uuid}", HandleRenameTenant, true, false, kUser},
      {"DELETE", "/tenants/{uuid}/complete", HandleDeleteTenant, false, false, kUser},
      {"POST", "/tenants/{uuid}/reset-database", HandleResetTenant, false, false, kUser},
      // The operator console (console.md): its API, then its static files.
      // The files hold no data and must load before the operator signs in.
      {"GET", "/api/v1/overview", HandleOverview, false, false, kOperator},
      {"GET", "/api/v1/events", HandleEvents, false, false, kOperator},
      {"GET", "/api/v1/metrics/history", HandleMetricsHistory, false, false, kOperator},
      {"GET", "/api/v1/dead-letters", HandleListDeadLetters, false, false, kOperator},
      {"POST", "/api/v1/dead-letters/actions", HandleDeadLetterActions, true, false, kOperator},
      {"GET", "/api/v1/conflicts", HandleListAllConflicts, false, false, kOperator},
      {"POST", "/api/v1/conflicts/{conflict_id}/resolve", HandleResolveConflict, true, false,
       kOperator},
      {"GET", "/api/v1/tenants", HandleListTenants, false, false, kOperator},
      {"GET", "/api/v1/tenants/{tenant_id}/entities", HandleTenantEntities, false, false,
       kOperator},
      {"GET", "/api/v1/tenants/{tenant_id}/entities/{entity_type}/{entity_id}", HandleTenantEntity,
       false, false, kOperator},
      {"GET", "/api/v1/entries/{tenant_id}/{entry_id}/timeline", HandleEntryTimeline, false, false,
       kOperator},
      {"GET", "/", HandleRoot, false, false, kOpen},
      {"GET", "/console", HandleConsoleIndex, false, false, kOpen},
      {"GET", "/console/{file}", HandleConsoleFile, false, false, kOpen},
      {"GET", "/console/assets/{file}", HandleConsoleAsset, false, false, kOpen},
  };
  return kRoutes;
}

int64_t ApiContext::UptimeS() const { return (common::MonotonicMicros() - started_us) / 1000000; }

std::vector<std::string> HttpServer::Routes() {
  std::vector<std::string> out;
  for (const RouteSpec& r : RouteTable()) out.push_back(std::string(r.method) + " " + r.path);
  return out;
}

std::vector<HttpServer::RouteRule> HttpServer::RouteRules() {
  std::vector<RouteRule> out;
  for (const RouteSpec& r : RouteTable()) out.push_back(RouteRule{r.method, r.path, r.access});
  return out;
}

}  // namespace syncd::api
