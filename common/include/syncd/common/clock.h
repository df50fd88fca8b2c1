// Time sources. Code that schedules (retries, leases, retention) takes a
// Clock, so tests can drive it with a fake (tests/support/fake_clock.h);
// latencies use MonotonicMicros. Any thread.
#ifndef SYNCD_COMMON_CLOCK_H_
#define SYNCD_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace syncd::common {

// Wall-clock time, as stored in the database and sent to clients.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;  // Unix epoch milliseconds
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Microseconds on the monotonic clock, for latencies and uptime.
inline int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace syncd::common

#endif  // SYNCD_COMMON_CLOCK_H_
