// JSON body of the REST conflicts answer (openapi.yaml: ConflictList). Entry
// results, written by both transports, are in syncd/wire/entry_results.h.
// Plain function.
#ifndef SYNCD_API_JSON_OUT_H_
#define SYNCD_API_JSON_OUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "http_types.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

// The queue's depth by state as members of the object being written:
// pending, in_flight, retry_wait, dead (queue stats, tenant status, console).
void WriteDepthMembers(JsonWriter& w, const pipeline::QueueCounts& c);

// The counters since the database was created, as members of the object
// being written (queue stats `totals`, the console overview `totals`).
void WriteTotalsMembers(JsonWriter& w, const pipeline::QueueCounts& c);

// GET /api/v1/sync/conflicts/{tenant_id}.
std::string ConflictListJson(const std::string& tenant_id,
                             const std::vector<db::ConflictRecord>& conflicts,
                             int64_t last_check_s);

}  // namespace syncd::api

#endif  // SYNCD_API_JSON_OUT_H_
