// The JSON body of GET /health and GET /api/v1/websocket/health, served on
// both ports (REST and WebSocket). Plain function; any thread (it pings the
// database through `reads`: never the Asio thread).
#ifndef SYNCD_WIRE_HEALTH_H_
#define SYNCD_WIRE_HEALTH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::wire {

// `status` is "ok", "degraded" (database failing, or a listener down) or
// "shutting_down". `ws_up`: whether the WebSocket server listens (unset:
// down).
std::string HealthJson(pipeline::Pipeline& pipeline, db::ReadStore& reads,
                       const std::function<bool()>& ws_up, bool http_up, bool shutting_down,
                       int64_t uptime_s, const std::string& version);

}  // namespace syncd::wire

#endif  // SYNCD_WIRE_HEALTH_H_
