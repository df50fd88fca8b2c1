// The worker's own plain types: an unfinished entry as it holds one, an
// arrival, an operator request, counter deltas, and the failure log every
// step reports store errors to. Private to pipeline/.
#ifndef SYNCD_PIPELINE_ITEM_H_
#define SYNCD_PIPELINE_ITEM_H_

#include <atomic>
#include <cstdint>
#include <future>
#include <optional>
#include <string>

#include "syncd/db/store.h"
#include "syncd/domain/entry.h"
#include "syncd/pipeline/pipeline.h"
#include "syncd/pipeline/rate_limited_log.h"

namespace syncd::pipeline {

// One unfinished entry as the worker holds it. `db_state` is what the queue
// table says (after the last successful commit).
struct Item {
  int64_t seq = 0;
  domain::SyncEntry entry;
  int attempts = 0;
  common::EntryState db_state = common::EntryState::kPending;
  int64_t next_attempt_at_ms = 0;
  int64_t received_us = 0;
  int64_t received_ms = 0;  // wall clock, for the age of the oldest unfinished entry
  // In flight in the queue table with a lease this process took and an
  // attempt not yet used: the next batch may take it without another UPDATE.
  bool claimed = false;
  int64_t lease_until_ms = 0;
};

// One entry Submit took, not yet persisted.
struct Incoming {
  domain::SyncEntry entry;
  int64_t received_us = 0;
  int64_t received_ms = 0;
  // Taken while the queue was full: not counted in unfinished; the worker
  // answers it as a duplicate if its id is known, else rate_limit_error.
  bool over_limit = false;
  // Refused as it was read (Pipeline::SubmitRefused): `entry` holds only
  // its tenant and id; never counted in unfinished. Ingest remembers it.
  std::optional<domain::EntryError> refused;
};

struct OperatorRequest {
  std::string tenant_id, entry_id, detail;
  OperatorAction action = OperatorAction::kRetry;
  // A tenant delete or reset (Pipeline::PurgeTenant): entry_id, detail and
  // action unused.
  bool tenant_purge = false;
  bool remove_tenant = false;
  std::promise<OperatorResult> promise;
};

// tenant, entity type and entity id: the unit whose entries apply in order.
std::string EntityKey(const domain::SyncEntry& e);

// The checksum of the entity an entry writes (parsed entries carry it).
std::string EntryChecksum(const domain::SyncEntry& e);

// The reply to `entry` (its id, entity and operation) with `result`.
Delivery MakeDelivery(const domain::SyncEntry& entry, int64_t received_us,
                      domain::EntryResult result, FinalState state);

// The reply to an entry refused as it was read, on a connection of `tenant`.
Delivery RefusedDelivery(const std::string& tenant, const domain::EntryError& error,
                         domain::EntryResult result, FinalState state, int64_t received_us);

// Counter deltas of one transaction: global scope "" and the tenant's scope.
class Deltas {
 public:
  void Add(const std::string& tenant, const char* name, int64_t delta);
  // A refusal: the entry reached the server and was NACKed without a row.
  void Refused(const std::string& tenant);
  void AddAll(const db::CounterMap& other);
  // One entry moved between queue states (depth counters).
  void Move(const std::string& tenant, common::EntryState from, common::EntryState to);
  const db::CounterMap& map() const { return map_; }
  bool empty() const { return map_.empty(); }

 private:
  db::CounterMap map_;
};

// Every failed store call ends here: the raw message goes to stderr (rate
// limited per kind), and an unavailable store is remembered for good.
// Worker thread (lost() any thread).
class FailureLog {
 public:
  explicit FailureLog(const common::Clock* clock) : log_(5, clock) {}
  void Record(const char* what, const common::Status& s) {
    if (s.unavailable()) lost_ = true;
    log_.Log(what, std::string("syncd: ") + what + " failed: " + s.ToString());
  }
  void Flush() { log_.Flush(); }
  // The store reported the database lost: never cleared.
  bool lost() const { return lost_.load(); }

 private:
  RateLimitedLog log_;
  std::atomic<bool> lost_{false};
};

// The entry's last_error as clients see it (GET /api/v1/sync/entries/…);
// the store's message went to the log.
inline const char* ClientError(const common::Status& s) {
  return s.transient() ? kDatabaseUnavailable : kDatabaseRefused;
}

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_ITEM_H_
