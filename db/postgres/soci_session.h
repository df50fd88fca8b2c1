// Private to db/: opening the SOCI session of a PostgreSQL store that has its
// own connection (accounts, console), the versioned schema made sure of first.
#ifndef SYNCD_DB_POSTGRES_SOCI_SESSION_H_
#define SYNCD_DB_POSTGRES_SOCI_SESSION_H_

#include <soci/soci.h>

#include <string>

#include "soci_util.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {

// EnsureSchema over a short setup connection (the store may open before the
// others: `syncd user add`, the console), then `sql` opened on options.url as
// application 'syncd'. Errors name "open " + store + " " and the redacted URL.
Status OpenPostgresSociSession(const PostgresOptions& options, const std::string& store,
                               soci::session* sql);

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_SOCI_SESSION_H_
