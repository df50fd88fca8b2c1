#include "syncd/pipeline/retry.h"

#include <algorithm>

namespace syncd::pipeline {

int64_t BackoffCeilingMs(const RetryPolicy& policy, int attempts) {
  int shift = std::clamp(attempts, 0, 40);
  // base * 2^attempts, saturating at max_ms (no overflow for large attempts).
  if (policy.base_ms > 0 && (policy.max_ms >> shift) < policy.base_ms) return policy.max_ms;
  return std::min(policy.max_ms, policy.base_ms << shift);
}

int64_t BackoffDelayMs(const RetryPolicy& policy, int attempts, std::mt19937_64& rng) {
  int64_t ceiling = BackoffCeilingMs(policy, attempts);
  if (ceiling <= 0) return 0;
  return std::uniform_int_distribution<int64_t>(0, ceiling)(rng);
}

}  // namespace syncd::pipeline
