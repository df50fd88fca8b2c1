// Private to db/: reopening a SOCI session that broke (the server restarted,
// the network). The call that finds it broken reopens it; when reopening
// fails, that call fails transiently, as the other stores' do.
#ifndef SYNCD_DB_SOCI_RETRY_H_
#define SYNCD_DB_SOCI_RETRY_H_

#include <soci/soci.h>

#include <string>

#include "soci_util.h"

namespace syncd::db {

// Ok when `sql` is connected or was reconnected; else the reconnect's error
// ("reconnect " + what).
inline Status ReconnectIfDropped(soci::session& sql, const std::string& what) {
  if (sql.is_connected()) return Status::Ok();
  try {
    sql.reconnect();
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "reconnect " + what);
  }
  return Status::Ok();
}

}  // namespace syncd::db

#endif  // SYNCD_DB_SOCI_RETRY_H_
