// The result of one sync entry: what is stored with the entry and replayed to
// clients (sync_ack / sync_nack, REST results). Plain type; any thread.
#ifndef SYNCD_DOMAIN_RESULT_H_
#define SYNCD_DOMAIN_RESULT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "syncd/domain/entry.h"
#include "syncd/domain/lww.h"

namespace syncd::domain {

// A NACK has no outcome: `outcome` is set exactly when `acked`, so a result
// that was wrongly NACKed can never compare equal to an expected outcome, and
// a default-constructed result is a NACK, not an `applied` ACK.
struct EntryResult {
  bool acked = false;                           // sync_ack (true) or sync_nack (false)
  std::optional<Outcome> outcome;               // set exactly when acked
  NackReason reason = NackReason::kValidation;  // when not acked
  std::string detail;                           // when not acked
  int64_t retry_after_ms = 0;                   // non-permanent NACKs only
  std::string checksum;                         // acked and the entity exists; empty after a delete
  int64_t server_timestamp_ms = 0;              // when the result was decided
};

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_RESULT_H_
