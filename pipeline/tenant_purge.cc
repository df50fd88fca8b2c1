#include "tenant_purge.h"

#include <utility>

#include "syncd/db/counters.h"
#include "syncd/pipeline/results.h"

namespace syncd::pipeline {

using common::Status;

TenantPurgeOutcome RunTenantPurge(db::WriteStore* store, const std::string& tenant_id,
                                  bool remove_tenant, int64_t dropped, FailureLog* failures) {
  TenantPurgeOutcome out;
  db::TenantPurge purged;
  // Global scope only: the tenant's own counters are gone with it.
  db::CounterMap nacked;
  if (dropped > 0) nacked[{std::string(), db::counters::kNacked}] = dropped;
  Status s = store->Begin(db::TxnKind::kMaintenance);
  if (s.ok()) s = store->PurgeTenant(tenant_id, remove_tenant, &purged);
  if (s.ok()) s = store->AddCounters(nacked);
  if (s.ok()) s = store->Commit();
  if (!s.ok()) {
    store->Rollback();
    failures->Record("tenant purge", s);
    out.result.code = OperatorResult::Code::kError;
    out.result.message = kDatabaseUnavailable;
    return out;
  }
  out.committed = true;
  out.deltas.AddAll(purged.counter_deltas);
  out.deltas.AddAll(nacked);
  out.result.message = remove_tenant ? "tenant deleted" : "tenant reset";
  out.result.purged = std::move(purged);
  return out;
}

}  // namespace syncd::pipeline
