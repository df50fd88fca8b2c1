#include "syncd/auth/login_throttle.h"

#include <gtest/gtest.h>

namespace syncd::auth {
namespace {

TEST(LoginThrottleTest, FiveFailuresForOneAccountBlockUntilTheWindowPasses) {
  LoginThrottle t;
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "10.0.0." + std::to_string(i), 1000 + i);
  EXPECT_EQ(t.RetryAfterMs("alice", "10.0.0.9", 2000), 0);
  t.RecordFailure("alice", "10.0.0.4", 1004);
  EXPECT_EQ(t.RetryAfterMs("alice", "10.0.0.9", 2000), 1000 + LoginThrottle::kWindowMs - 2000);
  EXPECT_EQ(t.RetryAfterMs("bob", "10.0.0.9", 2000), 0);
  EXPECT_EQ(t.RetryAfterMs("alice", "10.0.0.9", 1000 + LoginThrottle::kWindowMs), 0);
}

TEST(LoginThrottleTest, FiveFailuresFromOneAddressBlockEveryAccount) {
  LoginThrottle t;
  for (int i = 0; i < 5; ++i) t.RecordFailure("user" + std::to_string(i), "10.0.0.1", 1000);
  EXPECT_GT(t.RetryAfterMs("someone-else", "10.0.0.1", 1001), 0);
  EXPECT_EQ(t.RetryAfterMs("someone-else", "10.0.0.2", 1001), 0);
}

TEST(LoginThrottleTest, SuccessClearsTheAccount) {
  LoginThrottle t;
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "a" + std::to_string(i), 1000);
  t.RecordSuccess("alice");
  t.RecordFailure("alice", "b", 1001);
  EXPECT_EQ(t.RetryAfterMs("alice", "c", 1002), 0);
}

}  // namespace
}  // namespace syncd::auth
