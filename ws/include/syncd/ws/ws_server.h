// The WebSocket server (protocol.md) on websocketpp + standalone Asio.
// One Asio thread does all socket work: frames are parsed and validated
// there, valid entries go to the pipeline, and results come back by posting
// to the same thread (Deliver is called on the pipeline thread and only posts).
// Database reads (request_initial_data, data_status_request, the health
// answer) and their serialisation run on a few reader threads of its own,
// which post the finished text back, so that the Asio thread never waits.
// Start/StopAccepting/Shutdown are called by the owner (app).
#ifndef SYNCD_WS_WS_SERVER_H_
#define SYNCD_WS_WS_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "syncd/common/host_policy.h"
#include "syncd/common/origin_policy.h"
#include "syncd/common/status.h"
#include "syncd/db/store.h"
#include "syncd/domain/entity.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::ws {

// The answer of WsOptions::authorize for one upgrade.
struct WsAuthorization {
  int status = 0;  // 0: allowed; 401: no valid token; 403: may not use the tenant
  // When the token expires (epoch ms): the connection is then closed with
  // 1008 "token expired". 0: never.
  int64_t expires_at_ms = 0;
};

// Decides an upgrade for `tenant` from its `Authorization` header value and
// its `access_token` query value (percent-decoded; either may be empty).
// Runs on the Asio thread: it must not block (no database read).
using WsAuthorizeFn = std::function<WsAuthorization(
    const std::string& tenant, const std::string& authorization, const std::string& query_token)>;

struct WsOptions {
  std::string host = "127.0.0.1";
  int port = 8001;                      // 0: any free port (see port())
  int64_t max_message_bytes = 1048576;  // larger frames close the connection with 1009
  // A client that does not read: once this much is queued unsent to it, the
  // connection is closed (1008) instead of buffering without bound.
  int64_t max_buffered_bytes = 64LL << 20;
  // All connections together: once this much is queued unsent, the
  // connection holding the most is closed (1008), as for max_buffered_bytes.
  int64_t max_buffered_total_bytes = 256LL << 20;
  // Keep-alive (protocol.md): a ping control frame every ping_interval_ms;
  // a connection that has not answered one with a pong within
  // pong_timeout_ms is closed with 1001 (a dead peer: its waiters go, its
  // results stay durable and are replayed when it resends).
  int64_t ping_interval_ms = 25000;
  int64_t pong_timeout_ms = 10000;
  // Open connections served at once (upgrades in progress count); an upgrade
  // beyond it is refused (503 too_many_connections).
  int max_connections = 4096;
  // Threads that run request_initial_data, data_status_request and the
  // health answer's database reads (never the Asio thread).
  int reader_threads = 2;
  // A browser upgrade whose Origin this does not allow gets 403.
  common::OriginPolicy origins;
  // none mode: the Host names served (security.md, DNS rebinding); an
  // upgrade or GET with another Host gets 403 forbidden_host. Default: every Host.
  common::HostPolicy hosts;
  // Token mode (accounts.md): decides each upgrade; empty = every upgrade
  // allowed, nothing expires.
  WsAuthorizeFn authorize;
  // Body of GET /api/v1/websocket/health (and /health) on this port.
  std::function<std::string()> health_body;
  // data_status_response body for (tenant, types; empty = all).
  std::function<std::string(const std::string&, const std::vector<domain::EntityType>&)>
      data_status_body;

  // Test hooks (never set by the app).
  // Called on a reader thread before each database read; `kind` is
  // "initial_data", "data_status" or "health". Tests block reads with it.
  std::function<void(const std::string& kind)> test_before_read;
  // A reply for which this returns true is handed to websocketpp as invalid
  // UTF-8, which it refuses to send: the way to make a send fail on purpose.
  std::function<bool(const std::string& json)> test_refuse_send;
};

class WsServer {
 public:
  // Registers itself as a sink of `pipeline` (call before pipeline->Start()).
  WsServer(WsOptions options, pipeline::Pipeline* pipeline, db::ReadStore* reads);
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  common::Status Start();  // listens and starts the Asio thread
  int port() const;
  int64_t connections() const;
  int64_t tenants() const;
  // Connections closed (1008) because they did not read, since start.
  int64_t slow_closes() const;
  // Initial data loads read (and serialised), and requests answered with a
  // load read for another request of the same tenant state, since start.
  int64_t initial_load_reads() const;
  int64_t initial_load_shared() const;
  // Open connections per tenant (any thread; the operator console).
  std::map<std::string, int64_t> TenantConnections() const;
  bool up() const;

  // Closes every open connection of `tenant` with 1000 (a deleted tenant).
  // Any thread; returns once the closes are started (at most 2 s).
  void CloseTenant(const std::string& tenant);

  void StopAccepting();  // closes the listening socket; open connections go on
  // Sends {"type":"status","status":"shutdown"}, closes every connection with
  // 1001 and joins the Asio thread (at most `deadline_ms`). Results posted
  // before this call are sent first.
  void Shutdown(int64_t deadline_ms = 1500);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace syncd::ws

#endif  // SYNCD_WS_WS_SERVER_H_
