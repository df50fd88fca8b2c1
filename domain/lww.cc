#include "syncd/domain/lww.h"

#include "syncd/common/enum_table.h"

namespace syncd::domain {

namespace {

constexpr auto kOutcomes = common::MakeEnumTable<Outcome>({
    {Outcome::kApplied, "applied"},
    {Outcome::kSuperseded, "superseded"},
    {Outcome::kManual, "manual"},
});

constexpr auto kTieRules = common::MakeEnumTable<TieRule>({
    {TieRule::kIncoming, "incoming"},
    {TieRule::kStored, "stored"},
});

}  // namespace

std::string_view OutcomeName(Outcome outcome) { return kOutcomes.Name(outcome); }

std::optional<Outcome> ParseOutcome(std::string_view name) { return kOutcomes.Parse(name); }

std::string_view TieRuleName(TieRule rule) { return kTieRules.Name(rule); }

std::optional<TieRule> ParseTieRule(std::string_view name) { return kTieRules.Parse(name); }

Outcome OutcomeOf(LwwDecision decision) {
  return decision == LwwDecision::kKeepStored ? Outcome::kSuperseded : Outcome::kApplied;
}

LwwDecision DecideLww(const std::optional<StoredVersion>& stored, int64_t incoming_version_ms,
                      bool same_state, TieRule tie) {
  // A tombstone is just a stored version: the operation and the deleted flag
  // do not change the comparison, which is what keeps deletes from being undone
  // by older writes that arrive late.
  if (!stored.has_value() || incoming_version_ms > stored->version_ms) return LwwDecision::kWrite;
  if (incoming_version_ms < stored->version_ms || tie == TieRule::kStored) {
    return LwwDecision::kKeepStored;
  }
  // A tie: the frontend sends some edits with the updated_at of the state it
  // edited, and those must not be lost; the same state again changes nothing.
  return same_state ? LwwDecision::kUnchanged : LwwDecision::kWriteOnTie;
}

}  // namespace syncd::domain
