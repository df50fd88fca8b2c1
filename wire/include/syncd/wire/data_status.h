// The body of `data_status_response` (protocol.md) and of
// GET /api/v1/sync/data-status/{tenant_id}: one builder for both, so the
// WebSocket and REST answers cannot drift apart. Plain functions; any thread.
#ifndef SYNCD_WIRE_DATA_STATUS_H_
#define SYNCD_WIRE_DATA_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "syncd/db/store.h"
#include "syncd/domain/entity.h"

namespace syncd::wire {

// `entities` as ReadStore::ListEntities returns them (tombstones included).
// `types` are the requested types in the order their keys appear; empty means
// all nine (protocol order). Live entities go to entity_checksums with
// last_modified = version in epoch seconds (floor); tombstones go to
// deleted_entities. Entities of types not requested are ignored.
// with_type_field puts "type":"data_status_response" first (WebSocket form).
std::string DataStatusJson(const std::vector<db::StoredEntity>& entities,
                           const std::vector<domain::EntityType>& types,
                           const std::string& tenant_id, int64_t last_sync_time_s,
                           int64_t server_time_s, bool with_type_field);

// The whole WebSocket data_status_response for (tenant, types; empty = all):
// reads the entities (tombstones included) and the checkpoint from `reads`,
// or answers an internal_error message when a read fails. A reader thread.
std::string DataStatusReplyJson(db::ReadStore& reads, const std::string& tenant_id,
                                const std::vector<domain::EntityType>& types, int64_t now_ms);

}  // namespace syncd::wire

#endif  // SYNCD_WIRE_DATA_STATUS_H_
