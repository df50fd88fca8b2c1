// SQLite AccountStore: its own connection, the accounts tables created at
// open; the logic is soci_account_store.cc's, the SQL sql.h's ("Accounts").
#include "syncd/db/account_store.h"

#include <soci/soci.h>

#include "soci_account_store.h"
#include "soci_util.h"
#include "sqlite/connection.h"
#include "sqlite/sql.h"

namespace syncd::db {

namespace {

AccountSql SqliteAccountSql() {
  return AccountSql{
      sqlite::kBegin,
      sqlite::kCommit,
      sqlite::kRollback,
      sqlite::kUserColumns,
      sqlite::kWhereUserId,
      sqlite::kWhereEmailLower,
      sqlite::kWhereNameLower,
      sqlite::kOrderByCreated,
      sqlite::kInsertUser,
      sqlite::kUpdateUser,
      sqlite::kCountEmailOfOthers,
      sqlite::kTenantColumns,
      sqlite::kWhereTenantId,
      sqlite::kWhereTenantUser,
      sqlite::kInsertTenant,
      sqlite::kRenameTenant,
      sqlite::kTenantHasSyncData,
      sqlite::kInsertRefreshToken,
      sqlite::kFindRefreshToken,
      sqlite::kMarkRefreshRotated,
      sqlite::kRevokeRefreshChain,
      sqlite::kRevokeRefreshToken,
      sqlite::kRevokeUserRefreshTokens,
      sqlite::kDeleteExpiredRefreshTokens,
      /*notify_accounts=*/nullptr,
  };
}

}  // namespace

std::unique_ptr<AccountStore> OpenSqliteAccountStore(const SqliteOptions& options, Status* status) {
  AccountEngine engine;
  engine.sql = SqliteAccountSql();
  engine.open = [&options](soci::session& sql) {
    Status s = OpenSession(options, /*create_schema=*/true, &sql);
    if (!s.ok()) return s;
    try {
      for (const char* const* stmt = sqlite::kAccountsSchema; *stmt != nullptr; ++stmt) {
        sql << *stmt;
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "open account store " + options.path);
    }
    return Status::Ok();
  };
  return OpenSociAccountStore(engine, status);
}

}  // namespace syncd::db
