#include "syncd/common/entry_state.h"

#include "syncd/common/enum_table.h"

namespace syncd::common {
namespace {

constexpr auto kEntryStates = MakeEnumTable<EntryState>({
    {EntryState::kPending, "pending"},
    {EntryState::kInFlight, "in_flight"},
    {EntryState::kRetryWait, "retry_wait"},
    {EntryState::kDone, "done"},
    {EntryState::kDead, "dead"},
});

}  // namespace

std::string_view EntryStateName(EntryState state) { return kEntryStates.Name(state); }

std::optional<EntryState> ParseEntryState(std::string_view name) {
  return kEntryStates.Parse(name);
}

}  // namespace syncd::common
