// Private: when the database file was deleted or replaced under the write
// connection, a copy of what that connection still sees (everything
// committed, which includes everything acknowledged), for the restart.
// Write store only (pipeline thread).
#ifndef SYNCD_DB_SQLITE_RESCUE_COPY_H_
#define SYNCD_DB_SQLITE_RESCUE_COPY_H_

#include <string>

namespace soci {
class session;
}

namespace syncd::db {

// A consistent copy of the open database (SQLite's online backup, read
// through `sql`, so it sees the deleted file and its WAL) at
// <path>.rescued-<pid>, then hard-linked to `path` if that names nothing
// (link(2) never replaces a file). Returns where the copy is (`path` or the
// .rescued file), or "" if it could not be written.
std::string WriteRescueCopy(soci::session& sql, const std::string& path);

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_RESCUE_COPY_H_
