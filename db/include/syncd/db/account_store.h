// The accounts store (accounts.md): users, tenants and their owners, refresh
// tokens (hashed, with their rotation chain), and the removal of a tenant's
// sync data. Plain structs in and out; the SQL is the engine's (SQLite:
// db/sqlite/sql.h, "Accounts"). Its own connection; thread-safe (calls are
// serialised inside). Writes are short transactions that wait (busy timeout)
// for the pipeline's write lock like any other SQLite writer.
#ifndef SYNCD_DB_ACCOUNT_STORE_H_
#define SYNCD_DB_ACCOUNT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "syncd/common/status.h"
#include "syncd/db/sqlite_store.h"
#include "syncd/db/store.h"

namespace syncd::db {

using common::Status;

struct UserRow {
  std::string uuid;
  std::string name;
  std::string email;          // as given; matched case-insensitively
  std::string password_hash;  // Argon2id PHC string; "" = cannot log in
  std::string role = "user";  // "user" | "operator"
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct TenantRow {
  std::string uuid;
  std::string name;
  std::string user_id;  // the owner
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

enum class WriteOutcome {
  kDone,        // written
  kEmailTaken,  // another user has this email
  kIdTaken,     // the uuid exists (for another user, for tenants)
  kSame,        // the same tenant was created before: nothing written
  kNotFound,
  kHasData,  // CreateTenant: the id has sync data and no owner, and that was refused
};

enum class RefreshOutcome {
  kRotated,  // the old token is spent, the new one stored in its chain
  kUnknown,  // no such token, revoked (logout), or expired
  kReused,   // a spent token came again: its whole chain is revoked now
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual Status CreateUser(const UserRow& user, WriteOutcome* outcome) = 0;
  // By uuid, changing name, email, password hash and role (kEmailTaken, kNotFound).
  virtual Status UpdateUser(const UserRow& user, WriteOutcome* outcome) = 0;
  virtual Status FindUser(const std::string& uuid, std::optional<UserRow>* out) = 0;
  // By email (case-insensitive), else by name when exactly one user has it.
  virtual Status FindLogin(const std::string& username_or_email, std::optional<UserRow>* out) = 0;
  virtual Status ListUsers(std::vector<UserRow>* out) = 0;

  // kDone, kSame (*stored is the tenant as stored), kIdTaken (another user's),
  // or, when `refuse_existing_data`, kHasData: no tenant has this id but it
  // has entities, queue or log rows (written in none mode), so whoever
  // created it would be handed someone's data. Checked in the same
  // transaction as the insert.
  virtual Status CreateTenant(const TenantRow& tenant, bool refuse_existing_data,
                              WriteOutcome* outcome, TenantRow* stored) = 0;
  virtual Status FindTenant(const std::string& uuid, std::optional<TenantRow>* out) = 0;
  // One user's tenants; every tenant when user_id is empty.
  virtual Status ListTenants(const std::string& user_id, std::vector<TenantRow>* out) = 0;
  virtual Status RenameTenant(const std::string& uuid, const std::string& name, int64_t now_ms,
                              WriteOutcome* outcome) = 0;
  // A tenant's delete and reset (its sync data with it) are the pipeline's:
  // Pipeline::PurgeTenant, WriteStore::PurgeTenant.

  virtual Status InsertRefreshToken(const std::string& token_hash, const std::string& user_id,
                                    const std::string& chain_id, int64_t expires_at_ms,
                                    int64_t now_ms) = 0;
  // Spends `old_hash` and stores `new_hash` in its chain, in one transaction.
  // *user_id names the chain's user on kRotated.
  virtual Status RotateRefreshToken(const std::string& old_hash, const std::string& new_hash,
                                    int64_t new_expires_at_ms, int64_t now_ms,
                                    RefreshOutcome* outcome, std::string* user_id) = 0;
  virtual Status RevokeRefreshToken(const std::string& token_hash) = 0;
  // Every refresh token of the user (its password changed).
  virtual Status RevokeUserRefreshTokens(const std::string& user_id) = 0;
};

// Opens its own connection and creates the accounts tables if missing.
std::unique_ptr<AccountStore> OpenSqliteAccountStore(const SqliteOptions& options, Status* status);

}  // namespace syncd::db

#endif  // SYNCD_DB_ACCOUNT_STORE_H_
