#include "syncd/auth/limits.h"

#include <algorithm>

namespace syncd::auth {

bool PasswordSlots::TryTake() {
  MutexLock lock(&mu_);
  if (free_ <= 0) return false;
  --free_;
  return true;
}

void PasswordSlots::Give() {
  MutexLock lock(&mu_);
  ++free_;
}

int64_t RateWindow::Take(const std::string& key, int64_t now_ms) {
  MutexLock lock(&mu_);
  auto it = events_.find(key);
  if (it == events_.end()) {
    if (events_.size() >= kMaxKeys) {
      auto oldest = std::min_element(events_.begin(), events_.end(), [](auto& a, auto& b) {
        return a.second.back() < b.second.back();
      });
      events_.erase(oldest);
    }
    it = events_.emplace(key, std::deque<int64_t>()).first;
  }
  std::deque<int64_t>& times = it->second;
  while (!times.empty() && times.front() <= now_ms - window_ms_) times.pop_front();
  if (static_cast<int>(times.size()) >= max_) {
    return times[times.size() - static_cast<size_t>(max_)] + window_ms_ - now_ms;
  }
  times.push_back(now_ms);
  return 0;
}

}  // namespace syncd::auth
