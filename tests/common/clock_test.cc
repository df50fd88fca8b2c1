#include "syncd/common/clock.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace syncd::common {
namespace {

TEST(ClockTest, SystemClockIsUnixMilliseconds) {
  SystemClock clock;
  // After 2025-01-01 and before 2100-01-01: milliseconds, not seconds or micros.
  EXPECT_GT(clock.NowMs(), 1735689600000);
  EXPECT_LT(clock.NowMs(), 4102444800000);
}

TEST(ClockTest, MonotonicMicrosNeverGoesBack) {
  int64_t a = MonotonicMicros();
  int64_t b = MonotonicMicros();
  EXPECT_LE(a, b);
}

TEST(FakeClockTest, StandsStillUntilAdvanced) {
  test::FakeClock clock(1000);
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.NowMs(), 1000);
  EXPECT_EQ(as_clock.NowMs(), 1000);
  clock.Advance(250);
  EXPECT_EQ(as_clock.NowMs(), 1250);
  EXPECT_EQ(test::FakeClock().NowMs(), test::FakeClock::kDefaultNowMs);
}

}  // namespace
}  // namespace syncd::common
