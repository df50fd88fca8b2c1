#include "syncd/domain/lww.h"

namespace syncd::domain {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplied:
      return "applied";
    case Outcome::kSuperseded:
      return "superseded";
    case Outcome::kManual:
      return "manual";
  }
  return "applied";
}

Outcome DecideLww(const std::optional<StoredVersion>& stored, int64_t incoming_version_ms) {
  // A tombstone is just a stored version: the operation and the deleted flag
  // do not change the comparison, which is what keeps deletes from being undone
  // by older writes that arrive late.
  if (!stored.has_value()) return Outcome::kApplied;
  return incoming_version_ms > stored->version_ms ? Outcome::kApplied : Outcome::kSuperseded;
}

}  // namespace syncd::domain
