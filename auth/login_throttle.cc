#include "syncd/auth/login_throttle.h"

#include <algorithm>

namespace syncd::auth {

int64_t LoginThrottle::WaitFor(const std::string& key, int64_t now_ms) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  std::deque<int64_t>& times = it->second;
  while (!times.empty() && times.front() <= now_ms - kWindowMs) times.pop_front();
  if (times.empty()) {
    failures_.erase(it);
    return 0;
  }
  if (static_cast<int>(times.size()) < kMaxFailures) return 0;
  // Allowed again once the failure that makes the count 5 leaves the window.
  return times[times.size() - kMaxFailures] + kWindowMs - now_ms;
}

int64_t LoginThrottle::RetryAfterMs(const std::string& account, const std::string& address,
                                    int64_t now_ms) {
  MutexLock lock(&mu_);
  return std::max(WaitFor("a:" + account, now_ms), WaitFor("c:" + address, now_ms));
}

void LoginThrottle::RecordFailure(const std::string& account, const std::string& address,
                                  int64_t now_ms) {
  MutexLock lock(&mu_);
  if (failures_.size() >= kMaxKeys) {
    // Forget the key whose last failure is oldest.
    auto oldest = std::min_element(failures_.begin(), failures_.end(), [](auto& a, auto& b) {
      return a.second.back() < b.second.back();
    });
    failures_.erase(oldest);
  }
  for (const std::string& key : {"a:" + account, "c:" + address}) {
    std::deque<int64_t>& times = failures_[key];
    times.push_back(now_ms);
    while (static_cast<int>(times.size()) > kMaxFailures) times.pop_front();
  }
}

void LoginThrottle::RecordSuccess(const std::string& account) {
  MutexLock lock(&mu_);
  failures_.erase("a:" + account);
}

}  // namespace syncd::auth
