// FORWARDER, removed after the parallel refactors merge: the clock moved to
// syncd/common/clock.h (syncd::common), the fake clock to
// tests/support/fake_clock.h (syncd::test::FakeClock). Code written
// against this path keeps compiling meanwhile.
#ifndef SYNCD_PIPELINE_CLOCK_H_
#define SYNCD_PIPELINE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "syncd/common/clock.h"

namespace syncd::pipeline {

using common::Clock;
using common::MonotonicMicros;
using common::SystemClock;

// Test only, moving to tests/support/fake_clock.h (syncd::test::FakeClock):
// kept here until the tests that include this header are moved.
// Stands still until advanced. Any thread.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1764130000000) : now_(now_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_CLOCK_H_
