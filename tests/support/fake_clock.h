// A clock that stands still until a test advances it, for deterministic
// retries, leases and retention. Test support only; any thread.
#ifndef SYNCD_TESTS_SUPPORT_FAKE_CLOCK_H_
#define SYNCD_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "syncd/common/clock.h"

namespace syncd::test {

class FakeClock final : public common::Clock {
 public:
  // 2025-11-26T04:06:40Z: a fixed, recent instant, so stored times look real.
  static constexpr int64_t kDefaultNowMs = 1764130000000;

  explicit FakeClock(int64_t now_ms = kDefaultNowMs);
  int64_t NowMs() const override;
  void Advance(int64_t ms);

 private:
  std::atomic<int64_t> now_;
};

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_FAKE_CLOCK_H_
