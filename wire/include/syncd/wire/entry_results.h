// The JSON of one entry's result, for both transports: the WebSocket
// sync_ack / sync_nack (protocol.md) and the REST `results[]` items and
// entry state (openapi.yaml: EntryResult, EntryState). Kept together so that
// the two answers to the same result are written side by side. Plain
// functions; any thread.
#ifndef SYNCD_WIRE_ENTRY_RESULTS_H_
#define SYNCD_WIRE_ENTRY_RESULTS_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "syncd/db/store.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/result.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::wire {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Small value writers both transports' JSON uses: a string with its length,
// a string or null when empty, an integer or null when 0.
void StringValue(JsonWriter& w, std::string_view s);
void StringOrNull(JsonWriter& w, const std::string& s);
void IntOrNull(JsonWriter& w, int64_t v);
// A measured figure (latencies in ms in the stats answers) rounded half away
// from zero to 3 decimals: 3.6291276459745904 is written 3.629. More digits
// are noise of the estimate, not information.
void Rounded3(JsonWriter& w, double v);

// --- WebSocket ---------------------------------------------------------------

// sync_ack / sync_nack for a pipeline result, or for an entry refused as it
// was read (Delivery::refused: the fields as read).
std::string SyncReplyJson(const pipeline::Delivery& d);

// --- REST --------------------------------------------------------------------

// One element of `results` of POST /api/v1/sync/entries: `processed` or
// `failed` from `result`; id null when none could be read.
void WriteEntryResult(JsonWriter& w, const std::optional<std::string>& id,
                      const domain::EntryResult& result, bool duplicate);
// A `pending` element.
void WritePendingResult(JsonWriter& w, const std::string& id);

// GET /api/v1/sync/entries/{tenant_id}/{entry_id}.
std::string EntryStateJson(const db::QueueRow& row);

}  // namespace syncd::wire

#endif  // SYNCD_WIRE_ENTRY_RESULTS_H_
