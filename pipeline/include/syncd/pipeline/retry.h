// Retry policy: exponential backoff with full jitter (service.md, rule 4).
#ifndef SYNCD_PIPELINE_RETRY_H_
#define SYNCD_PIPELINE_RETRY_H_

#include <cstdint>
#include <random>

namespace syncd::pipeline {

struct RetryPolicy {
  int max_attempts = 8;   // attempts before an entry is dead-lettered
  int64_t base_ms = 20;   // backoff base
  int64_t max_ms = 5000;  // backoff cap
};

// The ceiling of the delay after `attempts` failed attempts (>= 1):
// min(max_ms, base_ms * 2^attempts).
int64_t BackoffCeilingMs(const RetryPolicy& policy, int attempts);

// Full jitter: uniform in [0, BackoffCeilingMs].
int64_t BackoffDelayMs(const RetryPolicy& policy, int attempts, std::mt19937_64& rng);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_RETRY_H_
