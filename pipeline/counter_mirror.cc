#include "counter_mirror.h"

#include <set>
#include <utility>

#include "syncd/db/counters.h"

namespace syncd::pipeline {

namespace counters = db::counters;

void CounterMirror::Load(db::CounterMap loaded) {
  MutexLock lock(&mu_);
  counters_ = std::move(loaded);
}

void CounterMirror::Add(const Deltas& deltas) {
  MutexLock lock(&mu_);
  for (const auto& [key, delta] : deltas.map()) counters_[key] += delta;
}

void CounterMirror::DropScope(const std::string& scope) {
  MutexLock lock(&mu_);
  auto it = counters_.lower_bound({scope, std::string()});
  while (it != counters_.end() && it->first.first == scope) it = counters_.erase(it);
}

QueueCounts CounterMirror::Counts(const std::string& scope) const {
  MutexLock lock(&mu_);
  auto get = [&](const char* name) -> int64_t {
    mu_.AssertHeld();
    auto it = counters_.find({scope, name});
    return it == counters_.end() ? 0 : it->second;
  };
  QueueCounts c;
  c.pending = get(counters::kPending);
  c.in_flight = get(counters::kInFlight);
  c.retry_wait = get(counters::kRetryWait);
  c.dead = get(counters::kDead);
  c.received = get(counters::kReceived);
  c.applied = get(counters::kApplied);
  c.superseded = get(counters::kSuperseded);
  c.manual = get(counters::kManual);
  c.duplicates = get(counters::kDuplicates);
  c.nacked = get(counters::kNacked);
  c.retries = get(counters::kRetries);
  c.dead_lettered = get(counters::kDeadLettered);
  return c;
}

int64_t CounterMirror::TenantCount() const {
  MutexLock lock(&mu_);
  std::set<std::string> tenants;
  for (const auto& [key, value] : counters_) {
    if (!key.first.empty()) tenants.insert(key.first);
  }
  return static_cast<int64_t>(tenants.size());
}

}  // namespace syncd::pipeline
