#include "result_waiters.h"

#include <algorithm>

namespace syncd::api {

std::vector<std::optional<pipeline::Delivery>> ResultWaiters::Group::TakeResults() {
  return std::move(results_);
}

void ResultWaiters::Expect(const std::shared_ptr<Group>& group, size_t slot,
                           const std::string& tenant_id, const std::string& entry_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Key key(tenant_id, entry_id);
  slots_[key].push_back(Slot{group, slot});
  group->keys_.push_back(std::move(key));
  group->expected_ += 1;
}

void ResultWaiters::Fill(const std::shared_ptr<Group>& group, size_t slot,
                         pipeline::Delivery result) {
  std::lock_guard<std::mutex> lock(mu_);
  if (group->results_[slot]) return;
  Key key(result.tenant_id, result.entry_id);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    auto& v = it->second;
    auto mine = std::find_if(v.begin(), v.end(),
                             [&](const Slot& s) { return s.group == group && s.index == slot; });
    if (mine != v.end()) {
      v.erase(mine);
      group->expected_ -= 1;
    }
    if (v.empty()) slots_.erase(it);
  }
  group->results_[slot] = std::move(result);
}

void ResultWaiters::Wait(const std::shared_ptr<Group>& group,
                         std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  groups_.push_back(group);
  group->cv_.wait_until(lock, deadline, [&] { return group->expected_ == 0 || shutdown_; });
  groups_.erase(std::find(groups_.begin(), groups_.end(), group));
  UnregisterLocked(group);
}

void ResultWaiters::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  for (const auto& group : groups_) group->cv_.notify_all();
}

void ResultWaiters::Deliver(pipeline::Deliveries deliveries) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slots_.empty()) return;
  for (const pipeline::Delivery& d : *deliveries) {
    auto it = slots_.find(Key(d.tenant_id, d.entry_id));
    if (it == slots_.end()) continue;
    for (const Slot& slot : it->second) {
      Group& g = *slot.group;
      if (!g.results_[slot.index]) {
        g.results_[slot.index] = d;
        g.expected_ -= 1;
      }
      if (g.expected_ == 0) g.cv_.notify_all();
    }
    slots_.erase(it);
  }
}

void ResultWaiters::UnregisterLocked(const std::shared_ptr<Group>& group) {
  for (const Key& key : group->keys_) {
    auto it = slots_.find(key);
    if (it == slots_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Slot& s) { return s.group == group; }),
            v.end());
    if (v.empty()) slots_.erase(it);
  }
  group->keys_.clear();
}

}  // namespace syncd::api
