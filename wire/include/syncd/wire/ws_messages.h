// The JSON text of the WebSocket server → client messages (protocol.md)
// other than the entry results (entry_results.h). Plain functions; any thread.
#ifndef SYNCD_WIRE_WS_MESSAGES_H_
#define SYNCD_WIRE_WS_MESSAGES_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::wire {

// data_update carrying the entity state of a delivery (applied → other
// connections; superseded → back to the sender).
std::string DataUpdateJson(const pipeline::Delivery& d, int64_t now_ms);
std::string ErrorJson(std::string_view code, std::string_view message,
                      const std::string* original_type = nullptr);
std::string StatusJson(std::string_view status);
// pong echoing the ping's timestamp value as sent (absent when it had none).
std::string PongJson(const rapidjson::Value* timestamp);
// `connection_healthy`: the asking connection is not closing and has no more
// than --ws-max-buffered-bytes queued unsent; `healthy_connections` counts the
// connections for which that holds.
std::string ConnectionStatusJson(const std::string& tenant_id, bool connection_healthy,
                                 int64_t connections, int64_t healthy_connections, int64_t tenants);
std::string TenantDisconnectAckJson(const std::string& tenant_id);

}  // namespace syncd::wire

#endif  // SYNCD_WIRE_WS_MESSAGES_H_
