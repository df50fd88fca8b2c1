// The route handlers: plain functions from ApiRequest to ApiResponse over the
// pipeline and the read store, and the route table both the Pistache wiring
// and HttpServer::Routes() read. Handlers run on Pistache threads.
#ifndef SYNCD_API_HANDLERS_H_
#define SYNCD_API_HANDLERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http_types.h"
#include "result_waiters.h"
#include "syncd/api/http_server.h"
#include "syncd/auth/access.h"
#include "syncd/auth/directory.h"
#include "syncd/auth/limits.h"
#include "syncd/auth/login_throttle.h"
#include "syncd/db/account_store.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/pipeline/rate_limited_log.h"

namespace syncd::api {

class ConsoleState;

// What handlers share; owned by HttpServer's Impl, outlives every handler call.
struct ApiContext {
  HttpOptions options;
  pipeline::Pipeline* pipeline = nullptr;
  db::ReadStore* reads = nullptr;
  WsInfo ws;
  ResultWaiters waiters;
  int64_t started_us = 0;  // MonotonicMicros() when the server was built
  std::atomic<bool> http_up{false};
  std::atomic<bool> shutting_down{false};
  pipeline::RateLimitedLog log;               // database faults: the raw message, for stderr only
  db::ConsoleStore* console_store = nullptr;  // not owned; null until UseConsoleStore
  TenantConnectionsFn tenant_connections;     // may be empty
  std::mutex console_mu;                      // guards the creation of `console`
  std::shared_ptr<ConsoleState> console;      // the stats sampler (handlers_console.cc)
  std::atomic<int> event_streams{0};          // open GET /api/v1/events streams
  // Accounts (accounts.md); set by UseAccounts before Start. Without them
  // the accounts routes answer 500 and no token verifies.
  AuthOptions auth;
  db::AccountStore* accounts = nullptr;  // not owned
  auth::Directory* directory = nullptr;  // not owned
  TenantClosedFn tenant_closed;          // may be empty
  auth::LoginThrottle login_throttle;
  // Argon2id hashes and verifications running at once (19 MiB each); over
  // it: 503 busy, Retry-After (security.md).
  static constexpr int kPasswordSlots = 4;
  auth::PasswordSlots password_slots{kPasswordSlots};
  // POST /register per client address: 10 per 10 minutes (security.md).
  static constexpr int kRegistersPerWindow = 10;
  static constexpr int64_t kRegisterWindowMs = int64_t{10} * 60 * 1000;
  auth::RateWindow register_limit{kRegistersPerWindow, kRegisterWindowMs};

  int64_t UptimeS() const;
};

// The 500 of a failed database read: clients get the stable
// pipeline::kDatabaseUnavailable; the store's message (SQLite's text) goes to
// the rate-limited log. `what` names the read in the log.
ApiResponse DatabaseError(ApiContext& ctx, const char* what, const common::Status& s);

// An operator's action from a request body: "action" (retry | ack | nack)
// and an optional string "detail". nullopt and *error (400) otherwise. One
// parse for POST /api/v1/sync/acknowledge and the console's bulk actions.
struct OperatorRequest {
  std::string name;  // as sent: "retry", "ack" or "nack"
  pipeline::OperatorAction op = pipeline::OperatorAction::kRetry;
  std::string detail;
};
std::optional<OperatorRequest> ParseOperatorRequest(const rapidjson::Value& body,
                                                    ApiResponse* error);

using Handler = ApiResponse (*)(ApiContext&, const ApiRequest&);

struct RouteSpec {
  const char* method;  // "GET" | "POST" | "PUT" | "DELETE"
  const char* path;    // openapi.yaml form, "/api/v1/sync/status/{tenant_id}"
  Handler handler;
  bool json_body;         // POST/PUT with a JSON body: 413/415 checks apply
  bool answers_shutdown;  // answers 503 itself (health); others get shutting_down
  // Who may call it in token mode (accounts.md, Access rules). kTenant: the
  // server checks every tenant the request names (TenantsNamed) before the
  // handler runs; kUser: the handler checks the users and tenants it names.
  auth::Access access;
};

// The tenants a request names: the path's {tenant_id}, a `tenant_id` query
// value, a body's `tenant_id` and each `entries[].tenantId`.
std::vector<std::string> TenantsNamed(const ApiRequest& req);

// The 401 / 403 answers of the access checks (WWW-Authenticate on 401).
// Neither says anything about the resource.
ApiResponse Unauthorized();
ApiResponse Forbidden();
ApiResponse DecisionResponse(auth::Decision decision);
// A user the directory lacks is read from the accounts store (it may have
// been created a moment ago on another instance, or by `syncd user add`).
void RefreshMissingUser(const ApiContext& ctx, const std::string& user_id);

// May the request's caller use `tenant` (auth::CheckTenant with its owner
// from the directory)? Always kAllow in none mode.
auth::Decision TenantDecision(const ApiContext& ctx, const ApiRequest& req,
                              const std::string& tenant);

const std::vector<RouteSpec>& RouteTable();

// handlers_entries.cc
ApiResponse HandleSubmitEntries(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleGetEntry(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleAcknowledge(ApiContext& ctx, const ApiRequest& req);
// handlers_tenant.cc
ApiResponse HandleTenantStatus(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDataStatus(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDetectConflicts(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleConflicts(ApiContext& ctx, const ApiRequest& req);
// handlers_stats.cc
ApiResponse HandleHealth(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleQueueStats(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleMetrics(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleOpenApi(ApiContext& ctx, const ApiRequest& req);
// handlers_console.cc: the operator console's routes (console.md).
void StartConsole(ApiContext& ctx);
ApiResponse HandleOverview(ApiContext& ctx, const ApiRequest& req);
// The overview as a Server-Sent Events stream (ApiResponse::event_stream).
ApiResponse HandleEvents(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleMetricsHistory(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListDeadLetters(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDeadLetterActions(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListAllConflicts(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleResolveConflict(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListTenants(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleTenantEntities(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleTenantEntity(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleEntryTimeline(ApiContext& ctx, const ApiRequest& req);
// handlers_accounts.cc: users, login and tokens (accounts.md).
// "2026-01-31T12:00:00.000Z": the accounts bodies' createdAt / updatedAt.
std::string IsoTime(int64_t epoch_ms);
ApiResponse HandlePing(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleRegister(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleLogin(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleRefresh(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleLogout(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleUsersMe(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListUsers(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleCreateUser(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleUpdateUser(ApiContext& ctx, const ApiRequest& req);
// handlers_account_tenants.cc: tenants and their owners (accounts.md).
ApiResponse HandleCreateTenant(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleListUserTenants(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleRenameTenant(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleDeleteTenant(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleResetTenant(ApiContext& ctx, const ApiRequest& req);
// console_static.cc: the built front end.
ApiResponse HandleRoot(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleConsoleIndex(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleConsoleFile(ApiContext& ctx, const ApiRequest& req);
ApiResponse HandleConsoleAsset(ApiContext& ctx, const ApiRequest& req);

}  // namespace syncd::api

#endif  // SYNCD_API_HANDLERS_H_
