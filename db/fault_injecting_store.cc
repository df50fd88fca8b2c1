#include "syncd/db/fault_injecting_store.h"

#include <utility>

namespace syncd::db {

FaultInjectingStore::FaultInjectingStore(std::unique_ptr<WriteStore> inner)
    : inner_(std::move(inner)) {}

void FaultInjectingStore::SetApplyCommitFailureRate(double rate, uint64_t seed) {
  apply_commit_failure_rate_ = rate;
  rng_.seed(seed);
}

void FaultInjectingStore::AddPoisonEntity(const std::string& entity_id) {
  poison_.insert(entity_id);
}

void FaultInjectingStore::AddPermanentPoisonEntity(const std::string& entity_id) {
  permanent_poison_.insert(entity_id);
}

void FaultInjectingStore::ClearPoison() {
  poison_.clear();
  permanent_poison_.clear();
}

namespace {

// The injected error for `entity_id`, or ok.
Status PoisonStatus(const std::set<std::string>& transient, const std::set<std::string>& permanent,
                    const std::string& entity_id) {
  if (transient.count(entity_id) != 0) {
    return Status::Transient("injected failure for entity " + entity_id);
  }
  if (permanent.count(entity_id) != 0) {
    return Status::Permanent("injected constraint failure for entity " + entity_id);
  }
  return Status::Ok();
}

}  // namespace

void FaultInjectingStore::SetFailAllCommits(bool fail, Status failure) {
  fail_all_commits_ = fail;
  commit_failure_ = std::move(failure);
}

Status FaultInjectingStore::Begin(TxnKind kind) {
  kind_ = kind;
  return inner_->Begin(kind);
}

Status FaultInjectingStore::Commit() {
  bool fail = fail_all_commits_;
  if (!fail && kind_ == TxnKind::kApply && apply_commit_failure_rate_ > 0) {
    fail = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < apply_commit_failure_rate_;
  }
  if (!fail) return inner_->Commit();
  ++injected_;
  inner_->Rollback();
  if (fail_all_commits_) return commit_failure_;
  return Status::Transient("injected commit failure");
}

Status FaultInjectingStore::GetEntity(std::string_view tenant_id, domain::EntityType type,
                                      std::string_view entity_id,
                                      std::optional<StoredEntity>* entity) {
  Status s = PoisonStatus(poison_, permanent_poison_, std::string(entity_id));
  if (!s.ok()) {
    ++injected_;
    return s;
  }
  return inner_->GetEntity(tenant_id, type, entity_id, entity);
}

Status FaultInjectingStore::PutEntity(const StoredEntity& entity) {
  Status s = PoisonStatus(poison_, permanent_poison_, entity.entity_id);
  if (!s.ok()) {
    ++injected_;
    return s;
  }
  return inner_->PutEntity(entity);
}

}  // namespace syncd::db
