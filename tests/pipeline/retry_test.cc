// Backoff with full jitter (service.md, durability rule 4): retries spread
// out and never wait longer than the cap, however many attempts failed.
#include "syncd/pipeline/retry.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>

namespace syncd::pipeline {
namespace {

TEST(RetryTest, DefaultsAreTheDocumentedOnes) {
  RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, 8);
  EXPECT_EQ(policy.base_ms, 20);
  EXPECT_EQ(policy.max_ms, 5000);
}

TEST(RetryTest, CeilingDoublesFromBaseAndCapsAtMax) {
  RetryPolicy policy{8, 20, 5000};
  EXPECT_EQ(BackoffCeilingMs(policy, 0), 20);
  EXPECT_EQ(BackoffCeilingMs(policy, 1), 40);
  EXPECT_EQ(BackoffCeilingMs(policy, 2), 80);
  EXPECT_EQ(BackoffCeilingMs(policy, 3), 160);
  EXPECT_EQ(BackoffCeilingMs(policy, 7), 2560);
  EXPECT_EQ(BackoffCeilingMs(policy, 8), 5000);  // 5120 capped
  EXPECT_EQ(BackoffCeilingMs(policy, 9), 5000);
  EXPECT_EQ(BackoffCeilingMs(policy, 60), 5000);  // no overflow
  EXPECT_EQ(BackoffCeilingMs(policy, 1000), 5000);
}

TEST(RetryTest, CeilingNeverOverflowsOrShrinks) {
  RetryPolicy huge{8, 1, std::numeric_limits<int64_t>::max()};
  RetryPolicy big_base{8, int64_t{1} << 40, std::numeric_limits<int64_t>::max()};
  for (const RetryPolicy& policy : {huge, big_base}) {
    int64_t previous = 0;
    for (int attempts = 0; attempts <= 200; ++attempts) {
      int64_t ceiling = BackoffCeilingMs(policy, attempts);
      EXPECT_GT(ceiling, 0) << attempts;
      EXPECT_GE(ceiling, previous) << attempts;
      EXPECT_LE(ceiling, policy.max_ms);
      previous = ceiling;
    }
  }
}

TEST(RetryTest, DelayIsJitteredWithinZeroAndTheCeiling) {
  RetryPolicy policy{8, 20, 5000};
  std::mt19937_64 rng(42);
  for (int attempts : {1, 3, 8, 60}) {
    const int64_t ceiling = BackoffCeilingMs(policy, attempts);
    std::set<int64_t> seen;
    int64_t lowest = ceiling, highest = 0;
    for (int i = 0; i < 5000; ++i) {
      int64_t delay = BackoffDelayMs(policy, attempts, rng);
      ASSERT_GE(delay, 0);
      ASSERT_LE(delay, ceiling);
      seen.insert(delay);
      lowest = std::min(lowest, delay);
      highest = std::max(highest, delay);
    }
    // Full jitter: spread over the whole range, not a constant.
    EXPECT_GT(seen.size(), 20u) << attempts;
    EXPECT_LT(lowest, ceiling / 4) << attempts;
    EXPECT_GT(highest, ceiling * 3 / 4) << attempts;
  }
}

TEST(RetryTest, ZeroBaseMeansNoDelay) {
  RetryPolicy policy{8, 0, 0};
  std::mt19937_64 rng(1);
  EXPECT_EQ(BackoffCeilingMs(policy, 5), 0);
  EXPECT_EQ(BackoffDelayMs(policy, 5, rng), 0);
}

}  // namespace
}  // namespace syncd::pipeline
