// JSON bodies of the REST answers that carry entry results and conflicts
// (openapi.yaml: EntryResult, EntryState, ConflictList). Plain functions.
#ifndef SYNCD_API_JSON_OUT_H_
#define SYNCD_API_JSON_OUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http_types.h"
#include "syncd/db/store.h"
#include "syncd/domain/result.h"

namespace syncd::api {

// One element of `results` of POST /api/v1/sync/entries: `processed` or
// `failed` from `result`; id null when none could be read.
void WriteEntryResult(JsonWriter& w, const std::optional<std::string>& id,
                      const domain::EntryResult& result, bool duplicate);
// A `pending` element.
void WritePendingResult(JsonWriter& w, const std::string& id);

// GET /api/v1/sync/entries/{tenant_id}/{entry_id}.
std::string EntryStateJson(const db::QueueRow& row);

// GET /api/v1/sync/conflicts/{tenant_id}.
std::string ConflictListJson(const std::string& tenant_id,
                             const std::vector<db::ConflictRecord>& conflicts,
                             int64_t last_check_s);

}  // namespace syncd::api

#endif  // SYNCD_API_JSON_OUT_H_
