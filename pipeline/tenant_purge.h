// A tenant delete or reset (accounts.md, Pipeline::PurgeTenant): the
// transaction that removes every row of the tenant, with the counters. The
// worker takes the tenant's entries out of memory first and answers them
// after the commit. Worker thread.
#ifndef SYNCD_PIPELINE_TENANT_PURGE_H_
#define SYNCD_PIPELINE_TENANT_PURGE_H_

#include <cstdint>
#include <string>

#include "item.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

struct TenantPurgeOutcome {
  OperatorResult result;  // kOk with `purged`, or kError (rolled back)
  bool committed = false;
  Deltas deltas;  // to mirror (committed only)
};

// `dropped`: entries with a queue row the worker held for the tenant; each
// is answered with a NACK, so the global totals count them as NACKed (every
// received entry keeps an outcome there).
TenantPurgeOutcome RunTenantPurge(db::WriteStore* store, const std::string& tenant_id,
                                  bool remove_tenant, int64_t dropped, FailureLog* failures);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_TENANT_PURGE_H_
