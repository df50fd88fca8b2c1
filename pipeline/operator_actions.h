// An operator's retry, ack or nack of one dead entry (REST
// /api/v1/sync/acknowledge), in its own transaction. Returns what it
// decided; the worker requeues, delivers and answers the request. Worker
// thread.
#ifndef SYNCD_PIPELINE_OPERATOR_ACTIONS_H_
#define SYNCD_PIPELINE_OPERATOR_ACTIONS_H_

#include <optional>
#include <string>

#include "item.h"
#include "syncd/common/clock.h"
#include "syncd/db/store.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

struct OperatorOutcome {
  OperatorResult result;             // the answer to the operator
  bool committed = false;            // deltas, requeued and delivery count only then
  Deltas deltas;                     // to mirror
  std::optional<Item> requeued;      // retry: pending again
  std::optional<Delivery> delivery;  // ack/nack: the entry's final result
};

OperatorOutcome RunOperatorAction(db::WriteStore* store, const common::Clock* clock,
                                  const std::string& tenant_id, const std::string& entry_id,
                                  OperatorAction action, const std::string& detail,
                                  FailureLog* failures);

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_OPERATOR_ACTIONS_H_
