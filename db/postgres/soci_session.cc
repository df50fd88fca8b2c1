#include "postgres/soci_session.h"

#include <soci/postgresql/soci-postgresql.h>

#include "postgres/pg_connection.h"
#include "postgres/schema.h"
#include "soci_util.h"

namespace syncd::db {

Status OpenPostgresSociSession(soci::session& sql, const PostgresOptions& options,
                               const std::string& what) {
  {
    PgConnection setup;
    Status s = setup.Open(options.url, options.connect_timeout_s, RedactedUrl(options.url));
    if (s.ok()) s = EnsureSchema(&setup);
    if (!s.ok()) return s;
  }
  std::string error;
  std::string conninfo = ConninfoFromUrl(options.url, &error);
  if (conninfo.empty()) return Status::Permanent("bad database URI: " + error);
  try {
    sql.open(soci::postgresql, conninfo + " application_name='syncd'");
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "open " + what + " " + RedactedUrl(options.url));
  }
  return Status::Ok();
}

}  // namespace syncd::db
