// Login throttling (accounts.md): after 5 failed logins for one account or
// from one client address within 5 minutes, further attempts for it are
// answered 429 with Retry-After until the oldest failure leaves the window.
// In memory: a restart forgets (a restart is rare; the attacker gains one
// window). Thread-safe; Pistache threads call it.
#ifndef SYNCD_AUTH_LOGIN_THROTTLE_H_
#define SYNCD_AUTH_LOGIN_THROTTLE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "syncd/common/mutex.h"

namespace syncd::auth {

class LoginThrottle {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr int64_t kWindowMs = 5 * 60 * 1000;
  // Keys kept at most; past it the oldest-failing keys are forgotten, so a
  // flood of made-up accounts cannot grow memory without bound.
  static constexpr size_t kMaxKeys = 100000;

  LoginThrottle() = default;
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  // 0 when `account` (lower-cased email or name) and `address` may try now;
  // otherwise the milliseconds until they may.
  int64_t RetryAfterMs(const std::string& account, const std::string& address, int64_t now_ms);
  void RecordFailure(const std::string& account, const std::string& address, int64_t now_ms);
  // A successful login clears its account's failures (not its address's).
  void RecordSuccess(const std::string& account);

 private:
  int64_t WaitFor(const std::string& key, int64_t now_ms) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Mutex mu_;
  std::map<std::string, std::deque<int64_t>> failures_ GUARDED_BY(mu_);  // key → times
};

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_LOGIN_THROTTLE_H_
