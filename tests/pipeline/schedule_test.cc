// Schedule picks what goes next: due retries first, then pending entries in
// arrival order, never an entity's newer entry while an older one waits.
#include "schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace syncd::pipeline {
namespace {

constexpr int64_t kNow = 1764130000000;

Item MakeItem(int64_t seq, const std::string& entity_id, int64_t received_ms = 0) {
  Item item;
  item.seq = seq;
  item.entry.id = "e-" + std::to_string(seq);
  item.entry.tenant_id = "t-1";
  item.entry.entity_id = entity_id;
  item.received_ms = received_ms;
  return item;
}

Item Retry(int64_t seq, const std::string& entity_id, int64_t at_ms) {
  Item item = MakeItem(seq, entity_id);
  item.db_state = common::EntryState::kRetryWait;
  item.next_attempt_at_ms = at_ms;
  return item;
}

std::vector<int64_t> Seqs(const std::vector<Item>& items) {
  std::vector<int64_t> seqs;
  for (const Item& item : items) seqs.push_back(item.seq);
  return seqs;
}

TEST(ScheduleTest, PicksReadyEntriesInArrivalOrderUpToRoom) {
  Schedule s;
  for (int64_t seq = 1; seq <= 5; ++seq) s.AddReady(MakeItem(seq, "a-" + std::to_string(seq)));
  EXPECT_TRUE(s.HasClaimable(kNow));
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 3)), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 3)), (std::vector<int64_t>{4, 5}));
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.HasClaimable(kNow));
}

TEST(ScheduleTest, AnEntityWaitingOnARetryBlocksItsNewerEntries) {
  Schedule s;
  s.AddRetry(Retry(1, "a-1", kNow + 1000));
  s.AddReady(MakeItem(2, "a-1"));
  s.AddReady(MakeItem(3, "a-2"));
  EXPECT_TRUE(s.IsBlocked(MakeItem(9, "a-1").entry));
  EXPECT_FALSE(s.IsBlocked(MakeItem(9, "a-2").entry));
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 10)), (std::vector<int64_t>{3}));
  EXPECT_FALSE(s.HasClaimable(kNow)) << "only the blocked entity is left";
  EXPECT_EQ(s.next_retry_at_ms(), kNow + 1000);
  // Once the retry is due it goes first, and unblocks its entity.
  EXPECT_TRUE(s.HasClaimable(kNow + 1000));
  EXPECT_EQ(Seqs(s.PickClaims(kNow + 1000, 10)), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(s.empty());
}

TEST(ScheduleTest, ADueRetryWaitsBehindAnEarlierRetryOfItsEntityNotYetDue) {
  Schedule s;
  s.AddRetry(Retry(1, "a-1", kNow + 5000));
  s.AddRetry(Retry(2, "a-1", kNow));
  s.AddRetry(Retry(3, "a-2", kNow));
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 10)), (std::vector<int64_t>{3}));
  EXPECT_EQ(s.next_retry_at_ms(), kNow + 5000);
  EXPECT_EQ(Seqs(s.PickClaims(kNow + 5000, 10)), (std::vector<int64_t>{1, 2}));
}

TEST(ScheduleTest, ADueRetryLeftForLackOfRoomIsDueAgainAtOnce) {
  Schedule s;
  s.AddRetry(Retry(1, "a-1", kNow));
  s.AddRetry(Retry(2, "a-2", kNow));
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 1)), (std::vector<int64_t>{1}));
  EXPECT_EQ(s.next_retry_at_ms(), kNow);
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 1)), (std::vector<int64_t>{2}));
  EXPECT_EQ(s.next_retry_at_ms(), INT64_MAX);
}

TEST(ScheduleTest, ReturnedEntriesTakeTheirPlaceBySeq) {
  Schedule s;
  s.AddReady(MakeItem(3, "a-3"));
  std::vector<Item> back;
  back.push_back(MakeItem(1, "a-1", kNow - 10));
  back.push_back(MakeItem(2, "a-2"));
  s.ReturnReady(std::move(back));
  EXPECT_EQ(s.OldestReceivedMs(), kNow - 10);
  EXPECT_EQ(Seqs(s.PickClaims(kNow, 10)), (std::vector<int64_t>{1, 2, 3}));
}

TEST(ScheduleTest, TakeAllEmptiesAndUnblocks) {
  Schedule s;
  s.AddRetry(Retry(1, "a-1", kNow + 1000));
  s.AddReady(MakeItem(2, "a-1"));
  EXPECT_EQ(s.TakeAll().size(), 2u);
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.IsBlocked(MakeItem(3, "a-1").entry));
  EXPECT_EQ(s.next_retry_at_ms(), INT64_MAX);
}

}  // namespace
}  // namespace syncd::pipeline
