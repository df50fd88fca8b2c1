// Time sources, so tests can drive retries, leases and retention with a fake.
#ifndef SYNCD_PIPELINE_CLOCK_H_
#define SYNCD_PIPELINE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace syncd::pipeline {

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

// Stands still until advanced. Any thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1764130000000) : now_(now_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_;
};

// Microseconds on the monotonic clock, for latencies.
inline int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_CLOCK_H_
