#include "syncd/domain/lww.h"

#include "syncd/common/enum_table.h"

namespace syncd::domain {

namespace {

constexpr auto kOutcomes = common::MakeEnumTable<Outcome>({
    {Outcome::kApplied, "applied"},
    {Outcome::kSuperseded, "superseded"},
    {Outcome::kManual, "manual"},
});

}  // namespace

std::string_view OutcomeName(Outcome outcome) { return kOutcomes.Name(outcome); }

std::optional<Outcome> ParseOutcome(std::string_view name) { return kOutcomes.Parse(name); }

Outcome DecideLww(const std::optional<StoredVersion>& stored, int64_t incoming_version_ms) {
  // A tombstone is just a stored version: the operation and the deleted flag
  // do not change the comparison, which is what keeps deletes from being undone
  // by older writes that arrive late.
  if (!stored.has_value()) return Outcome::kApplied;
  return incoming_version_ms > stored->version_ms ? Outcome::kApplied : Outcome::kSuperseded;
}

}  // namespace syncd::domain
