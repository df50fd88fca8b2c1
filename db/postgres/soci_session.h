// Private: opening a SOCI session (postgresql backend) for the stores that
// read and write through SOCI (console, accounts).
#ifndef SYNCD_DB_POSTGRES_SOCI_SESSION_H_
#define SYNCD_DB_POSTGRES_SOCI_SESSION_H_

#include <soci/soci.h>

#include <string>

#include "syncd/db/postgres_store.h"

namespace syncd::db {

// Ensures the schema first on a connection of its own (a store may open
// before the others: the console before the write store, the accounts store
// for `syncd user add`), then opens `sql` on options.url. `what` names the
// store in errors ("console store").
Status OpenPostgresSociSession(soci::session& sql, const PostgresOptions& options,
                               const std::string& what);

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_SOCI_SESSION_H_
