// The Pistache handler every REST connection goes through before routing: it
// counts open connections (refusing those past --max-connections with a JSON
// 503) and parses requests itself, so that what Pistache would answer on its
// own in plain text with exception texts (a malformed request line or header,
// `Content-Length: -1`, a body over the limit, a request that does not arrive
// in time) is answered with the JSON error of service.md and the connection
// closed. Private to api/.
//
// Threads: Pistache clones the handler for each of its threads; the clones
// share the connection count. Everything here runs on Pistache's threads.
#ifndef SYNCD_API_HTTP_CONNECTION_H_
#define SYNCD_API_HTTP_CONNECTION_H_

#include <pistache/http.h>
#include <pistache/router.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

namespace syncd::api {

struct ConnectionLimits {
  int max_connections = 4096;       // open at once; more are refused
  size_t max_body_bytes = 1048576;  // a larger declared Content-Length gets 413 at once
  // A request (line, headers, body) not complete this long after its first
  // byte (for a new connection: after it opened) gets the JSON 408.
  std::chrono::milliseconds header_timeout{10000};
};

// Peer data (Tcp::Peer::putData) a route sets, on the connection's thread,
// on a connection it turned into an endless answer (GET /api/v1/events):
// every tick restarts Pistache's keep-alive count for it, so the keep-alive
// timeout does not cut it (the client leaving or Stop() ends it).
inline constexpr const char* kEventStreamKey = "syncd.event_stream";

// Routes through `router`. `open` counts the open connections (shared by
// every clone; read it for tests and stats).
std::shared_ptr<Pistache::Http::Handler> MakeConnectionHandler(
    const Pistache::Rest::Router& router, ConnectionLimits limits,
    std::shared_ptr<std::atomic<int>> open);

}  // namespace syncd::api

#endif  // SYNCD_API_HTTP_CONNECTION_H_
