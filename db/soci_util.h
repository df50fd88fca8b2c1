// Private helpers of the db module: SOCI error classification (the one place
// that decides transient vs permanent) and statement clean-up.
#ifndef SYNCD_DB_SOCI_UTIL_H_
#define SYNCD_DB_SOCI_UTIL_H_

#include <soci/soci.h>

#include <string_view>

#include "syncd/common/status.h"

namespace syncd::db {

using common::Status;

// SQLite: BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN, PROTOCOL are transient;
// PostgreSQL (SOCI categories): connection errors and unknown transaction
// state are transient. Everything else (constraint, misuse, corrupt, ...) is
// permanent.
Status StatusFromSociError(const soci::soci_error& error, std::string_view what);

// A SELECT that stopped on a row keeps its read snapshot open (in WAL mode that
// pins the log); reset it once its row has been read.
void ResetStatement(soci::statement& statement);

}  // namespace syncd::db

#endif  // SYNCD_DB_SOCI_UTIL_H_
