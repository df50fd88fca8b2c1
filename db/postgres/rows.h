// Private: rows of libpq results to the plain structs of store.h.
#ifndef SYNCD_DB_POSTGRES_ROWS_H_
#define SYNCD_DB_POSTGRES_ROWS_H_

#include "postgres/pg_connection.h"
#include "syncd/db/store.h"

namespace syncd::db {

// Row i of a result whose columns are postgres/sql.h's queue-row columns, in
// that order. A name no enum knows reads as the first value, except a NACK
// reason, which reads as system (as on SQLite).
QueueRow QueueRowAt(const PgResult& r, int i);

}  // namespace syncd::db

#endif  // SYNCD_DB_POSTGRES_ROWS_H_
