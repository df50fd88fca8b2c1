#include "syncd/common/enum_table.h"

#include <gtest/gtest.h>

#include "syncd/common/entry_state.h"

namespace syncd::common {
namespace {

enum class Colour { kRed, kGreen, kBlue };

constexpr auto kColours = MakeEnumTable<Colour>({
    {Colour::kRed, "red"},
    {Colour::kGreen, "Green"},
    {Colour::kBlue, "blue"},
});

// Usable in constant expressions, so a table can be checked at compile time.
static_assert(kColours.Name(Colour::kBlue) == "blue");
static_assert(kColours.Parse("red") == Colour::kRed);
static_assert(kColours.entries().size() == 3);

TEST(EnumTableTest, NameAndParseAreInverse) {
  for (const auto& entry : kColours.entries()) {
    EXPECT_EQ(kColours.Name(entry.value), entry.name);
    EXPECT_EQ(kColours.Parse(entry.name), entry.value);
  }
}

TEST(EnumTableTest, ParseIsExact) {
  EXPECT_EQ(kColours.Parse("green"), std::nullopt);
  EXPECT_EQ(kColours.Parse("red "), std::nullopt);
  EXPECT_EQ(kColours.Parse(""), std::nullopt);
}

TEST(EnumTableTest, ParseIgnoreCaseFoldsAsciiOnly) {
  EXPECT_EQ(kColours.ParseIgnoreCase("GREEN"), Colour::kGreen);
  EXPECT_EQ(kColours.ParseIgnoreCase("Red"), Colour::kRed);
  EXPECT_EQ(kColours.ParseIgnoreCase("rede"), std::nullopt);
  EXPECT_EQ(kColours.ParseIgnoreCase("r\xc3\xa9"
                                     "d"),
            std::nullopt);
}

TEST(EnumTableTest, UnlistedValueGetsTheFirstName) {
  EXPECT_EQ(kColours.Name(static_cast<Colour>(42)), "red");
}

// The queue's state column: these exact names are stored and shown.
TEST(EntryStateTest, NamesAreTheStoredOnes) {
  EXPECT_EQ(EntryStateName(EntryState::kPending), "pending");
  EXPECT_EQ(EntryStateName(EntryState::kInFlight), "in_flight");
  EXPECT_EQ(EntryStateName(EntryState::kRetryWait), "retry_wait");
  EXPECT_EQ(EntryStateName(EntryState::kDone), "done");
  EXPECT_EQ(EntryStateName(EntryState::kDead), "dead");
}

TEST(EntryStateTest, ParseReadsEveryNameBack) {
  for (EntryState s : {EntryState::kPending, EntryState::kInFlight, EntryState::kRetryWait,
                       EntryState::kDone, EntryState::kDead}) {
    EXPECT_EQ(ParseEntryState(EntryStateName(s)), s);
  }
  EXPECT_EQ(ParseEntryState("Pending"), std::nullopt);
  EXPECT_EQ(ParseEntryState("inflight"), std::nullopt);
}

}  // namespace
}  // namespace syncd::common
