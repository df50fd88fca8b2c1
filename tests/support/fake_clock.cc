#include "support/fake_clock.h"

namespace syncd::test {

FakeClock::FakeClock(int64_t now_ms) : now_(now_ms) {}

int64_t FakeClock::NowMs() const { return now_.load(); }

void FakeClock::Advance(int64_t ms) { now_ += ms; }

}  // namespace syncd::test
