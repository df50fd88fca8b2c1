#include "syncd/domain/lww.h"

#include <gtest/gtest.h>

namespace syncd::domain {
namespace {

constexpr int64_t kT = 1764131200123;

// The outcome under the default tie rule, for a differing incoming state.
Outcome Decide(const std::optional<StoredVersion>& stored, int64_t incoming) {
  return OutcomeOf(DecideLww(stored, incoming, /*same_state=*/false, TieRule::kIncoming));
}

TEST(LwwTest, NewerVersionWins) {
  EXPECT_EQ(Decide(StoredVersion{kT, false}, kT + 1), Outcome::kApplied);
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT + 1, false, TieRule::kStored),
            LwwDecision::kWrite);
}

TEST(LwwTest, OlderVersionIsSuperseded) {
  EXPECT_EQ(Decide(StoredVersion{kT, false}, kT - 1), Outcome::kSuperseded);
  // Even when the older state happens to equal the stored one.
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT - 1, true, TieRule::kIncoming),
            LwwDecision::kKeepStored);
}

TEST(LwwTest, TieWithADifferentStateIsWonByTheIncomingChange) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT, /*same_state=*/false, TieRule::kIncoming),
            LwwDecision::kWriteOnTie);
  EXPECT_EQ(OutcomeOf(LwwDecision::kWriteOnTie), Outcome::kApplied);
}

TEST(LwwTest, TieWithTheSameStateIsAppliedWithoutAWrite) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT, /*same_state=*/true, TieRule::kIncoming),
            LwwDecision::kUnchanged);
  EXPECT_EQ(OutcomeOf(LwwDecision::kUnchanged), Outcome::kApplied);
}

TEST(LwwTest, TieKeepsStoredStateUnderTheStoredRule) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT, false, TieRule::kStored),
            LwwDecision::kKeepStored);
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT, true, TieRule::kStored),
            LwwDecision::kKeepStored);
}

TEST(LwwTest, TieRuleNamesParseBack) {
  EXPECT_EQ(ParseTieRule("incoming"), TieRule::kIncoming);
  EXPECT_EQ(ParseTieRule("stored"), TieRule::kStored);
  EXPECT_EQ(TieRuleName(TieRule::kStored), "stored");
  EXPECT_EQ(ParseTieRule("Stored"), std::nullopt);
  EXPECT_EQ(ParseTieRule(""), std::nullopt);
}

TEST(LwwTest, CreateOnExistingIdIsAnUpdate) {
  // The operation is not an input: a create with an older version than what
  // is stored loses, a newer one wins, exactly like an update.
  EXPECT_EQ(Decide(StoredVersion{kT, false}, kT - 1000), Outcome::kSuperseded);
  EXPECT_EQ(Decide(StoredVersion{kT, false}, kT + 1000), Outcome::kApplied);
}

TEST(LwwTest, MissingEntityIsAlwaysApplied) {
  // Update of a missing id creates it; delete of a missing id leaves a tombstone.
  EXPECT_EQ(DecideLww(std::nullopt, kT, false, TieRule::kStored), LwwDecision::kWrite);
  EXPECT_EQ(DecideLww(std::nullopt, 0, false, TieRule::kIncoming), LwwDecision::kWrite);
  EXPECT_EQ(DecideLww(std::nullopt, -5, false, TieRule::kIncoming), LwwDecision::kWrite);
}

TEST(LwwTest, LateOlderUpdateAfterDeleteIsSuperseded) {
  EXPECT_EQ(Decide(StoredVersion{kT, true}, kT - 1), Outcome::kSuperseded);
  EXPECT_EQ(DecideLww(StoredVersion{kT, true}, kT, false, TieRule::kStored),
            LwwDecision::kKeepStored);
}

TEST(LwwTest, NewerUpdateAfterDeleteBringsEntityBack) {
  EXPECT_EQ(Decide(StoredVersion{kT, true}, kT + 1), Outcome::kApplied);
}

// DecideLww does not see the operation, so a delete cannot be tested here:
// PipelineTest.ADeleteIsDecidedByItsVersionLikeAnUpdate sends real deletes.

TEST(LwwTest, OutcomeNames) {
  EXPECT_EQ(OutcomeName(Outcome::kApplied), "applied");
  EXPECT_EQ(OutcomeName(Outcome::kSuperseded), "superseded");
  EXPECT_EQ(OutcomeName(Outcome::kManual), "manual");
}

TEST(LwwTest, OutcomeNamesParseBack) {
  for (Outcome o : {Outcome::kApplied, Outcome::kSuperseded, Outcome::kManual}) {
    EXPECT_EQ(ParseOutcome(OutcomeName(o)), o);
  }
  EXPECT_EQ(ParseOutcome("Applied"), std::nullopt);
  EXPECT_EQ(ParseOutcome(""), std::nullopt);
}

}  // namespace
}  // namespace syncd::domain
