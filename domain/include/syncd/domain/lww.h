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

// What to do on an `updated_at` tie between a differing incoming state and
// the stored one (--lww-tie, protocol.md, Conflict rule).
enum class TieRule {
  kIncoming,  // "incoming" (default): the change that arrived later wins
  kStored,    // "stored": the stored state wins (outcome superseded)
};
std::string_view TieRuleName(TieRule rule);  // "incoming" | "stored"
std::optional<TieRule> ParseTieRule(std::string_view name);

// What last-write-wins decided for one incoming change.
enum class LwwDecision {
  kWrite,       // newer, or nothing stored: written, outcome applied
  kWriteOnTie,  // tie, differing state, TieRule::kIncoming: written, outcome applied, and
                // the replaced state recorded as a conflict (resolution client_wins_tie)
  kUnchanged,   // tie, same state, TieRule::kIncoming: outcome applied, nothing written
                // or broadcast (the client already has what is stored)
  kKeepStored,  // older, or a tie under TieRule::kStored: outcome superseded, conflict
                // (resolution server_wins)
};
// The outcome the client is told: applied or superseded.
Outcome OutcomeOf(LwwDecision decision);

// Higher version wins; a tie follows `tie` (above). `same_state` says whether
// the incoming state (deleted flag and canonical data) equals the stored one;
// it only matters on a tie. The operation does not matter: create on an
// existing id is an update, update of a missing id creates it, a delete of a
// missing entity is applied (tombstone), and a tombstone keeps its version so
// older changes stay superseded.
LwwDecision DecideLww(const std::optional<StoredVersion>& stored, int64_t incoming_version_ms,
                      bool same_state, TieRule tie);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_LWW_H_
