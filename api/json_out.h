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

namespace syncd::api {

// GET /api/v1/sync/conflicts/{tenant_id}.
std::string ConflictListJson(const std::string& tenant_id,
                             const std::vector<db::ConflictRecord>& conflicts,
                             int64_t last_check_s);

}  // namespace syncd::api

#endif  // SYNCD_API_JSON_OUT_H_
