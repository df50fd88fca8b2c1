// FORWARDER, removed after the parallel refactors merge: Status moved to
// syncd/common/status.h (syncd::common::Status). Code written against this
// path keeps compiling meanwhile; new code includes the common header.
#ifndef SYNCD_DB_STATUS_H_
#define SYNCD_DB_STATUS_H_

#include "syncd/common/status.h"

namespace syncd::db {
using Status = common::Status;
}  // namespace syncd::db

#endif  // SYNCD_DB_STATUS_H_
