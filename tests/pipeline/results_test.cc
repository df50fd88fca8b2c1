// results.h: every NACK has one reason, one text and one retry time.
#include "syncd/pipeline/results.h"

#include <gtest/gtest.h>

namespace syncd::pipeline {
namespace {

constexpr int64_t kNow = 1764130000000;

TEST(ResultsTest, AcksCarryTheirOutcomeAndChecksum) {
  domain::EntryResult r = results::Applied("abc", kNow);
  EXPECT_TRUE(r.acked);
  EXPECT_EQ(r.outcome, domain::Outcome::kApplied);
  EXPECT_EQ(r.checksum, "abc");
  EXPECT_EQ(r.server_timestamp_ms, kNow);
  EXPECT_EQ(results::Superseded("s", kNow).outcome, domain::Outcome::kSuperseded);
  EXPECT_EQ(results::Manual("", kNow).outcome, domain::Outcome::kManual);
}

TEST(ResultsTest, RefusalsAreNotPermanentAndSayWhenToComeBack) {
  domain::EntryResult full = results::RateLimited(2500, kNow);
  EXPECT_FALSE(full.acked);
  EXPECT_FALSE(full.outcome.has_value());
  EXPECT_EQ(full.reason, domain::NackReason::kRateLimit);
  EXPECT_EQ(full.detail, kQueueFull);
  EXPECT_EQ(full.retry_after_ms, 2500);
  EXPECT_FALSE(domain::IsPermanent(full.reason));

  domain::EntryResult stopping = results::ShuttingDown(kNow);
  EXPECT_EQ(stopping.reason, domain::NackReason::kSystem);
  EXPECT_EQ(stopping.detail, kShuttingDown);
  EXPECT_EQ(stopping.retry_after_ms, kShuttingDownRetryAfterMs);

  EXPECT_EQ(results::DatabaseUnavailable(30000, kNow).detail, kDatabaseUnavailable);
  EXPECT_EQ(results::RetriesExhausted(30000, kNow).detail, kRetriesExhausted);
  EXPECT_EQ(results::RetriesExhausted(30000, kNow).retry_after_ms, 30000);
}

TEST(ResultsTest, PermanentNacksCarryNoRetryTime) {
  domain::EntryResult refused = results::DatabaseRefused(kNow);
  EXPECT_EQ(refused.reason, domain::NackReason::kConstraint);
  EXPECT_EQ(refused.detail, kDatabaseRefused);
  EXPECT_EQ(refused.retry_after_ms, 0);
  EXPECT_EQ(results::Validation("payload.name is required", kNow).reason,
            domain::NackReason::kValidation);
  EXPECT_EQ(results::OperatorRejected("", kNow).detail, kOperatorRejected);
  EXPECT_EQ(results::OperatorRejected("wrong account", kNow).detail, "wrong account");
}

}  // namespace
}  // namespace syncd::pipeline
