// The REST API (service.md, REST table) on Pistache. Reads through its own
// ReadStore; writes go through the pipeline like WebSocket entries.
// Threads: Start/BeginShutdown/Stop from the owner (app); handlers run on
// Pistache's threads and never wait for the pipeline: a request that waits
// for results is answered later from a thread of the server's own; Deliver
// (ResultSink) is called on the pipeline thread.
#ifndef SYNCD_API_HTTP_SERVER_H_
#define SYNCD_API_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "syncd/auth/directory.h"
#include "syncd/auth/tokens.h"
#include "syncd/common/host_policy.h"
#include "syncd/common/origin_policy.h"
#include "syncd/common/status.h"
#include "syncd/db/account_store.h"
#include "syncd/db/console_store.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

// What the API needs to know of the WebSocket side (connections, liveness).
struct WsInfo {
  std::function<int64_t()> connections;  // open WebSocket connections
  std::function<int64_t()> tenants;      // distinct tenants among them
  std::function<bool()> up;              // listening
  // Connections closed (1008) for not reading, since start. An unset
  // function reads as 0.
  std::function<int64_t()> slow_closes;
  // Initial data loads read from the database, and requests answered with
  // a load read for another request of the same tenant state, since start.
  std::function<int64_t()> initial_load_reads;
  std::function<int64_t()> initial_load_shared;
};

// Open connections per tenant (the console's tenant list).
using TenantConnectionsFn = std::function<std::map<std::string, int64_t>()>;

// Called (from the thread that answers deferred requests) after a tenant was
// deleted, to close its open WebSocket connections (1000).
using TenantClosedFn = std::function<void(const std::string& tenant)>;

// Tokens and access checks (accounts.md).
struct AuthOptions {
  // token mode: every route but the open ones needs a valid access token.
  // false (none mode): nothing is checked; the accounts routes still work.
  bool required = false;
  auth::TokenKeys keys;
  int64_t access_ttl_s = 900;
  int64_t refresh_ttl_s = 2592000;
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (see port())
  int64_t max_body_bytes = 1048576;
  int threads = 2;
  std::string openapi_path;  // file served at GET /openapi.yaml
  std::string version = "0.1.0";
  // Several instances on one database (PostgreSQL): this one's id, for the
  // statistics (`instances`) and the `instance` label of /metrics. "" alone.
  std::string instance_id;
  // Open connections served at once; more get a JSON 503 and are closed.
  int max_connections = 4096;
  // A request whose line, headers and body have not all come this long after
  // its first byte (for a new connection: after it opened) is answered the
  // JSON 408 and its connection closed: slow clients and half-open
  // connections must not hold a place for ever.
  int header_timeout_ms = 10000;
  // An idle keep-alive connection is closed after this long. Keep it above
  // the longest wait of a request (wait_ms ≤ 60 s): Pistache counts a
  // connection whose answer is still to come as idle.
  int keepalive_timeout_ms = 75000;
  // Origins whose browser pages get CORS headers (accounts.md, CORS).
  common::OriginPolicy origins;
  // none mode: the Host names served (security.md, DNS rebinding); any
  // other Host gets 403 forbidden_host before routing. Default: every Host.
  common::HostPolicy hosts;
  // The built operator console (console/dist), served at /console/; when
  // the folder is missing /console/ says how to build it.
  std::string console_dir;
};

// The REST server. Owned by the app; it must outlive the pipeline's worker
// (destroy it after pipeline->Stop()), because the pipeline keeps a pointer to
// it as a ResultSink.
class HttpServer {
 public:
  // Registers itself as a sink of `pipeline` (call before pipeline->Start()).
  HttpServer(HttpOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads, WsInfo ws);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  common::Status Start();  // binds and serves in background threads
  int port() const;        // the bound port
  void BeginShutdown();    // from now on every route answers 503
  // Answers requests waiting for results (entries `pending`, operator
  // actions 503), stops listening and returns once no handler runs and no
  // answer is still being written. Idempotent.
  void Stop();

  // The operator console's store (not owned; outlives the server). Call
  // before Start(); without it the console routes answer 500. Also starts
  // the console's 2-second stats sampler (its 15-minute chart history).
  void UseConsoleStore(db::ConsoleStore* store, TenantConnectionsFn tenant_connections = {});

  // The accounts store and the owners directory (not owned; both outlive
  // the server), the token settings, and who closes a deleted tenant's
  // connections. Call before Start().
  void UseAccounts(db::AccountStore* accounts, auth::Directory* directory, AuthOptions auth,
                   TenantClosedFn tenant_closed = {});

  // Every route as "METHOD /path/{param}", for the openapi.yaml test.
  static std::vector<std::string> Routes();

  // Every route with its access rule in token mode (accounts.md), for the
  // tests that walk the table and the report.
  struct RouteRule {
    std::string method;
    std::string path;
    auth::Access access;
  };
  static std::vector<RouteRule> RouteRules();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace syncd::api

#endif  // SYNCD_API_HTTP_SERVER_H_
