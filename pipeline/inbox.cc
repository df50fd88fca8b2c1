#include "inbox.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "syncd/domain/identifier.h"
#include "syncd/pipeline/results.h"

namespace syncd::pipeline {

SubmitOutcome Inbox::Submit(domain::SyncEntry entry, int64_t received_us) {
  enum class Refusal { kNone, kStopping, kQueueFull } refusal = Refusal::kNone;
  bool wake = false;
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      refusal = Refusal::kStopping;
    } else {
      bool over_limit = unfinished() >= options_.queue_max;
      if (over_limit && over_limit_in_inbox_ >= kMaxOverLimitInbox) {
        refusal = Refusal::kQueueFull;
      } else {
        // Full: only a resent id may still be answered (as a duplicate), which
        // the worker checks against the queue; new ones get rate_limit_error.
        if (over_limit) {
          ++over_limit_in_inbox_;
        } else {
          AddUnfinished(1);
        }
        wake = inbox_.empty() || static_cast<int>(inbox_.size()) + 1 >= options_.batch_max;
        Incoming in;
        in.entry = std::move(entry);
        in.received_us = received_us;
        in.received_ms = clock_->NowMs();
        in.over_limit = over_limit;
        inbox_.push_back(std::move(in));
      }
    }
  }
  if (refusal == Refusal::kNone) {
    if (wake) cv_.Signal();
    return {};
  }
  CountRejected(entry.tenant_id);
  int64_t now = clock_->NowMs();
  domain::EntryResult result = refusal == Refusal::kStopping
                                   ? results::ShuttingDown(now)
                                   : results::RateLimited(RetryAfterMs(), now);
  return {MakeDelivery(entry, received_us, std::move(result), FinalState::kRefused)};
}

SubmitOutcome Inbox::SubmitRefused(const std::string& tenant_id, domain::EntryError error,
                                   int64_t received_us) {
  // Only a readable id can be looked up again, and only a permanent refusal
  // is the answer for good.
  bool remember = error.id && !domain::CheckIdentifier(*error.id, "id") &&
                  !domain::CheckIdentifier(tenant_id, "tenant") &&
                  domain::IsPermanent(error.reason);
  bool wake = false;
  if (remember) {
    MutexLock lock(&mu_);
    remember = !stopping_ && refused_in_inbox_ < kMaxRefusedInbox;
    if (remember) {
      ++refused_in_inbox_;
      Incoming in;
      in.entry.tenant_id = tenant_id;
      in.entry.id = *error.id;
      in.received_us = received_us;
      in.received_ms = clock_->NowMs();
      in.refused = std::move(error);
      wake = inbox_.empty() || static_cast<int>(inbox_.size()) + 1 >= options_.batch_max;
      inbox_.push_back(std::move(in));
    }
  }
  if (remember) {
    if (wake) cv_.Signal();
    return {};
  }
  CountRejected(tenant_id);
  domain::EntryResult result = results::EntryRefused(error, clock_->NowMs());
  return {RefusedDelivery(tenant_id, error, std::move(result), FinalState::kRefused, received_us)};
}

void Inbox::CountRejected(const std::string& tenant_id) {
  Deltas refused;
  refused.Refused(tenant_id);
  CountRefusals(refused);
  cv_.Signal();
}

void Inbox::DropRefusalsOf(const std::string& tenant) {
  MutexLock lock(&mu_);
  auto it = refusals_.lower_bound({tenant, std::string()});
  while (it != refusals_.end() && it->first.first == tenant) it = refusals_.erase(it);
}

void Inbox::CountRefusals(const Deltas& refused) {
  if (refused.empty()) return;
  {
    MutexLock lock(&mu_);
    for (const auto& [key, delta] : refused.map()) refusals_[key] += delta;
  }
  mirror_->Add(refused);
}

void Inbox::AddOperatorRequest(OperatorRequest request) {
  {
    MutexLock lock(&mu_);
    ops_.push_back(std::move(request));
  }
  cv_.Signal();
}

int64_t Inbox::RetryAfterMs() const {
  Metrics::Snapshot m = metrics_->Take();
  int64_t backlog = unfinished();
  int64_t ms = m.acked_per_s > 1 ? static_cast<int64_t>(backlog * 1000.0 / m.acked_per_s) : 1000;
  return std::clamp<int64_t>(ms, 100, 30000);
}

bool Inbox::BeginStop(int64_t deadline_us, bool worker_running) {
  {
    MutexLock lock(&mu_);
    if (stopping_ && !worker_running) return false;
    stopping_ = true;
    stop_deadline_us_ = deadline_us;
  }
  cv_.Signal();
  return true;
}

void Inbox::WaitForWork(const WorkerView& view) {
  MutexLock lock(&mu_);
  auto has_work = [&] {
    mu_.AssertHeld();
    int64_t now = clock_->NowMs();
    if (!ops_.empty() || !inbox_.empty()) return true;
    if (view.lost) return stopping_;
    if (view.backing_off(now)) return false;
    return stopping_ || !refusals_.empty() || view.has_work(now);
  };
  while (!has_work()) {
    int64_t now = clock_->NowMs();
    int64_t wake_at = view.wake_at(now);
    if (wake_at <= now) return;  // maintenance is due
    cv_.WaitFor(std::chrono::milliseconds(std::min<int64_t>(wake_at - now, 1000)));
  }
  // Under load, give a batch up to batch_wait_ms to fill; when idle the
  // first entry goes at once.
  if (view.busy && !stopping_ && !inbox_.empty() &&
      static_cast<int>(inbox_.size()) < options_.batch_max && options_.batch_wait_ms > 0) {
    int64_t deadline_us = inbox_.front().received_us + options_.batch_wait_ms * 1000LL;
    while (!stopping_ && static_cast<int>(inbox_.size()) < options_.batch_max) {
      int64_t wait_us = deadline_us - common::MonotonicMicros();
      if (wait_us <= 0) break;
      cv_.WaitFor(std::chrono::microseconds(wait_us));
    }
  }
}

Inbox::Taken Inbox::Take(bool take_refusals) {
  Taken taken;
  MutexLock lock(&mu_);
  taken.incoming.swap(inbox_);
  over_limit_in_inbox_ = 0;
  refused_in_inbox_ = 0;
  taken.ops.swap(ops_);
  if (take_refusals) taken.refusals.swap(refusals_);
  return taken;
}

void Inbox::RestoreRefusals(const db::CounterMap& refusals) {
  if (refusals.empty()) return;
  MutexLock lock(&mu_);
  for (const auto& [key, delta] : refusals) refusals_[key] += delta;
}

db::CounterMap Inbox::TakeRefusals() {
  db::CounterMap refusals;
  MutexLock lock(&mu_);
  refusals.swap(refusals_);
  return refusals;
}

Inbox::StopState Inbox::stop_state(bool lost) {
  MutexLock lock(&mu_);
  StopState s;
  s.stopping = stopping_;
  s.past_deadline = common::MonotonicMicros() > stop_deadline_us_;
  s.drained = inbox_.empty() && ops_.empty() && (refusals_.empty() || lost);
  return s;
}

}  // namespace syncd::pipeline
