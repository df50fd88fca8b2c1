// Private: the SQLite schema, created idempotently at open.
#ifndef SYNCD_DB_SCHEMA_H_
#define SYNCD_DB_SCHEMA_H_

namespace syncd::db {

// Statements run in order on every open (all IF NOT EXISTS). Columns are NOT
// NULL with defaults (0 / '') so that reads need no indicators.
extern const char* const kSqliteSchema[];

}  // namespace syncd::db

#endif  // SYNCD_DB_SCHEMA_H_
