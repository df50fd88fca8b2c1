// Private to db/: the AccountStore of both engines over a soci::session (users,
// tenants with their owner, hashed refresh tokens with their rotation chain).
// Each engine gives its statements (its sql.h, "Accounts") and opens the
// session; the logic is here once.
#ifndef SYNCD_DB_SOCI_ACCOUNT_STORE_H_
#define SYNCD_DB_SOCI_ACCOUNT_STORE_H_

#include <soci/soci.h>

#include <functional>
#include <memory>

#include "soci_util.h"
#include "syncd/db/account_store.h"

namespace syncd::db {

// One engine's accounts SQL, filled in this order from its sql.h (kBegin:
// begin, kUserColumns: user_columns, …) with the named parameters there.
struct AccountSql {
  // A write transaction (SQLite: BEGIN IMMEDIATE).
  const char *begin, *commit, *rollback;
  // Users: user_columns (SELECT … FROM users) + one of the tails.
  const char *user_columns, *where_user_id, *where_email_lower, *where_name_lower,
      *order_by_created, *insert_user, *update_user, *count_email_of_others;
  // Tenants: tenant_columns (SELECT … FROM tenants) + one of the tails.
  const char *tenant_columns, *where_tenant_id, *where_tenant_user, *insert_tenant, *rename_tenant,
      *tenant_has_sync_data;
  // Refresh tokens.
  const char *insert_refresh_token, *find_refresh_token, *mark_refresh_rotated,
      *revoke_refresh_chain, *revoke_refresh_token, *revoke_user_refresh_tokens,
      *delete_expired_refresh_tokens;
  // Run in the transaction of each write that changes users or tenants
  // (PostgreSQL: NOTIFY for the other instances); nullptr: none.
  const char* notify_accounts;
};

struct AccountEngine {
  AccountSql sql;
  // A dropped session is reopened at the next call (PostgreSQL).
  bool reconnect_when_dropped = false;
  // Opens the store's session (and creates or migrates the tables).
  std::function<Status(soci::session&)> open;
};

// The store over `engine`; nullptr and *status set when opening failed.
std::unique_ptr<AccountStore> OpenSociAccountStore(const AccountEngine& engine, Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_SOCI_ACCOUNT_STORE_H_
