// Private: the SQLite schema, created idempotently at open.
#ifndef SYNCD_DB_SCHEMA_H_
#define SYNCD_DB_SCHEMA_H_

namespace syncd::db {

// Statements run in order on every open (all IF NOT EXISTS). Columns are NOT
// NULL with defaults (0 / '') so that reads need no indicators.
extern const char* const kSqliteSchema[];

// Additive migrations (the operator console, console.md), applied after
// kSqliteSchema by OpenSqliteConsoleStore on new and existing files alike:
// each column is added only when PRAGMA table_info lacks it, then the
// statements of kSqliteConsoleSchema run (all IF NOT EXISTS).
struct AddedColumn {
  const char* table;
  const char* column;
  const char* definition;  // "TEXT NOT NULL DEFAULT ''"
};
extern const AddedColumn kSqliteAddedColumns[];  // ends with {nullptr, ...}
extern const char* const kSqliteConsoleSchema[];

}  // namespace syncd::db

#endif  // SYNCD_DB_SCHEMA_H_
