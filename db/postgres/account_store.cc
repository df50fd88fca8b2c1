// PostgreSQL AccountStore over SOCI's postgresql backend: the logic is
// soci_account_store.cc's, the SQL postgres/sql.h's ("Accounts"); the tables
// are part of the versioned schema (schema.cc). Each write that changes users
// or tenants also NOTIFYs syncd_accounts in its transaction, for the other
// instances' in-memory directories; a dropped session is reopened at the next
// call.
#include "syncd/db/account_store.h"

#include "postgres/soci_session.h"
#include "postgres/sql.h"
#include "soci_account_store.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {

namespace {

AccountSql PostgresAccountSql() {
  return AccountSql{
      postgres::kBegin,
      postgres::kCommit,
      postgres::kRollback,
      postgres::kUserColumns,
      postgres::kWhereUserId,
      postgres::kWhereEmailLower,
      postgres::kWhereNameLower,
      postgres::kOrderByCreated,
      postgres::kInsertUser,
      postgres::kUpdateUser,
      postgres::kCountEmailOfOthers,
      postgres::kTenantColumns,
      postgres::kWhereTenantId,
      postgres::kWhereTenantUser,
      postgres::kInsertTenant,
      postgres::kRenameTenant,
      postgres::kTenantHasSyncData,
      postgres::kInsertRefreshToken,
      postgres::kFindRefreshToken,
      postgres::kMarkRefreshRotated,
      postgres::kRevokeRefreshChain,
      postgres::kRevokeRefreshToken,
      postgres::kRevokeUserRefreshTokens,
      postgres::kDeleteExpiredRefreshTokens,
      postgres::kNotifyAccounts,
  };
}

}  // namespace

std::unique_ptr<AccountStore> OpenPostgresAccountStore(const PostgresOptions& options,
                                                       Status* status) {
  AccountEngine engine;
  engine.sql = PostgresAccountSql();
  engine.reconnect_when_dropped = true;
  engine.open = [&options](soci::session& sql) {
    return OpenPostgresSociSession(options, "account store", &sql);
  };
  return OpenSociAccountStore(engine, status);
}

}  // namespace syncd::db
