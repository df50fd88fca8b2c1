#include "syncd/pipeline/rate_limited_log.h"

#include <cstdio>
#include <utility>

namespace syncd::pipeline {

namespace {
constexpr int64_t kWindowMs = 1000;
}  // namespace

RateLimitedLog::RateLimitedLog(int per_second, const common::Clock* clock, Writer writer)
    : per_second_(per_second), clock_(clock), writer_(std::move(writer)) {
  if (!writer_) {
    writer_ = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
}

int64_t RateLimitedLog::NowMs() const {
  if (clock_ != nullptr) return clock_->NowMs();
  return common::SystemClock().NowMs();
}

void RateLimitedLog::SummariseLocked(const std::string& key, KeyState* state) {
  if (state->suppressed == 0) return;
  writer_("syncd: " + key + ": … (suppressed " + std::to_string(state->suppressed) +
          " similar lines)");
  state->suppressed = 0;
}

void RateLimitedLog::Log(const std::string& key, const std::string& line) {
  int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  KeyState& state = keys_[key];
  if (state.written == 0 || now - state.window_start_ms >= kWindowMs ||
      now < state.window_start_ms) {
    SummariseLocked(key, &state);
    state.window_start_ms = now;
    state.written = 0;
  }
  if (state.written >= per_second_) {
    ++state.suppressed;
    return;
  }
  ++state.written;
  writer_(line);
}

void RateLimitedLog::Flush() {
  int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, state] : keys_) {
    if (now - state.window_start_ms >= kWindowMs) SummariseLocked(key, &state);
  }
}

}  // namespace syncd::pipeline
