#include "result_waiters.h"

#include <algorithm>
#include <cstdio>
#include <exception>

namespace syncd::api {

namespace {

// How often our thread looks at the futures of waiting operator actions.
constexpr auto kFuturePoll = std::chrono::milliseconds(5);

// A callback that throws must not end the thread that answers every waiter.
template <typename F>
void RunGuarded(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "syncd: api: answering a waiting request failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "syncd: api: answering a waiting request failed\n");
  }
}

}  // namespace

ResultWaiters::ResultWaiters() : thread_([this] { Run(); }) {}

ResultWaiters::~ResultWaiters() { Shutdown(); }

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

void ResultWaiters::WaitAsync(const std::shared_ptr<Group>& group,
                              std::chrono::steady_clock::time_point deadline, GroupDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutdown_ && group->expected_ > 0) {
      group->deadline_ = deadline;
      group->done_ = std::move(done);
      groups_.push_back(group);
      wake_.notify_all();  // a new, possibly earlier deadline
      return;
    }
    UnregisterLocked(group);
  }
  // Everything is known already (or we are stopping): answer on this thread.
  RunGuarded([&] { done(std::move(group->results_)); });
}

void ResultWaiters::WaitFuture(std::future<pipeline::OperatorResult> future,
                               std::chrono::steady_clock::time_point deadline, OperationDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutdown_) {
      operations_.push_back(Operation{std::move(future), deadline, std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  RunGuarded([&] { done(std::nullopt); });
}

void ResultWaiters::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void ResultWaiters::Deliver(pipeline::Deliveries deliveries) {
  bool wake = false;
  {
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
        if (g.expected_ == 0 && g.done_) wake = true;
      }
      slots_.erase(it);
    }
  }
  if (wake) wake_.notify_all();
}

void ResultWaiters::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    std::vector<std::pair<GroupDone, Results>> groups_done;
    std::vector<std::pair<OperationDone, std::optional<pipeline::OperatorResult>>> ops_done;
    const Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (auto it = groups_.begin(); it != groups_.end();) {
      Group& g = **it;
      if (shutdown_ || g.expected_ == 0 || g.deadline_ <= now) {
        UnregisterLocked(*it);
        groups_done.emplace_back(std::move(g.done_), std::move(g.results_));
        g.done_ = nullptr;
        it = groups_.erase(it);
      } else {
        next = std::min(next, g.deadline_);
        ++it;
      }
    }
    for (auto it = operations_.begin(); it != operations_.end();) {
      bool ready = it->future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      if (ready || shutdown_ || it->deadline <= now) {
        std::optional<pipeline::OperatorResult> result;
        if (ready) {
          try {
            result = it->future.get();
          } catch (const std::exception& e) {  // broken promise: the pipeline stopped
            std::fprintf(stderr, "syncd: api: operator action got no result: %s\n", e.what());
          }
        }
        ops_done.emplace_back(std::move(it->done), std::move(result));
        it = operations_.erase(it);
      } else {
        next = std::min({next, it->deadline, now + kFuturePoll});
        ++it;
      }
    }
    if (!groups_done.empty() || !ops_done.empty()) {
      lock.unlock();
      // Not structured bindings: a lambda may not capture those before C++20.
      for (auto& g : groups_done) RunGuarded([&g] { g.first(std::move(g.second)); });
      for (auto& op : ops_done) RunGuarded([&op] { op.first(std::move(op.second)); });
      lock.lock();
      continue;  // new waits may have come meanwhile
    }
    if (shutdown_) return;
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
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
