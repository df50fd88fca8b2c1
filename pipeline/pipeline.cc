#include "syncd/pipeline/pipeline.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "syncd/db/counters.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/domain/lww.h"
#include "syncd/pipeline/rate_limited_log.h"

namespace syncd::pipeline {

namespace counters = db::counters;
using db::EntryState;
using db::Status;
using domain::NackReason;
using domain::Outcome;

namespace {

// One unfinished entry as the worker holds it. `db_state` is what the queue
// table says (after the last successful commit).
struct Item {
  int64_t seq = 0;
  domain::SyncEntry entry;
  int attempts = 0;
  EntryState db_state = EntryState::kPending;
  int64_t next_attempt_at_ms = 0;
  int64_t received_us = 0;
  int64_t received_ms = 0;  // wall clock, for the age of the oldest unfinished entry
  // In flight in the queue table with a lease this process took and an
  // attempt not yet used: the next batch may take it without another UPDATE.
  bool claimed = false;
  int64_t lease_until_ms = 0;
};

struct Incoming {
  domain::SyncEntry entry;
  int64_t received_us = 0;
  int64_t received_ms = 0;
  // Taken while the queue was full: not counted in unfinished_; the worker
  // answers it as a duplicate if its id is known, else rate_limit_error.
  bool over_limit = false;
};

// Entries taken while the queue is full, waiting to be told apart
// (duplicate or new); beyond this they are refused at once.
constexpr size_t kMaxOverLimitInbox = 4096;

struct OperatorRequest {
  std::string tenant_id, entry_id, detail;
  OperatorAction action = OperatorAction::kRetry;
  std::promise<OperatorResult> promise;
};

std::string EntityKey(const domain::SyncEntry& e) {
  std::string key;
  key.reserve(e.tenant_id.size() + e.entity_id.size() + 24);
  key.append(e.tenant_id).push_back('\x1f');
  key.append(domain::EntityTypeName(e.entity_type)).push_back('\x1f');
  key.append(e.entity_id);
  return key;
}

const char* DepthCounter(EntryState state) {
  switch (state) {
    case EntryState::kPending:
      return counters::kPending;
    case EntryState::kInFlight:
      return counters::kInFlight;
    case EntryState::kRetryWait:
      return counters::kRetryWait;
    case EntryState::kDead:
      return counters::kDead;
    case EntryState::kDone:
      return nullptr;
  }
  return nullptr;
}

// Counter deltas of one transaction: global scope "" and the tenant's scope.
class Deltas {
 public:
  void Add(const std::string& tenant, const char* name, int64_t delta) {
    if (name == nullptr || delta == 0) return;
    map_[{std::string(), name}] += delta;
    // "" is the global scope; an entry with no readable tenant counts only there.
    if (!tenant.empty()) map_[{tenant, name}] += delta;
  }
  // A refusal: the entry reached the server and was NACKed without a row.
  void Refused(const std::string& tenant) {
    Add(tenant, counters::kReceived, 1);
    Add(tenant, counters::kNacked, 1);
  }
  void AddAll(const db::CounterMap& other) {
    for (const auto& [key, delta] : other) map_[key] += delta;
  }
  void Move(const std::string& tenant, EntryState from, EntryState to) {
    if (from == to) return;
    Add(tenant, DepthCounter(from), -1);
    Add(tenant, DepthCounter(to), +1);
  }
  const db::CounterMap& map() const { return map_; }
  bool empty() const { return map_.empty(); }
  void Clear() { map_.clear(); }

 private:
  db::CounterMap map_;
};

// The checksum of the entity an entry writes (parsed entries carry it).
std::string EntryChecksum(const domain::SyncEntry& e) {
  return e.checksum.empty() ? domain::ChecksumOfCanonical(e.data) : e.checksum;
}

Delivery MakeDelivery(const Item& item, domain::EntryResult result) {
  Delivery d;
  d.tenant_id = item.entry.tenant_id;
  d.entry_id = item.entry.id;
  d.entity_type = domain::EntityTypeName(item.entry.entity_type);
  d.entity_id = item.entry.entity_id;
  d.operation_type = domain::OperationName(item.entry.operation);
  d.result = std::move(result);
  d.received_us = item.received_us;
  return d;
}

}  // namespace

class Pipeline::Worker {
 public:
  Worker(std::unique_ptr<db::WriteStore> store, PipelineOptions options, const Clock* clock)
      : store_(std::move(store)),
        options_(options),
        clock_(clock),
        log_(5, clock),
        rng_(options.rng_seed ? *options.rng_seed : std::random_device{}()) {}

  // ---- any thread ----

  SubmitResult Submit(domain::SyncEntry entry, int64_t received_us) {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      CountRejected(entry.tenant_id);
      return SubmitResult::kStopping;
    }
    bool over_limit = unfinished_.load(std::memory_order_relaxed) >= options_.queue_max;
    if (over_limit) {
      // Full: only a resent id may still be answered (as a duplicate), which
      // the worker checks against the queue; new ones get rate_limit_error.
      if (over_limit_in_inbox_ >= kMaxOverLimitInbox) {
        lock.unlock();
        CountRejected(entry.tenant_id);
        return SubmitResult::kQueueFull;
      }
      ++over_limit_in_inbox_;
    } else {
      unfinished_.fetch_add(1, std::memory_order_relaxed);
    }
    bool wake = inbox_.empty() || static_cast<int>(inbox_.size()) + 1 >= options_.batch_max;
    inbox_.push_back(Incoming{std::move(entry), received_us, clock_->NowMs(), over_limit});
    lock.unlock();
    if (wake) cv_.notify_one();
    return SubmitResult::kAccepted;
  }

  void CountRejected(const std::string& tenant_id) {
    Deltas refused;
    refused.Refused(tenant_id);
    CountRefusals(refused);
    cv_.notify_one();
  }

  // NACKs of entries nothing was written for (refused before the queue, or
  // not persisted): counted in the statistics at once, and in the counters
  // table by the next ingest transaction (refusals_ until then).
  void CountRefusals(const Deltas& refused) {
    if (refused.empty()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, delta] : refused.map()) refusals_[key] += delta;
    }
    MirrorCounters(refused);
  }

  std::future<OperatorResult> Operate(const std::string& tenant_id, const std::string& entry_id,
                                      OperatorAction action, const std::string& detail) {
    OperatorRequest request;
    request.tenant_id = tenant_id;
    request.entry_id = entry_id;
    request.detail = detail;
    request.action = action;
    std::future<OperatorResult> future = request.promise.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ops_.push_back(std::move(request));
    }
    cv_.notify_one();
    return future;
  }

  QueueCounts Counts(const std::string& scope) const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    auto get = [&](const char* name) -> int64_t {
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

  int64_t TenantCount() const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    std::set<std::string> tenants;
    for (const auto& [key, value] : counters_) {
      if (!key.first.empty()) tenants.insert(key.first);
    }
    return static_cast<int64_t>(tenants.size());
  }

  int64_t RetryAfterMs() const {
    // Roughly how long the backlog takes to drain at the recent ack rate.
    Metrics::Snapshot m = metrics_.Take();
    int64_t backlog = unfinished_.load(std::memory_order_relaxed);
    int64_t ms = m.acked_per_s > 1 ? static_cast<int64_t>(backlog * 1000.0 / m.acked_per_s) : 1000;
    return std::clamp<int64_t>(ms, 100, 30000);
  }

  Health health() const {
    return degraded_.load() || lost_.load() ? Health::kDegraded : Health::kOk;
  }
  int64_t OldestUnfinishedMs() const {
    return oldest_unfinished_ms_.load(std::memory_order_relaxed);
  }
  Metrics& metrics() { return metrics_; }
  void AddSink(ResultSink* sink) { sinks_.push_back(sink); }

  // ---- lifecycle ----

  Status Recover() {
    db::CounterMap loaded;
    Status s = store_->LoadCounters(&loaded);
    if (!s.ok()) return s;
    std::vector<db::QueueRow> rows;
    s = store_->LoadUnfinished(&rows);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(stats_mu_);
      counters_ = std::move(loaded);
    }
    int64_t now = clock_->NowMs();
    for (db::QueueRow& row : rows) {
      Item item;
      item.seq = row.seq;
      item.entry = std::move(row.entry);
      item.attempts = row.attempts;
      item.db_state = row.state;
      item.received_ms = row.received_at_ms;
      // This process holds the database's writer lock, so an in_flight lease
      // can only belong to a process that died: claim it again now.
      if (row.state == EntryState::kRetryWait) {
        item.next_attempt_at_ms = std::max(now, row.next_attempt_at_ms);
        AddRetry(std::move(item));
      } else {
        ready_.push_back(std::move(item));
      }
    }
    unfinished_.store(static_cast<int64_t>(rows.size()));
    PublishOldest();
    return Status::Ok();
  }

  Status Start() {
    Status s = Recover();
    if (!s.ok()) return s;
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  void Stop(int64_t deadline_ms) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && !thread_.joinable()) return;
      stopping_ = true;
      stop_deadline_us_ = MonotonicMicros() + deadline_ms * 1000;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    FlushRefusals();
  }

  bool RunOnce() { return Step(/*block=*/false); }

 private:
  // After the worker stopped (on the stopping thread, which now owns the
  // store): refusals counted since the last ingest commit, in a transaction
  // of their own. Refusals after this are counted in memory only.
  void FlushRefusals() {
    db::CounterMap refusals;
    {
      std::lock_guard<std::mutex> lock(mu_);
      refusals.swap(refusals_);
    }
    if (refusals.empty() || lost_) return;
    Status s = store_->Begin(db::TxnKind::kMaintenance);
    if (s.ok()) s = store_->AddCounters(refusals);
    if (s.ok()) s = store_->Commit();
    if (!s.ok()) {
      store_->Rollback();
      LogFailure("counter flush", s);
    }
  }

  void Run() {
    while (Step(/*block=*/true) || !Finished()) {
    }
  }

  // The worker is done when stopping and nothing due is left (or the deadline passed).
  bool Finished() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) return false;
    if (MonotonicMicros() > stop_deadline_us_) return true;
    return inbox_.empty() && ops_.empty() && (refusals_.empty() || lost_) && carry_.empty() &&
           !HasClaimable(clock_->NowMs());
  }

  bool BackingOff(int64_t now) const { return ingest_retry_at_ms_ > now; }

  bool HasClaimable(int64_t now) const {
    if (BackingOff(now)) return false;
    if (!retry_.empty() && min_retry_at_ms_ <= now) return true;
    if (ready_.empty()) return false;
    if (blocked_.empty()) return true;
    for (const Item& item : ready_) {
      if (blocked_.find(EntityKey(item.entry)) == blocked_.end()) return true;
    }
    return false;
  }

  // One iteration: take what arrived, persist it (and claim a batch) in one
  // commit, apply the batch in a second, deliver. Returns whether it worked.
  bool Step(bool block) {
    bool worked = StepOnce(block);
    PublishOldest();
    return worked;
  }

  // The receipt time of the oldest unfinished entry the worker holds (the
  // queue's oldest, as arrival order is seq order), for the statistics.
  void PublishOldest() {
    int64_t oldest = 0;
    auto consider = [&](int64_t ms) {
      if (ms > 0 && (oldest == 0 || ms < oldest)) oldest = ms;
    };
    if (!ready_.empty()) consider(ready_.front().received_ms);
    if (!retry_.empty()) consider(retry_.begin()->second.received_ms);
    oldest_unfinished_ms_.store(oldest, std::memory_order_relaxed);
  }

  bool StepOnce(bool block) {
    std::vector<Incoming> incoming;
    std::vector<OperatorRequest> ops;
    db::CounterMap refusals;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (block) WaitForWork(lock);
      incoming.swap(inbox_);
      over_limit_in_inbox_ = 0;
      ops.swap(ops_);
      if (!lost_) refusals.swap(refusals_);
    }
    if (!carry_.empty()) {
      incoming.insert(incoming.begin(), std::make_move_iterator(carry_.begin()),
                      std::make_move_iterator(carry_.end()));
      carry_.clear();
    }
    int64_t now = clock_->NowMs();
    bool worked = !ops.empty();
    for (OperatorRequest& op : ops) HandleOperator(op);
    if (lost_) {
      // Nothing can be made durable any more: answer instead of waiting.
      worked = worked || !incoming.empty() || !ready_.empty() || !retry_.empty();
      AnswerLost(std::move(incoming));
      Maintain();  // flushes the log; keeps the worker's wake-up time moving
      return worked;
    }
    if (BackingOff(now)) {
      // The last ingest commit failed: nothing is written until the backoff
      // has passed; what arrived meanwhile waits with the rest.
      carry_ = std::move(incoming);
      RestoreRefusals(refusals);
      return worked;
    }

    std::vector<Item> batch;
    if (!incoming.empty() || !refusals.empty() || HasClaimable(now)) {
      worked = true;
      if (!IngestAndClaim(std::move(incoming), refusals, &batch)) return true;
    }
    if (!batch.empty()) Apply(std::move(batch));
    Maintain();
    return worked;
  }

  void RestoreRefusals(const db::CounterMap& refusals) {
    if (refusals.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, delta] : refusals) refusals_[key] += delta;
  }

  void WaitForWork(std::unique_lock<std::mutex>& lock) {
    auto has_work = [&] {
      int64_t now = clock_->NowMs();
      if (!ops_.empty() || !inbox_.empty()) return true;
      if (lost_) return stopping_;
      if (BackingOff(now)) return false;
      return stopping_ || !refusals_.empty() || !carry_.empty() || HasClaimable(now);
    };
    while (!has_work()) {
      int64_t now = clock_->NowMs();
      int64_t wake_at = next_maintenance_ms_;
      if (!retry_.empty()) wake_at = std::min(wake_at, min_retry_at_ms_);
      if (BackingOff(now)) wake_at = std::min(wake_at, ingest_retry_at_ms_);
      if (wake_at <= now) return;  // maintenance is due
      cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wake_at - now, 1000)));
    }
    // Under load, give a batch up to batch_wait_ms to fill; when idle the
    // first entry goes at once.
    if (busy_ && !stopping_ && !inbox_.empty() &&
        static_cast<int>(inbox_.size()) < options_.batch_max && options_.batch_wait_ms > 0) {
      int64_t deadline_us = inbox_.front().received_us + options_.batch_wait_ms * 1000LL;
      int64_t wait_us = deadline_us - MonotonicMicros();
      if (wait_us > 0) {
        cv_.wait_for(lock, std::chrono::microseconds(wait_us), [&] {
          return stopping_ || static_cast<int>(inbox_.size()) >= options_.batch_max;
        });
      }
    }
  }

  // Picks the next batch: due retries first (in arrival order), then pending
  // entries; an entity with an earlier entry still waiting is skipped so that
  // one entity's entries apply in the order they arrived.
  //
  // Every entry left behind is either out of room (then nothing newer is
  // claimed this round either) or of an entity in blocked_ (then its newer
  // entries are blocked too), so arrival order per entity holds without
  // remembering what was skipped.
  void PickClaims(int64_t now, std::vector<Item>* claims) {
    size_t room = static_cast<size_t>(options_.batch_max);
    if (!retry_.empty() && min_retry_at_ms_ <= now) {
      // The next wake-up is the earliest entry not yet due: a due entry left
      // behind waits either for an earlier entry of its entity (which is not
      // due yet) or for room (then the next loop comes at once).
      int64_t new_min = INT64_MAX;
      std::set<std::string> waiting;  // entities with an earlier retry not yet due
      for (auto it = retry_.begin(); it != retry_.end();) {
        Item& item = it->second;
        bool due = item.next_attempt_at_ms <= now;
        std::string key = EntityKey(item.entry);
        if (due && claims->size() < room && waiting.count(key) == 0) {
          claims->push_back(std::move(item));
          Unblock(key);
          it = retry_.erase(it);
          continue;
        }
        if (!due) new_min = std::min(new_min, item.next_attempt_at_ms);
        if (due && claims->size() >= room) new_min = now;
        waiting.insert(std::move(key));
        ++it;
      }
      min_retry_at_ms_ = new_min;
    }
    for (auto it = ready_.begin(); it != ready_.end() && claims->size() < room;) {
      if (IsBlocked(it->entry)) {
        ++it;
        continue;
      }
      claims->push_back(std::move(*it));
      it = ready_.erase(it);
    }
  }

  bool IsBlocked(const domain::SyncEntry& entry) const {
    return !blocked_.empty() && blocked_.count(EntityKey(entry)) != 0;
  }

  // Transaction 1: persist new entries (new ones that fit the batch go
  // straight to in_flight), claim older ones, count. Returns false when the
  // commit failed (everything stays as it was, to try again after backoff).
  bool IngestAndClaim(std::vector<Incoming> incoming, const db::CounterMap& refusals,
                      std::vector<Item>* batch) {
    int64_t now = clock_->NowMs();
    int64_t lease_until = now + options_.lease_ms;
    std::vector<Item> claims;
    PickClaims(now, &claims);

    Deltas deltas;
    std::vector<Item> inserted;         // new rows, with the state they were written in
    std::vector<size_t> inserted_from;  // their index in `incoming`, to undo the moves
    std::vector<Delivery> duplicates;   // resent ids whose result is known, and refusals
    int64_t unfinished_dups = 0;
    Status s = store_->Begin(db::TxnKind::kIngest);
    std::vector<bool> renewed(claims.size(), false);
    for (size_t i = 0; i < claims.size() && s.ok(); ++i) {
      Item& item = claims[i];
      // Claimed when it was inserted, lease still good for a while: no UPDATE.
      if (item.claimed && item.lease_until_ms - now > options_.lease_ms / 2) continue;
      renewed[i] = true;
      // A claimed entry whose lease is only renewed has not used its attempt.
      s = store_->ClaimEntry(item.seq, item.claimed ? item.attempts : item.attempts + 1,
                             lease_until);
    }
    for (size_t index = 0; index < incoming.size(); ++index) {
      if (!s.ok()) break;
      Incoming& in = incoming[index];
      const std::string& tenant = in.entry.tenant_id;
      deltas.Add(tenant, counters::kReceived, 1);
      if (in.over_limit) {
        if (unfinished_.load() < options_.queue_max) {
          unfinished_.fetch_add(1);  // room again: an ordinary new entry
          in.over_limit = false;
        } else {
          std::optional<db::QueueRow> row;
          s = store_->FindEntry(tenant, in.entry.id, &row);
          if (!s.ok()) break;
          if (row) {  // a resent id: answered as any duplicate, never refused
            deltas.Add(tenant, counters::kDuplicates, 1);
            AnswerDuplicate(std::move(*row), in.received_us, &duplicates);
            continue;
          }
          deltas.Add(tenant, counters::kNacked, 1);
          Item view;
          view.entry = in.entry;
          view.received_us = in.received_us;
          domain::EntryResult r;
          r.acked = false;
          r.reason = NackReason::kRateLimit;
          r.detail = "queue full; try again later";
          r.retry_after_ms = RetryAfterMs();
          r.server_timestamp_ms = now;
          duplicates.push_back(MakeDelivery(view, std::move(r)));  // answered after the commit
          continue;
        }
      }
      // New entries are written already claimed (in_flight with a lease): the
      // worker holds them from now on, whether they fit this batch or wait
      // for the next. Only an entity waiting on a retry stays pending.
      bool claim_now = !IsBlocked(in.entry);
      EntryState state = claim_now ? EntryState::kInFlight : EntryState::kPending;
      int64_t seq = 0;
      bool was_inserted = false;
      s = store_->InsertEntry(in.entry, in.received_ms, state, claim_now ? lease_until : 0, &seq,
                              &was_inserted);
      if (!s.ok()) break;
      if (was_inserted) {
        // Before the move below: `tenant` refers to in.entry.tenant_id.
        deltas.Add(tenant, DepthCounter(state), 1);
        Item item;
        item.seq = seq;
        item.entry = std::move(in.entry);
        inserted_from.push_back(index);
        item.attempts = claim_now ? 1 : 0;
        item.db_state = state;
        item.received_us = in.received_us;
        item.received_ms = in.received_ms;
        inserted.push_back(std::move(item));
        continue;
      }
      deltas.Add(tenant, counters::kDuplicates, 1);
      std::optional<db::QueueRow> row;
      s = store_->FindEntry(tenant, in.entry.id, &row);
      if (!s.ok()) break;
      ++unfinished_dups;  // a duplicate adds nothing to the queue
      if (row) AnswerDuplicate(std::move(*row), in.received_us, &duplicates);
    }
    for (const Item& item : claims)
      deltas.Move(item.entry.tenant_id, item.db_state, EntryState::kInFlight);
    // Refusals are in the statistics already (CountRefusals): written here,
    // not mirrored again.
    Deltas written = deltas;
    written.AddAll(refusals);
    if (s.ok()) s = store_->AddCounters(written.map());
    if (s.ok()) s = store_->Commit();
    if (!s.ok()) {
      store_->Rollback();
      degraded_ = true;
      ++ingest_failures_;
      LogFailure("ingest", s);
      // Put everything back as it was; try again after a backoff.
      for (size_t k = 0; k < inserted.size(); ++k) {
        incoming[inserted_from[k]].entry = std::move(inserted[k].entry);
      }
      for (Item& item : claims) {
        if (item.db_state == EntryState::kRetryWait) {
          AddRetry(std::move(item));
        } else {
          ready_.push_front(std::move(item));
        }
      }
      std::sort(ready_.begin(), ready_.end(),
                [](const Item& a, const Item& b) { return a.seq < b.seq; });
      RestoreRefusals(refusals);
      ingest_retry_at_ms_ = now + BackoffDelayMs(options_.retry, ingest_failures_, rng_);
      if (ingest_failures_ >= options_.retry.max_attempts) {
        FailIncoming(std::move(incoming));
      } else {
        carry_ = std::move(incoming);
      }
      return false;
    }
    // Healthy again only once nothing waits for a retry (an apply commit may
    // still be failing).
    // (Healthy again is decided by the apply commit when there is a batch.)
    ingest_failures_ = 0;
    ingest_retry_at_ms_ = 0;
    unfinished_.fetch_sub(unfinished_dups);
    MirrorCounters(deltas);
    for (size_t i = 0; i < claims.size(); ++i) {
      Item& item = claims[i];
      if (renewed[i]) {
        if (!item.claimed) item.attempts += 1;
        item.lease_until_ms = lease_until;
      }
      item.db_state = EntryState::kInFlight;
      item.claimed = false;  // this batch uses the attempt
      batch->push_back(std::move(item));
    }
    size_t room = static_cast<size_t>(options_.batch_max);
    for (Item& item : inserted) {
      // In arrival order: whatever does not fit waits behind what is in ready_.
      if (item.db_state == EntryState::kInFlight && batch->size() < room && ready_.empty()) {
        batch->push_back(std::move(item));
      } else {
        if (item.db_state == EntryState::kInFlight) {
          item.claimed = true;
          item.lease_until_ms = lease_until;
        }
        ready_.push_back(std::move(item));
      }
    }
    if (batch->empty() && retry_.empty()) degraded_ = false;
    if (!duplicates.empty()) Deliver(std::move(duplicates));
    return true;
  }

  // A resent id whose result is known is answered at once with the stored
  // reply marked duplicate; one still queued is answered (to every waiting
  // connection) when it finishes.
  static void AnswerDuplicate(db::QueueRow row, int64_t received_us, std::vector<Delivery>* out) {
    if (!row.result || (row.state != EntryState::kDone && row.state != EntryState::kDead)) return;
    Item view;
    view.entry = std::move(row.entry);
    view.received_us = received_us;
    Delivery d = MakeDelivery(view, *row.result);
    d.duplicate = true;
    out->push_back(std::move(d));
  }

  // After repeated ingest failures the entries cannot be persisted: answer
  // system_error (not permanent) so the client sends them again later.
  // Counted as refusals: nothing was written for them.
  void FailIncoming(std::vector<Incoming> incoming) {
    std::vector<Delivery> out;
    Deltas refused;
    for (Incoming& in : incoming) {
      refused.Refused(in.entry.tenant_id);
      if (!in.over_limit) unfinished_.fetch_sub(1);
      out.push_back(UnavailableNack(std::move(in.entry), in.received_us));
    }
    ingest_failures_ = 0;
    CountRefusals(refused);
    Deliver(std::move(out));
  }

  // system_error, not permanent: the client sends the entry again later.
  Delivery UnavailableNack(domain::SyncEntry entry, int64_t received_us) const {
    Item view;
    view.entry = std::move(entry);
    view.received_us = received_us;
    domain::EntryResult r;
    r.acked = false;
    r.reason = NackReason::kSystem;
    r.detail = kDatabaseUnavailable;
    r.retry_after_ms = options_.retry.max_ms;
    r.server_timestamp_ms = clock_->NowMs();
    return MakeDelivery(view, std::move(r));
  }

  // The store reported the database lost (deleted or replaced under this
  // process): no commit can make anything durable again, so every entry the
  // worker holds or receives is answered system_error at once instead of
  // waiting for a commit that cannot come. A restarted server takes them
  // when the clients send them again. Entries that had a queue row count as
  // NACKed (they were received already); new ones as received and NACKed.
  void AnswerLost(std::vector<Incoming> incoming) {
    std::vector<Delivery> out;
    Deltas refused;
    for (Incoming& in : incoming) {
      refused.Refused(in.entry.tenant_id);
      if (!in.over_limit) unfinished_.fetch_sub(1);
      out.push_back(UnavailableNack(std::move(in.entry), in.received_us));
    }
    auto held = [&](Item& item) {
      refused.Add(item.entry.tenant_id, counters::kNacked, 1);
      unfinished_.fetch_sub(1);
      out.push_back(UnavailableNack(std::move(item.entry), item.received_us));
    };
    for (Item& item : ready_) held(item);
    for (auto& [seq, item] : retry_) held(item);
    ready_.clear();
    retry_.clear();
    blocked_.clear();
    min_retry_at_ms_ = INT64_MAX;
    ingest_failures_ = 0;
    ingest_retry_at_ms_ = 0;
    CountRefusals(refused);
    if (!out.empty()) Deliver(std::move(out));
  }

  // What one entry did inside the apply transaction.
  struct Applied {
    enum class Kind { kFinished, kRetry, kDeferred } kind = Kind::kFinished;
    domain::EntryResult result;
    std::string entity_data;       // the stored state, when it is not the entry's own data
    bool entity_is_entry = false;  // applied: the entity is the entry's data (moved out later)
    bool entity_deleted = false;
    std::string error;
  };

  // Applies one entry inside the open transaction (its own savepoint).
  Status ApplyOne(const Item& item, int64_t now, Applied* out) {
    const domain::SyncEntry& e = item.entry;
    std::optional<db::StoredEntity> stored;
    Status s = store_->GetEntity(e.tenant_id, e.entity_type, e.entity_id, &stored);
    if (!s.ok()) return s;
    std::optional<domain::StoredVersion> version;
    if (stored) version = domain::StoredVersion{stored->version_ms, stored->deleted};
    Outcome outcome = domain::DecideLww(version, e.version_ms);
    bool is_delete = e.operation == domain::Operation::kDelete;
    out->result.acked = true;
    out->result.outcome = outcome;
    out->result.server_timestamp_ms = now;
    if (outcome == Outcome::kApplied) {
      db::StoredEntity entity;
      entity.tenant_id = e.tenant_id;
      entity.type = e.entity_type;
      entity.entity_id = e.entity_id;
      entity.version_ms = e.version_ms;
      entity.deleted = is_delete;
      entity.data = e.data;
      entity.checksum = is_delete ? std::string() : EntryChecksum(e);
      entity.modified_at_ms = now;
      entity.source_entry_id = e.id;
      s = store_->PutEntity(entity);
      if (!s.ok()) return s;
      out->result.checksum = entity.checksum;
      out->entity_is_entry = true;  // no copy: the delivery takes the entry's data
      out->entity_deleted = is_delete;
    } else {
      db::ConflictRecord c;
      c.tenant_id = e.tenant_id;
      c.type = e.entity_type;
      c.entity_id = e.entity_id;
      c.entry_id = e.id;
      c.incoming_version_ms = e.version_ms;
      c.stored_version_ms = stored->version_ms;
      c.incoming_checksum = is_delete ? std::string() : EntryChecksum(e);
      c.stored_checksum = stored->checksum;
      c.detected_at_ms = now;
      s = store_->InsertConflict(c);
      if (!s.ok()) return s;
      out->result.checksum = stored->checksum;
      out->entity_data = stored->data;
      out->entity_deleted = stored->deleted;
    }
    s = store_->FinishEntry(item.seq, EntryState::kDone, out->result, now, "");
    if (!s.ok()) return s;
    db::SyncLogRecord log;
    log.seq = item.seq;
    log.tenant_id = e.tenant_id;
    log.entry_id = e.id;
    log.type = e.entity_type;
    log.entity_id = e.entity_id;
    log.operation = e.operation;
    log.result = std::string(domain::OutcomeName(outcome));
    log.finished_at_ms = now;
    return store_->InsertSyncLog(log);
  }

  // Transaction 2: the batch, one savepoint per entry. A transient failure of
  // one entry sends only that entry (and later entries of its entity) to
  // retry; a permanent one NACKs it; a failed commit retries the whole batch.
  //
  // The first pass runs without savepoints (two statements less per entry);
  // if any entry fails, the whole transaction is rolled back and the batch
  // runs again with a savepoint per entry, which isolates the failure.
  void Apply(std::vector<Item> batch, bool isolate_entries = false) {
    int64_t now = clock_->NowMs();
    int64_t started_us = MonotonicMicros();
    busy_ = batch.size() > 1;
    std::vector<Applied> applied(batch.size());
    std::map<std::string, int64_t> failed_keys;  // entity key -> its retry time
    std::vector<int64_t> retry_at(batch.size(), 0);
    std::map<std::string, db::Checkpoint> checkpoints;
    Deltas deltas;
    Status s = store_->Begin(db::TxnKind::kApply);
    for (size_t i = 0; i < batch.size() && s.ok(); ++i) {
      const Item& item = batch[i];
      Applied& a = applied[i];
      const std::string& tenant = item.entry.tenant_id;
      std::string key = failed_keys.empty() ? std::string() : EntityKey(item.entry);
      if (auto failed = failed_keys.find(key); failed != failed_keys.end()) {
        // An earlier entry of this entity failed: keep the order, wait with it.
        a.kind = Applied::Kind::kDeferred;
        retry_at[i] = failed->second;
        s = store_->ScheduleRetry(item.seq, item.attempts - 1, retry_at[i],
                                  "waiting for an earlier entry of the same entity");
        deltas.Move(tenant, EntryState::kInFlight, EntryState::kRetryWait);
        continue;
      }
      if (isolate_entries) s = store_->Savepoint();
      if (!s.ok()) break;
      Status one = ApplyOne(item, now, &a);
      if (one.ok()) {
        if (isolate_entries) s = store_->ReleaseSavepoint();
        deltas.Move(tenant, EntryState::kInFlight, EntryState::kDone);
        deltas.Add(
            tenant,
            a.result.outcome == Outcome::kApplied ? counters::kApplied : counters::kSuperseded, 1);
        if (a.result.outcome == Outcome::kApplied) {
          checkpoints[tenant] = db::Checkpoint{tenant, item.seq, item.entry.id, now};
        }
        continue;
      }
      if (!isolate_entries) {
        store_->Rollback();
        Apply(std::move(batch), /*isolate_entries=*/true);
        return;
      }
      s = store_->RollbackToSavepoint();
      if (!s.ok()) break;
      a = Applied();
      a.error = one.message();
      if (one.transient() && item.attempts < options_.retry.max_attempts) {
        a.kind = Applied::Kind::kRetry;
        retry_at[i] = now + BackoffDelayMs(options_.retry, item.attempts, rng_);
        failed_keys[EntityKey(item.entry)] = retry_at[i];
        LogFailure("apply entry", one);
        s = store_->ScheduleRetry(item.seq, item.attempts, retry_at[i], ClientError(one));
        deltas.Move(tenant, EntryState::kInFlight, EntryState::kRetryWait);
        deltas.Add(tenant, counters::kRetries, 1);
        continue;
      }
      // Permanent, or out of attempts.
      a.kind = Applied::Kind::kFinished;
      a.result = FailureResult(one, now);
      EntryState final_state = one.transient() ? EntryState::kDead : EntryState::kDone;
      LogFailure("apply entry", one);
      s = store_->FinishEntry(item.seq, final_state, a.result, now, ClientError(one));
      deltas.Move(tenant, EntryState::kInFlight, final_state);
      deltas.Add(tenant, counters::kNacked, 1);
      if (final_state == EntryState::kDead) deltas.Add(tenant, counters::kDeadLettered, 1);
    }
    for (const auto& [tenant, cp] : checkpoints) {
      if (s.ok()) s = store_->PutCheckpoint(cp);
    }
    if (s.ok()) s = store_->AddCounters(deltas.map());
    if (s.ok()) s = store_->Commit();
    int64_t commit_us = MonotonicMicros() - started_us;
    if (!s.ok()) {
      store_->Rollback();
      degraded_ = true;
      LogFailure("apply", s);
      FailBatch(std::move(batch), s);
      return;
    }
    degraded_ = false;
    metrics_.RecordBatch(static_cast<int64_t>(batch.size()), commit_us);
    MirrorCounters(deltas);

    std::vector<Delivery> out;
    out.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      Item& item = batch[i];
      Applied& a = applied[i];
      if (a.kind != Applied::Kind::kFinished) {
        item.db_state = EntryState::kRetryWait;
        item.next_attempt_at_ms = retry_at[i];
        if (a.kind == Applied::Kind::kDeferred) item.attempts -= 1;
        AddRetry(std::move(item));
        continue;
      }
      unfinished_.fetch_sub(1);
      Delivery d = MakeDelivery(item, std::move(a.result));
      d.entity_data = a.entity_is_entry ? std::move(item.entry.data) : std::move(a.entity_data);
      d.entity_deleted = a.entity_deleted;
      out.push_back(std::move(d));
    }
    if (!out.empty()) Deliver(std::move(out));
  }

  domain::EntryResult FailureResult(const Status& s, int64_t now) const {
    domain::EntryResult r;
    r.acked = false;
    r.server_timestamp_ms = now;
    if (s.transient()) {
      r.reason = NackReason::kSystem;
      r.detail = kRetriesExhausted;
      r.retry_after_ms = options_.retry.max_ms;
    } else {
      r.reason = NackReason::kConstraint;
      r.detail = kDatabaseRefused;
    }
    return r;
  }

  // The entry's last_error as clients see it (GET /api/v1/sync/entries/…);
  // the store's message went to the log.
  static const char* ClientError(const Status& s) {
    return s.transient() ? kDatabaseUnavailable : kDatabaseRefused;
  }

  // The apply commit failed: every entry of the batch waits (one shared,
  // jittered delay keeps their order) or, out of attempts, is dead-lettered.
  void FailBatch(std::vector<Item> batch, const Status& failure) {
    int64_t now = clock_->NowMs();
    int max_attempts = 0;
    for (const Item& item : batch) max_attempts = std::max(max_attempts, item.attempts);
    int64_t retry_at = now + BackoffDelayMs(options_.retry, std::max(1, max_attempts), rng_);
    Deltas deltas;
    std::vector<bool> dead(batch.size());
    Status s = store_->Begin(db::TxnKind::kMaintenance);
    for (size_t i = 0; i < batch.size() && s.ok(); ++i) {
      const Item& item = batch[i];
      const std::string& tenant = item.entry.tenant_id;
      dead[i] = item.attempts >= options_.retry.max_attempts;
      if (dead[i]) {
        s = store_->FinishEntry(item.seq, EntryState::kDead, FailureResult(failure, now), now,
                                ClientError(failure));
        deltas.Move(tenant, item.db_state, EntryState::kDead);
        deltas.Add(tenant, counters::kNacked, 1);
        deltas.Add(tenant, counters::kDeadLettered, 1);
      } else {
        s = store_->ScheduleRetry(item.seq, item.attempts, retry_at, ClientError(failure));
        deltas.Move(tenant, item.db_state, EntryState::kRetryWait);
        deltas.Add(tenant, counters::kRetries, 1);
      }
    }
    if (s.ok()) s = store_->AddCounters(deltas.map());
    if (s.ok()) s = store_->Commit();
    bool persisted = s.ok();
    if (!persisted) {
      store_->Rollback();
      LogFailure("schedule retry", s);
    } else {
      MirrorCounters(deltas);
    }
    std::vector<Delivery> out;
    for (size_t i = 0; i < batch.size(); ++i) {
      Item& item = batch[i];
      if (dead[i] && persisted) {
        unfinished_.fetch_sub(1);
        out.push_back(MakeDelivery(item, FailureResult(failure, now)));
        continue;
      }
      // Not persisted: the row keeps its state (in_flight) and comes back
      // here; it is never acknowledged before a commit succeeds.
      if (persisted) item.db_state = EntryState::kRetryWait;
      item.next_attempt_at_ms = retry_at;
      AddRetry(std::move(item));
    }
    if (!out.empty()) Deliver(std::move(out));
  }

  void HandleOperator(OperatorRequest& request) {
    OperatorResult result;
    std::optional<db::QueueRow> row;
    Status s = store_->FindEntry(request.tenant_id, request.entry_id, &row);
    if (!s.ok()) {
      LogFailure("operator read", s);
      result.code = OperatorResult::Code::kError;
      result.message = kDatabaseUnavailable;
      request.promise.set_value(std::move(result));
      return;
    }
    if (!row) {
      result.code = OperatorResult::Code::kNotFound;
      result.message = "no entry " + request.entry_id + " for tenant " + request.tenant_id;
      request.promise.set_value(std::move(result));
      return;
    }
    if (row->state != EntryState::kDead) {
      result.code = OperatorResult::Code::kNotDead;
      result.message = "entry is " + std::string(db::EntryStateName(row->state)) +
                       "; only dead entries can be acknowledged, retried or rejected";
      result.state = std::string(db::EntryStateName(row->state));
      request.promise.set_value(std::move(result));
      return;
    }
    int64_t now = clock_->NowMs();
    const std::string& tenant = request.tenant_id;
    Deltas deltas;
    domain::EntryResult reply;
    reply.server_timestamp_ms = now;
    EntryState next = EntryState::kDone;
    s = store_->Begin(db::TxnKind::kMaintenance);
    if (request.action == OperatorAction::kRetry) {
      next = EntryState::kPending;
      if (s.ok()) s = store_->RequeueEntry(row->seq);
    } else {
      if (request.action == OperatorAction::kAck) {
        reply.acked = true;
        reply.outcome = Outcome::kManual;
        std::optional<db::StoredEntity> stored;
        if (s.ok()) {
          s = store_->GetEntity(tenant, row->entry.entity_type, row->entry.entity_id, &stored);
        }
        if (stored && !stored->deleted) reply.checksum = stored->checksum;
        deltas.Add(tenant, counters::kManual, 1);
      } else {
        reply.acked = false;
        reply.reason = NackReason::kConstraint;
        reply.detail = request.detail.empty() ? "rejected by an operator" : request.detail;
        deltas.Add(tenant, counters::kNacked, 1);
      }
      if (s.ok()) s = store_->FinishEntry(row->seq, EntryState::kDone, reply, now, row->last_error);
      db::SyncLogRecord log;
      log.seq = row->seq;
      log.tenant_id = tenant;
      log.entry_id = row->entry.id;
      log.type = row->entry.entity_type;
      log.entity_id = row->entry.entity_id;
      log.operation = row->entry.operation;
      log.result = reply.acked ? "manual" : std::string(domain::NackReasonName(reply.reason));
      log.finished_at_ms = now;
      if (s.ok()) s = store_->InsertSyncLog(log);
    }
    deltas.Move(tenant, EntryState::kDead, next);
    if (s.ok()) s = store_->AddCounters(deltas.map());
    if (s.ok()) s = store_->Commit();
    if (!s.ok()) {
      store_->Rollback();
      LogFailure("operator", s);
      result.code = OperatorResult::Code::kError;
      result.message = kDatabaseUnavailable;
      request.promise.set_value(std::move(result));
      return;
    }
    MirrorCounters(deltas);
    result.state = std::string(db::EntryStateName(next));
    Item item;
    item.seq = row->seq;
    item.entry = std::move(row->entry);
    item.received_ms = row->received_at_ms;
    if (next == EntryState::kPending) {
      result.message = "entry re-queued";
      item.db_state = EntryState::kPending;
      unfinished_.fetch_add(1);
      ready_.push_back(std::move(item));
      std::sort(ready_.begin(), ready_.end(),
                [](const Item& a, const Item& b) { return a.seq < b.seq; });
    } else {
      result.message = reply.acked ? "entry acknowledged (manual)" : "entry rejected";
      std::vector<Delivery> out;
      out.push_back(MakeDelivery(item, reply));
      Deliver(std::move(out));
    }
    request.promise.set_value(std::move(result));
  }

  // Retention and metric snapshots, in small transactions between batches.
  void Maintain() {
    int64_t now = clock_->NowMs();
    if (now < next_maintenance_ms_) return;
    next_maintenance_ms_ = now + options_.maintenance_interval_ms;
    log_.Flush();
    if (lost_) return;
    int deleted = 0;
    Status s = store_->Begin(db::TxnKind::kMaintenance);
    if (s.ok()) {
      s = store_->DeleteFinishedBefore(now - options_.result_retention_ms, options_.retention_batch,
                                       &deleted);
    }
    if (s.ok() && now >= next_snapshot_ms_) {
      next_snapshot_ms_ = now + options_.snapshot_interval_ms;
      s = store_->InsertMetricSnapshot(now, SnapshotBody(), now - options_.snapshot_keep_ms);
    }
    if (s.ok()) s = store_->Commit();
    if (!s.ok()) {
      store_->Rollback();
      LogFailure("maintenance", s);
      return;
    }
    // More to delete: come back soon, without starving the pipeline.
    if (deleted >= options_.retention_batch) next_maintenance_ms_ = now + 10;
  }

  std::string SnapshotBody() const {
    QueueCounts c = Counts("");
    Metrics::Snapshot m = metrics_.Take();
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "{\"depth\":{\"pending\":%lld,\"in_flight\":%lld,\"retry_wait\":%lld,"
                  "\"dead\":%lld},\"totals\":{\"received\":%lld,\"applied\":%lld,"
                  "\"superseded\":%lld,\"nacked\":%lld},\"rates\":{\"received_per_s\":%.3f,"
                  "\"acked_per_s\":%.3f},\"latency_ms\":{\"ack_p50\":%.3f,\"ack_p99\":%.3f}}",
                  static_cast<long long>(c.pending), static_cast<long long>(c.in_flight),
                  static_cast<long long>(c.retry_wait), static_cast<long long>(c.dead),
                  static_cast<long long>(c.received), static_cast<long long>(c.applied),
                  static_cast<long long>(c.superseded), static_cast<long long>(c.nacked),
                  m.received_per_s, m.acked_per_s, m.ack_p50_ms, m.ack_p99_ms);
    return buf;
  }

  void AddRetry(Item item) {
    item.claimed = false;  // a retry claims again (and counts an attempt)
    Block(EntityKey(item.entry));
    min_retry_at_ms_ = retry_.empty() ? item.next_attempt_at_ms
                                      : std::min(min_retry_at_ms_, item.next_attempt_at_ms);
    int64_t seq = item.seq;
    retry_.emplace(seq, std::move(item));
  }
  void Block(const std::string& key) { blocked_[key]++; }
  void Unblock(const std::string& key) {
    auto it = blocked_.find(key);
    if (it != blocked_.end() && --it->second <= 0) blocked_.erase(it);
  }

  void MirrorCounters(const Deltas& deltas) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& [key, delta] : deltas.map()) counters_[key] += delta;
  }

  void Deliver(std::vector<Delivery> deliveries) {
    if (sinks_.empty()) return;
    auto shared = std::make_shared<const std::vector<Delivery>>(std::move(deliveries));
    for (ResultSink* sink : sinks_) sink->Deliver(shared);
  }

  // Every failed store call ends here: the raw message goes to stderr (rate
  // limited per kind), and an unavailable store is remembered for good.
  void LogFailure(const char* what, const Status& s) {
    if (s.unavailable()) lost_ = true;
    log_.Log(what, std::string("syncd: ") + what + " failed: " + s.ToString());
  }

  std::unique_ptr<db::WriteStore> store_;
  const PipelineOptions options_;
  const Clock* clock_;
  std::vector<ResultSink*> sinks_;
  Metrics metrics_;
  std::atomic<int64_t> unfinished_{0};
  std::atomic<bool> degraded_{false};
  std::atomic<bool> lost_{false};  // the store reported the database lost: never cleared
  RateLimitedLog log_;
  std::atomic<int64_t> oldest_unfinished_ms_{0};

  // Shared with submitting threads.
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Incoming> inbox_;
  std::vector<OperatorRequest> ops_;
  db::CounterMap refusals_;  // counted in counters_, not yet in the database
  bool stopping_ = false;
  int64_t stop_deadline_us_ = 0;
  size_t over_limit_in_inbox_ = 0;

  // Counter mirror, read by stats.
  mutable std::mutex stats_mu_;
  db::CounterMap counters_;

  // Worker thread only (also read by WaitForWork under mu_, written only by the worker).
  std::deque<Item> ready_;                        // pending, in seq order
  std::map<int64_t, Item> retry_;                 // retry_wait, by seq
  int64_t min_retry_at_ms_ = INT64_MAX;           // earliest next attempt in retry_
  std::unordered_map<std::string, int> blocked_;  // entity key -> entries waiting in retry_
  std::vector<Incoming> carry_;                   // not yet persisted after a failed ingest
  int ingest_failures_ = 0;
  int64_t ingest_retry_at_ms_ = 0;
  int64_t next_maintenance_ms_ = 0;
  int64_t next_snapshot_ms_ = 0;
  bool busy_ = false;
  std::mt19937_64 rng_;
  std::thread thread_;
};

Pipeline::Pipeline(std::unique_ptr<db::WriteStore> store, PipelineOptions options,
                   const Clock* clock)
    : worker_(std::make_unique<Worker>(std::move(store), options, clock)) {}

Pipeline::~Pipeline() { worker_->Stop(0); }

void Pipeline::AddSink(ResultSink* sink) { worker_->AddSink(sink); }
db::Status Pipeline::Start() { return worker_->Start(); }
void Pipeline::Stop(int64_t deadline_ms) { worker_->Stop(deadline_ms); }
SubmitResult Pipeline::Submit(domain::SyncEntry entry, int64_t received_us) {
  worker_->metrics().RecordReceived(1);
  return worker_->Submit(std::move(entry), received_us);
}
void Pipeline::CountRejected(const std::string& tenant_id) {
  // Like totals.received, the receive rate counts refused entries too.
  worker_->metrics().RecordReceived(1);
  worker_->CountRejected(tenant_id);
}
int64_t Pipeline::RetryAfterMs() const { return worker_->RetryAfterMs(); }
std::future<OperatorResult> Pipeline::Operate(const std::string& tenant_id,
                                              const std::string& entry_id, OperatorAction action,
                                              const std::string& detail) {
  return worker_->Operate(tenant_id, entry_id, action, detail);
}
QueueCounts Pipeline::GlobalCounts() const { return worker_->Counts(""); }
QueueCounts Pipeline::TenantCounts(const std::string& tenant_id) const {
  return worker_->Counts(tenant_id);
}
int64_t Pipeline::TenantCount() const { return worker_->TenantCount(); }
int64_t Pipeline::OldestUnfinishedReceivedMs() const { return worker_->OldestUnfinishedMs(); }
Health Pipeline::health() const { return worker_->health(); }
Metrics& Pipeline::metrics() { return worker_->metrics(); }
db::Status Pipeline::RecoverForTest() { return worker_->Recover(); }
bool Pipeline::RunOnceForTest() { return worker_->RunOnce(); }

}  // namespace syncd::pipeline
