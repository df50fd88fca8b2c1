// Fault lines for stderr, rate-limited per key: a full disk fails every
// commit, and one line per failure would bury everything else (and cost a
// write per entry). At most `per_second` lines of one key are written per
// second; the rest are counted and summarised as
// "syncd: <key>: … (suppressed K similar lines)" before the key's next line,
// or by Flush() once that second is over.
//
// Thread-safe (one mutex); owned by whoever logs (the pipeline worker, the
// REST handlers' context).
#ifndef SYNCD_PIPELINE_RATE_LIMITED_LOG_H_
#define SYNCD_PIPELINE_RATE_LIMITED_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "syncd/common/clock.h"

namespace syncd::pipeline {

class RateLimitedLog {
 public:
  // One line, without its newline. The default writes it to stderr.
  using Writer = std::function<void(const std::string& line)>;

  // `clock` (not owned; nullptr: the system clock) decides the seconds.
  explicit RateLimitedLog(int per_second = 5, const common::Clock* clock = nullptr,
                          Writer writer = nullptr);
  RateLimitedLog(const RateLimitedLog&) = delete;
  RateLimitedLog& operator=(const RateLimitedLog&) = delete;

  // Writes `line` unless `key` already wrote per_second lines this second.
  void Log(const std::string& key, const std::string& line);
  // Writes the summary of every key whose second is over and that dropped lines.
  void Flush();

 private:
  struct KeyState {
    int64_t window_start_ms = 0;
    int written = 0;
    int64_t suppressed = 0;
  };
  int64_t NowMs() const;
  void SummariseLocked(const std::string& key, KeyState* state);

  const int per_second_;
  const common::Clock* clock_;
  Writer writer_;
  std::mutex mu_;
  std::map<std::string, KeyState> keys_;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_RATE_LIMITED_LOG_H_
