#include "sqlite/rescue_copy.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <unistd.h>

#include "sqlite/connection.h"

namespace syncd::db {

std::string WriteRescueCopy(soci::session& sql, const std::string& path) {
  std::string copy = path + ".rescued-" + std::to_string(::getpid());
  sqlite_api::sqlite3* dest = nullptr;
  int rc = sqlite_api::sqlite3_open_v2(copy.c_str(), &dest,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc == SQLITE_OK) {
    sqlite_api::sqlite3_backup* backup =
        sqlite_api::sqlite3_backup_init(dest, "main", NativeHandle(sql), "main");
    if (backup != nullptr) {
      rc = sqlite_api::sqlite3_backup_step(backup, -1);
      sqlite_api::sqlite3_backup_finish(backup);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    } else {
      rc = sqlite_api::sqlite3_errcode(dest);
    }
  }
  sqlite_api::sqlite3_close(dest);
  if (rc != SQLITE_OK) {
    ::unlink(copy.c_str());
    return "";
  }
  if (::link(copy.c_str(), path.c_str()) == 0) {
    ::unlink(copy.c_str());
    return path;
  }
  return copy;
}

}  // namespace syncd::db
