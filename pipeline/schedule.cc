#include "schedule.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

namespace syncd::pipeline {

void Schedule::AddReady(Item item) { ready_.push_back(std::move(item)); }

void Schedule::ReturnReady(std::vector<Item> items) {
  for (Item& item : items) ready_.push_back(std::move(item));
  std::sort(ready_.begin(), ready_.end(),
            [](const Item& a, const Item& b) { return a.seq < b.seq; });
}

void Schedule::AddRetry(Item item) {
  item.claimed = false;  // a retry claims again (and counts an attempt)
  Block(EntityKey(item.entry));
  min_retry_at_ms_ = retry_.empty() ? item.next_attempt_at_ms
                                    : std::min(min_retry_at_ms_, item.next_attempt_at_ms);
  int64_t seq = item.seq;
  retry_.emplace(seq, std::move(item));
}

bool Schedule::HasClaimable(int64_t now) const {
  if (!retry_.empty() && min_retry_at_ms_ <= now) return true;
  if (ready_.empty()) return false;
  if (blocked_.empty()) return true;
  for (const Item& item : ready_) {
    if (blocked_.find(EntityKey(item.entry)) == blocked_.end()) return true;
  }
  return false;
}

bool Schedule::IsBlocked(const domain::SyncEntry& entry) const {
  return !blocked_.empty() && blocked_.count(EntityKey(entry)) != 0;
}

// Every entry left behind is either out of room (then nothing newer is
// claimed this round either) or of an entity in blocked_ (then its newer
// entries are blocked too), so arrival order per entity holds without
// remembering what was skipped.
std::vector<Item> Schedule::PickClaims(int64_t now, size_t room) {
  std::vector<Item> claims;
  if (!retry_.empty() && min_retry_at_ms_ <= now) {
    // The next wake-up is the earliest entry not yet due: a due entry left
    // behind waits either for an earlier entry of its entity (which is not
    // due yet) or for room (then the next loop comes at once).
    int64_t new_min = INT64_MAX;
    std::set<std::string> waiting;  // entities with an earlier retry not yet due
    for (auto it = retry_.begin(); it != retry_.end();) {
      Item& item = it->second;
      bool due = item.next_attempt_at_ms <= now;
      std::string key = EntityKey(item.entry);
      if (due && claims.size() < room && waiting.count(key) == 0) {
        claims.push_back(std::move(item));
        Unblock(key);
        it = retry_.erase(it);
        continue;
      }
      if (!due) new_min = std::min(new_min, item.next_attempt_at_ms);
      if (due && claims.size() >= room) new_min = now;
      waiting.insert(std::move(key));
      ++it;
    }
    min_retry_at_ms_ = new_min;
  }
  for (auto it = ready_.begin(); it != ready_.end() && claims.size() < room;) {
    if (IsBlocked(it->entry)) {
      ++it;
      continue;
    }
    claims.push_back(std::move(*it));
    it = ready_.erase(it);
  }
  return claims;
}

std::vector<Item> Schedule::TakeAll() {
  std::vector<Item> all(std::make_move_iterator(ready_.begin()),
                        std::make_move_iterator(ready_.end()));
  for (auto& [seq, item] : retry_) all.push_back(std::move(item));
  ready_.clear();
  retry_.clear();
  blocked_.clear();
  min_retry_at_ms_ = INT64_MAX;
  return all;
}

std::vector<Item> Schedule::TakeTenant(const std::string& tenant_id) {
  std::vector<Item> taken;
  for (auto it = ready_.begin(); it != ready_.end();) {
    if (it->entry.tenant_id != tenant_id) {
      ++it;
      continue;
    }
    taken.push_back(std::move(*it));
    it = ready_.erase(it);
  }
  int64_t new_min = INT64_MAX;
  for (auto it = retry_.begin(); it != retry_.end();) {
    if (it->second.entry.tenant_id != tenant_id) {
      new_min = std::min(new_min, it->second.next_attempt_at_ms);
      ++it;
      continue;
    }
    Unblock(EntityKey(it->second.entry));
    taken.push_back(std::move(it->second));
    it = retry_.erase(it);
  }
  min_retry_at_ms_ = new_min;
  return taken;
}

int64_t Schedule::OldestReceivedMs() const {
  int64_t oldest = 0;
  auto consider = [&](int64_t ms) {
    if (ms > 0 && (oldest == 0 || ms < oldest)) oldest = ms;
  };
  if (!ready_.empty()) consider(ready_.front().received_ms);
  if (!retry_.empty()) consider(retry_.begin()->second.received_ms);
  return oldest;
}

void Schedule::Unblock(const std::string& key) {
  auto it = blocked_.find(key);
  if (it != blocked_.end() && --it->second <= 0) blocked_.erase(it);
}

}  // namespace syncd::pipeline
