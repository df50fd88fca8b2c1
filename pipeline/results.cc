#include "syncd/pipeline/results.h"

#include <utility>

namespace syncd::pipeline::results {
namespace {

domain::EntryResult Ack(domain::Outcome outcome, std::string checksum, int64_t now_ms) {
  domain::EntryResult r;
  r.acked = true;
  r.outcome = outcome;
  r.checksum = std::move(checksum);
  r.server_timestamp_ms = now_ms;
  return r;
}

domain::EntryResult Nack(domain::NackReason reason, std::string detail, int64_t retry_after_ms,
                         int64_t now_ms) {
  domain::EntryResult r;
  r.acked = false;
  r.reason = reason;
  r.detail = std::move(detail);
  r.retry_after_ms = retry_after_ms;
  r.server_timestamp_ms = now_ms;
  return r;
}

}  // namespace

domain::EntryResult Applied(std::string checksum, int64_t now_ms) {
  return Ack(domain::Outcome::kApplied, std::move(checksum), now_ms);
}
domain::EntryResult Superseded(std::string stored_checksum, int64_t now_ms) {
  return Ack(domain::Outcome::kSuperseded, std::move(stored_checksum), now_ms);
}
domain::EntryResult Manual(std::string checksum, int64_t now_ms) {
  return Ack(domain::Outcome::kManual, std::move(checksum), now_ms);
}

domain::EntryResult RateLimited(int64_t retry_after_ms, int64_t now_ms) {
  return Nack(domain::NackReason::kRateLimit, kQueueFull, retry_after_ms, now_ms);
}
domain::EntryResult ShuttingDown(int64_t now_ms) {
  return Nack(domain::NackReason::kSystem, kShuttingDown, kShuttingDownRetryAfterMs, now_ms);
}
domain::EntryResult DatabaseUnavailable(int64_t retry_after_ms, int64_t now_ms) {
  return Nack(domain::NackReason::kSystem, kDatabaseUnavailable, retry_after_ms, now_ms);
}
domain::EntryResult RetriesExhausted(int64_t retry_after_ms, int64_t now_ms) {
  return Nack(domain::NackReason::kSystem, kRetriesExhausted, retry_after_ms, now_ms);
}
domain::EntryResult TenantPurged(bool removed, int64_t now_ms) {
  return Nack(domain::NackReason::kSystem, removed ? kTenantDeleted : kTenantReset,
              kShuttingDownRetryAfterMs, now_ms);
}
domain::EntryResult DatabaseRefused(int64_t now_ms) {
  return Nack(domain::NackReason::kConstraint, kDatabaseRefused, 0, now_ms);
}
domain::EntryResult EntryRefused(const domain::EntryError& error, int64_t now_ms) {
  return Nack(error.reason, error.detail, 0, now_ms);
}

domain::EntryResult Validation(std::string detail, int64_t now_ms) {
  return Nack(domain::NackReason::kValidation, std::move(detail), 0, now_ms);
}
domain::EntryResult OperatorRejected(std::string detail, int64_t now_ms) {
  return Nack(domain::NackReason::kConstraint, detail.empty() ? kOperatorRejected : detail, 0,
              now_ms);
}

}  // namespace syncd::pipeline::results
