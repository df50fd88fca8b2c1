#include "syncd/domain/lww.h"

#include <gtest/gtest.h>

namespace syncd::domain {
namespace {

constexpr int64_t kT = 1764131200123;

TEST(LwwTest, NewerVersionWins) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT + 1), Outcome::kApplied);
}

TEST(LwwTest, OlderVersionIsSuperseded) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT - 1), Outcome::kSuperseded);
}

TEST(LwwTest, TieKeepsStoredState) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT), Outcome::kSuperseded);
}

TEST(LwwTest, CreateOnExistingIdIsAnUpdate) {
  // The operation is not an input: a create with an older version than what
  // is stored loses, a newer one wins, exactly like an update.
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT - 1000), Outcome::kSuperseded);
  EXPECT_EQ(DecideLww(StoredVersion{kT, false}, kT + 1000), Outcome::kApplied);
}

TEST(LwwTest, MissingEntityIsAlwaysApplied) {
  // Update of a missing id creates it; delete of a missing id leaves a tombstone.
  EXPECT_EQ(DecideLww(std::nullopt, kT), Outcome::kApplied);
  EXPECT_EQ(DecideLww(std::nullopt, 0), Outcome::kApplied);
  EXPECT_EQ(DecideLww(std::nullopt, -5), Outcome::kApplied);
}

TEST(LwwTest, LateOlderUpdateAfterDeleteIsSuperseded) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, true}, kT - 1), Outcome::kSuperseded);
  EXPECT_EQ(DecideLww(StoredVersion{kT, true}, kT), Outcome::kSuperseded);
}

TEST(LwwTest, NewerUpdateAfterDeleteBringsEntityBack) {
  EXPECT_EQ(DecideLww(StoredVersion{kT, true}, kT + 1), Outcome::kApplied);
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
