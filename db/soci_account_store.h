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

// One engine's accounts SQL; the named parameters are those of sql.h.
struct AccountSql {
  const char* begin;  // a write transaction (SQLite: BEGIN IMMEDIATE)
  const char* commit;
  const char* rollback;
  const char* user_columns;  // SELECT … FROM users; a tail follows
  const char* where_user_id;
  const char* where_email_lower;
  const char* where_name_lower;
  const char* order_by_created;
  const char* insert_user;
  const char* update_user;
  const char* count_email_of_others;
  const char* tenant_columns;  // SELECT … FROM tenants; a tail follows
  const char* where_tenant_id;
  const char* where_tenant_user;
  const char* insert_tenant;
  const char* rename_tenant;
  const char* tenant_has_sync_data;
  const char* insert_refresh_token;
  const char* find_refresh_token;
  const char* mark_refresh_rotated;
  const char* revoke_refresh_chain;
  const char* revoke_refresh_token;
  const char* revoke_user_refresh_tokens;
  const char* delete_expired_refresh_tokens;
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
