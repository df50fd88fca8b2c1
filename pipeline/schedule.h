// Which unfinished entries may go next: pending entries in arrival order,
// entries waiting for a retry time, and the entities blocked by a waiting
// retry (one entity's entries apply in the order they arrived). Memory only:
// the queue table is the truth, Recover() rebuilds this. Plain logic, no
// store; owned by the worker, worker thread only.
#ifndef SYNCD_PIPELINE_SCHEDULE_H_
#define SYNCD_PIPELINE_SCHEDULE_H_

#include <climits>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "item.h"

namespace syncd::pipeline {

class Schedule {
 public:
  // A pending entry (or one claimed ahead), after everything already ready.
  void AddReady(Item item);
  // Puts entries back in seq order (a requeue, a failed ingest).
  void ReturnReady(std::vector<Item> items);
  // An entry that waits for item.next_attempt_at_ms; blocks its entity.
  void AddRetry(Item item);

  // Something may be claimed at `now`.
  bool HasClaimable(int64_t now) const;
  // Picks up to `room` entries: due retries first (in arrival order), then
  // pending entries; an entity with an earlier entry still waiting is skipped.
  std::vector<Item> PickClaims(int64_t now, size_t room);
  // An earlier entry of this entry's entity waits for a retry.
  bool IsBlocked(const domain::SyncEntry& entry) const;

  // Every entry held, ready ones first; the schedule is empty afterwards.
  std::vector<Item> TakeAll();
  // Every entry of one tenant, ready ones first (a tenant purge).
  std::vector<Item> TakeTenant(const std::string& tenant_id);

  bool ready_empty() const { return ready_.empty(); }
  bool retry_empty() const { return retry_.empty(); }
  bool empty() const { return ready_.empty() && retry_.empty(); }
  // The earliest next attempt of a waiting retry; INT64_MAX if none.
  int64_t next_retry_at_ms() const { return retry_.empty() ? INT64_MAX : min_retry_at_ms_; }
  // The receipt time of the oldest entry held (0 if none).
  int64_t OldestReceivedMs() const;

 private:
  void Block(const std::string& key) { blocked_[key]++; }
  void Unblock(const std::string& key);

  std::deque<Item> ready_;                        // pending, in seq order
  std::map<int64_t, Item> retry_;                 // retry_wait, by seq
  int64_t min_retry_at_ms_ = INT64_MAX;           // earliest next attempt in retry_
  std::unordered_map<std::string, int> blocked_;  // entity key -> entries waiting in retry_
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_SCHEDULE_H_
