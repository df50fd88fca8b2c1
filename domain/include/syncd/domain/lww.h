// The last-write-wins rule (protocol.md, Conflict rule). Pure function.
#ifndef SYNCD_DOMAIN_LWW_H_
#define SYNCD_DOMAIN_LWW_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace syncd::domain {

// What is stored for one entity: its version and whether it is a tombstone.
struct StoredVersion {
  int64_t version_ms = 0;
  bool deleted = false;
};

enum class Outcome {
  kApplied,     // the change won and is stored
  kSuperseded,  // the stored version is newer or equal; nothing written
  kManual,      // an operator acknowledged it through the REST API
};
std::string_view OutcomeName(Outcome outcome);  // "applied" | "superseded" | "manual"
// The inverse of OutcomeName (exact match), e.g. for a stored result.
std::optional<Outcome> ParseOutcome(std::string_view name);

// Higher version wins; on a tie the stored state wins. The operation does not
// matter: create on an existing id is an update, update of a missing id
// creates it, a delete of a missing entity is applied (tombstone), and a
// tombstone keeps its version so older changes stay superseded.
// Returns kApplied or kSuperseded.
Outcome DecideLww(const std::optional<StoredVersion>& stored, int64_t incoming_version_ms);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_LWW_H_
