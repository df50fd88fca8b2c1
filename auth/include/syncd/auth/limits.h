// Limits on the costly unauthenticated work of the accounts routes
// (security.md): each Argon2id hash or verification takes 19 MiB and tens
// of milliseconds of CPU. PasswordSlots caps how many run at once;
// RateWindow caps events per key (POST /register per client address).
// Thread-safe; Pistache threads call them.
#ifndef SYNCD_AUTH_LIMITS_H_
#define SYNCD_AUTH_LIMITS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "syncd/common/mutex.h"

namespace syncd::auth {

// A counting semaphore that never waits: a caller over the cap is answered
// 503 busy with Retry-After instead of queueing memory.
class PasswordSlots {
 public:
  explicit PasswordSlots(int slots) : free_(slots) {}
  PasswordSlots(const PasswordSlots&) = delete;
  PasswordSlots& operator=(const PasswordSlots&) = delete;

  // Holds one slot for its lifetime when ok().
  class Slot {
   public:
    explicit Slot(PasswordSlots* slots) : slots_(slots->TryTake() ? slots : nullptr) {}
    ~Slot() {
      if (slots_ != nullptr) slots_->Give();
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    bool ok() const { return slots_ != nullptr; }

   private:
    PasswordSlots* slots_;
  };

 private:
  bool TryTake();
  void Give();

  Mutex mu_;
  int free_ GUARDED_BY(mu_);
};

// At most `max_events` per key within `window_ms` (sliding). Keys are
// bounded (kMaxKeys; past it the key whose last event is oldest goes).
class RateWindow {
 public:
  static constexpr size_t kMaxKeys = 100000;

  RateWindow(int max_events, int64_t window_ms) : max_(max_events), window_ms_(window_ms) {}
  RateWindow(const RateWindow&) = delete;
  RateWindow& operator=(const RateWindow&) = delete;

  // 0 and the event counted when `key` may have one more now; otherwise
  // the milliseconds until it may (nothing counted).
  int64_t Take(const std::string& key, int64_t now_ms);

 private:
  const int max_;
  const int64_t window_ms_;
  Mutex mu_;
  std::map<std::string, std::deque<int64_t>> events_ GUARDED_BY(mu_);
};

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_LIMITS_H_
