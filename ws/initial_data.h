// Private to ws/: the answer to request_initial_data (protocol.md: full,
// incremental and paged loads), shared between requests of the same tenant
// state through FrameServices::loads. Runs on a reader thread.
#ifndef SYNCD_WS_INITIAL_DATA_H_
#define SYNCD_WS_INITIAL_DATA_H_

#include <optional>
#include <string>

#include "frame_handlers.h"

namespace syncd::ws {

// `since`: the request's cursor, if it sent a string. A cursor that is not
// usable for `tenant` now (not ours, another tenant's, another epoch, ahead
// of the tenant) gets a full load. `page_size`: 0 for one message. A failed
// read answers one internal_error message (not shared with anyone).
ReadAnswer ReadInitialData(const FrameServices& services, const std::string& tenant,
                           const std::optional<std::string>& since, int page_size);

}  // namespace syncd::ws

#endif  // SYNCD_WS_INITIAL_DATA_H_
