#include "syncd/auth/limits.h"

#include <gtest/gtest.h>

namespace syncd::auth {
namespace {

TEST(PasswordSlotsTest, OverTheCapIsRefusedUntilASlotIsGivenBack) {
  PasswordSlots slots(2);
  {
    PasswordSlots::Slot a(&slots);
    PasswordSlots::Slot b(&slots);
    EXPECT_TRUE(a.ok());
    EXPECT_TRUE(b.ok());
    PasswordSlots::Slot c(&slots);
    EXPECT_FALSE(c.ok());
  }
  PasswordSlots::Slot again(&slots);
  EXPECT_TRUE(again.ok());
}

TEST(RateWindowTest, AKeyGetsItsEventsPerWindow) {
  RateWindow limit(3, 1000);
  EXPECT_EQ(limit.Take("a", 0), 0);
  EXPECT_EQ(limit.Take("a", 100), 0);
  EXPECT_EQ(limit.Take("a", 200), 0);
  EXPECT_EQ(limit.Take("a", 300), 700);  // the first leaves the window at 1000
  EXPECT_EQ(limit.Take("b", 300), 0);    // another key is not affected
  EXPECT_EQ(limit.Take("a", 1000), 0);
  EXPECT_EQ(limit.Take("a", 1001), 99);
}

}  // namespace
}  // namespace syncd::auth
