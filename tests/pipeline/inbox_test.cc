// Inbox admits entries or refuses them with the pipeline's one NACK (queue
// full, shutting down), counted at once.
#include "inbox.h"

#include <gtest/gtest.h>

#include <string>

#include "support/fake_clock.h"
#include "syncd/db/counters.h"
#include "syncd/pipeline/results.h"

namespace syncd::pipeline {
namespace {

domain::SyncEntry MakeEntry(const std::string& id) {
  domain::SyncEntry e;
  e.id = id;
  e.tenant_id = "t-1";
  e.entity_type = domain::EntityType::kAccount;
  e.entity_id = "a-" + id;
  e.operation = domain::Operation::kUpdate;
  return e;
}

class InboxTest : public ::testing::Test {
 protected:
  InboxTest() { options_.queue_max = 2; }
  PipelineOptions options_;
  test::FakeClock clock_;
  Metrics metrics_;
  CounterMirror counters_;
  Inbox inbox_{options_, &clock_, &metrics_, &counters_};
};

TEST_F(InboxTest, AcceptsUpToTheQueueLimitAndCountsThemUnfinished) {
  EXPECT_TRUE(inbox_.Submit(MakeEntry("1"), 0).accepted());
  EXPECT_TRUE(inbox_.Submit(MakeEntry("2"), 0).accepted());
  EXPECT_EQ(inbox_.unfinished(), 2);
  Inbox::Taken taken = inbox_.Take(true);
  ASSERT_EQ(taken.incoming.size(), 2u);
  EXPECT_FALSE(taken.incoming[0].over_limit);
  EXPECT_EQ(taken.incoming[0].received_ms, clock_.NowMs());
}

TEST_F(InboxTest, OverTheLimitEntriesWaitToBeToldApartThenAreRefused) {
  inbox_.SetUnfinished(options_.queue_max);
  for (size_t i = 0; i < kMaxOverLimitInbox; ++i) {
    ASSERT_TRUE(inbox_.Submit(MakeEntry(std::to_string(i)), 0).accepted());
  }
  SubmitOutcome refused = inbox_.Submit(MakeEntry("late"), 7);
  ASSERT_FALSE(refused.accepted());
  const Delivery& d = *refused.refused;
  EXPECT_EQ(d.entry_id, "late");
  EXPECT_EQ(d.entity_id, "a-late");
  EXPECT_EQ(d.entity_type, domain::EntityType::kAccount);
  EXPECT_EQ(d.operation_type, domain::Operation::kUpdate);
  EXPECT_EQ(d.received_us, 7);
  EXPECT_EQ(d.state, FinalState::kRefused);
  EXPECT_EQ(d.result.reason, domain::NackReason::kRateLimit);
  EXPECT_EQ(d.result.detail, kQueueFull);
  EXPECT_EQ(d.result.retry_after_ms, inbox_.RetryAfterMs());
  EXPECT_EQ(inbox_.unfinished(), options_.queue_max) << "over-limit entries are not counted";
  EXPECT_TRUE(inbox_.Take(true).incoming[0].over_limit);
  QueueCounts counts = counters_.Counts("t-1");
  EXPECT_EQ(counts.received, 1);
  EXPECT_EQ(counts.nacked, 1);
}

TEST_F(InboxTest, AfterStopEveryEntryIsRefusedShuttingDownAndCountedForTheWrite) {
  ASSERT_TRUE(inbox_.BeginStop(common::MonotonicMicros(), /*worker_running=*/false));
  SubmitOutcome refused = inbox_.Submit(MakeEntry("1"), 0);
  ASSERT_FALSE(refused.accepted());
  EXPECT_EQ(refused.refused->result.reason, domain::NackReason::kSystem);
  EXPECT_EQ(refused.refused->result.detail, kShuttingDown);
  EXPECT_EQ(refused.refused->result.retry_after_ms, kShuttingDownRetryAfterMs);
  EXPECT_EQ(counters_.Counts("").nacked, 1);
  db::CounterMap refusals = inbox_.TakeRefusals();
  EXPECT_EQ((refusals[{"t-1", db::counters::kNacked}]), 1);
  EXPECT_FALSE(inbox_.BeginStop(common::MonotonicMicros(), false)) << "stopped once is enough";
}

TEST_F(InboxTest, StopStateSaysWhenNothingIsLeft) {
  EXPECT_FALSE(inbox_.stop_state(false).stopping);
  inbox_.Submit(MakeEntry("1"), 0);
  inbox_.BeginStop(common::MonotonicMicros() + 60'000'000, true);
  Inbox::StopState s = inbox_.stop_state(false);
  EXPECT_TRUE(s.stopping);
  EXPECT_FALSE(s.past_deadline);
  EXPECT_FALSE(s.drained);
  inbox_.Take(true);
  EXPECT_TRUE(inbox_.stop_state(false).drained);
}

}  // namespace
}  // namespace syncd::pipeline
