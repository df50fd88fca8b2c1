// Where a queued entry is in its life (design.md, "one entry's life"): the
// queue's state column. The names are what the database stores and what the
// REST API and the console show. Plain functions; any thread.
#ifndef SYNCD_COMMON_ENTRY_STATE_H_
#define SYNCD_COMMON_ENTRY_STATE_H_

#include <optional>
#include <string_view>

namespace syncd::common {

enum class EntryState {
  kPending,    // queued, not yet claimed
  kInFlight,   // claimed by the pipeline, under a lease
  kRetryWait,  // failed transiently; waits for its next attempt
  kDone,       // applied or superseded; result stored
  kDead,       // retries exhausted or refused for good; result stored
};

// "pending", "in_flight", "retry_wait", "done", "dead".
std::string_view EntryStateName(EntryState state);
// The inverse of EntryStateName (exact match); nullopt for any other text.
std::optional<EntryState> ParseEntryState(std::string_view name);

}  // namespace syncd::common

#endif  // SYNCD_COMMON_ENTRY_STATE_H_
