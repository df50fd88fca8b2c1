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
// PostgreSQL: the SQLSTATEs of StatusFromSqlState; other backends (SOCI
// categories): connection errors and unknown transaction state are
// transient. Everything else (constraint, misuse, corrupt, ...) is permanent.
Status StatusFromSociError(const soci::soci_error& error, std::string_view what);

// PostgreSQL SQLSTATE -> status. Transient: serialization failure (40001),
// deadlock (40P01), lost or refused connections (class 08, and "" when libpq
// reports none on a broken connection), the server shutting down or starting
// (57P01-57P03), a cancelled statement or lock timeout (57014, 55P03),
// insufficient resources (class 53: disk full, out of memory, too many
// connections), system and I/O errors (class 58), read-only transaction on a
// standby being promoted (25006). The rest (constraints, syntax, types) is
// permanent.
Status StatusFromSqlState(std::string_view sqlstate, std::string message);

// A SELECT that stopped on a row keeps its read snapshot open (in WAL mode that
// pins the log); reset it once its row has been read.
void ResetStatement(soci::statement& statement);

}  // namespace syncd::db

#endif  // SYNCD_DB_SOCI_UTIL_H_
