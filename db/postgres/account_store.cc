// PostgreSQL AccountStore over SOCI's postgresql backend: the twin of
// db/sqlite/account_store.cc, the same statements (postgres/sql.h,
// "Accounts"); the tables are part of the versioned schema (schema.cc). Each
// write that changes users or tenants also NOTIFYs syncd_accounts in its
// transaction, for the other instances' in-memory directories.
#include "syncd/db/account_store.h"

#include <soci/soci.h>

#include <cctype>
#include <mutex>
#include <utility>

#include "postgres/soci_session.h"
#include "postgres/sql.h"
#include "soci_util.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {

namespace {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// BEGIN … COMMIT, rolled back when left early (an exception).
class Txn {
 public:
  explicit Txn(soci::session& sql) : sql_(sql) { sql_ << postgres::kBegin; }
  ~Txn() {
    if (open_) {
      try {
        sql_ << postgres::kRollback;
      } catch (const soci::soci_error&) {  // the connection is gone: nothing to undo
      }
    }
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  void Commit() {
    sql_ << postgres::kCommit;
    open_ = false;
  }

 private:
  soci::session& sql_;
  bool open_ = true;
};

class PostgresAccountStore final : public AccountStore {
 public:
  PostgresAccountStore() = default;
  PostgresAccountStore(const PostgresAccountStore&) = delete;
  PostgresAccountStore& operator=(const PostgresAccountStore&) = delete;

  Status Open(const PostgresOptions& options) {
    return OpenPostgresSociSession(sql_, options, "account store");
  }

  Status CreateUser(const UserRow& user, WriteOutcome* outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      Txn txn(sql_);
      std::string email_lower = Lower(user.email);
      std::string none;
      int taken = 0;
      sql_ << postgres::kCountEmailOfOthers, soci::use(email_lower, "el"), soci::use(none, "id"),
          soci::into(taken);
      if (taken > 0) {
        *outcome = WriteOutcome::kEmailTaken;
        return Status::Ok();
      }
      std::optional<UserRow> existing;
      Status s = FindUserLocked(postgres::kWhereUserId, user.uuid, &existing);
      if (!s.ok()) return s;
      if (existing) {
        *outcome = WriteOutcome::kIdTaken;
        return Status::Ok();
      }
      long long created = user.created_at_ms, updated = user.updated_at_ms;
      sql_ << postgres::kInsertUser, soci::use(user.uuid, "id"), soci::use(user.name, "n"),
          soci::use(user.email, "e"), soci::use(email_lower, "el"),
          soci::use(user.password_hash, "p"), soci::use(user.role, "r"), soci::use(created, "c"),
          soci::use(updated, "u");
      sql_ << postgres::kNotifyAccounts;
      txn.Commit();
      *outcome = WriteOutcome::kDone;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "create user");
    }
    return Status::Ok();
  }

  Status UpdateUser(const UserRow& user, WriteOutcome* outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      Txn txn(sql_);
      std::string email_lower = Lower(user.email);
      int taken = 0;
      sql_ << postgres::kCountEmailOfOthers, soci::use(email_lower, "el"),
          soci::use(user.uuid, "id"), soci::into(taken);
      if (taken > 0) {
        *outcome = WriteOutcome::kEmailTaken;
        return Status::Ok();
      }
      long long updated = user.updated_at_ms;
      soci::statement st = (sql_.prepare << postgres::kUpdateUser, soci::use(user.name, "n"),
                            soci::use(user.email, "e"), soci::use(email_lower, "el"),
                            soci::use(user.password_hash, "p"), soci::use(user.role, "r"),
                            soci::use(updated, "u"), soci::use(user.uuid, "id"));
      st.execute(true);
      *outcome = st.get_affected_rows() > 0 ? WriteOutcome::kDone : WriteOutcome::kNotFound;
      sql_ << postgres::kNotifyAccounts;
      txn.Commit();
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "update user");
    }
    return Status::Ok();
  }

  Status FindUser(const std::string& uuid, std::optional<UserRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    return FindUserLocked(postgres::kWhereUserId, uuid, out);
  }

  Status FindLogin(const std::string& username_or_email, std::optional<UserRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    const std::string key = Lower(username_or_email);
    Status s = FindUserLocked(postgres::kWhereEmailLower, key, out);
    if (!s.ok() || *out) return s;
    std::vector<UserRow> named;
    s = ListUsersLocked(postgres::kWhereNameLower, key, &named);
    if (s.ok() && named.size() == 1) *out = std::move(named.front());
    return s;
  }

  Status ListUsers(std::vector<UserRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    return ListUsersLocked(postgres::kOrderByCreated, std::nullopt, out);
  }

  Status CreateTenant(const TenantRow& tenant, bool refuse_existing_data, WriteOutcome* outcome,
                      TenantRow* stored) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      Txn txn(sql_);
      std::vector<TenantRow> found;
      Status s = ListTenantsLocked(postgres::kWhereTenantId, "id", tenant.uuid, &found);
      if (!s.ok()) return s;
      if (!found.empty()) {
        *stored = found.front();
        *outcome = stored->user_id == tenant.user_id ? WriteOutcome::kSame : WriteOutcome::kIdTaken;
        return Status::Ok();
      }
      if (refuse_existing_data) {
        int has_data = 0;
        sql_ << postgres::kTenantHasSyncData, soci::use(tenant.uuid, "t"), soci::into(has_data);
        if (has_data != 0) {
          *outcome = WriteOutcome::kHasData;
          return Status::Ok();
        }
      }
      long long created = tenant.created_at_ms, updated = tenant.updated_at_ms;
      sql_ << postgres::kInsertTenant, soci::use(tenant.uuid, "id"), soci::use(tenant.name, "n"),
          soci::use(tenant.user_id, "u"), soci::use(created, "c"), soci::use(updated, "m");
      sql_ << postgres::kNotifyAccounts;
      txn.Commit();
      *stored = tenant;
      *outcome = WriteOutcome::kDone;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "create tenant");
    }
    return Status::Ok();
  }

  Status FindTenant(const std::string& uuid, std::optional<TenantRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    std::vector<TenantRow> found;
    Status s = ListTenantsLocked(postgres::kWhereTenantId, "id", uuid, &found);
    if (s.ok() && !found.empty()) *out = std::move(found.front());
    return s;
  }

  Status ListTenants(const std::string& user_id, std::vector<TenantRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    if (user_id.empty()) return ListTenantsLocked(postgres::kOrderByCreated, "", "", out);
    return ListTenantsLocked(postgres::kWhereTenantUser, "u", user_id, out);
  }

  Status RenameTenant(const std::string& uuid, const std::string& name, int64_t now_ms,
                      WriteOutcome* outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      long long now = now_ms;
      soci::statement st = (sql_.prepare << postgres::kRenameTenant, soci::use(name, "n"),
                            soci::use(now, "m"), soci::use(uuid, "id"));
      st.execute(true);
      *outcome = st.get_affected_rows() > 0 ? WriteOutcome::kDone : WriteOutcome::kNotFound;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "rename tenant");
    }
    return Status::Ok();
  }

  Status InsertRefreshToken(const std::string& token_hash, const std::string& user_id,
                            const std::string& chain_id, int64_t expires_at_ms,
                            int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      Txn txn(sql_);
      long long expires = expires_at_ms, now = now_ms;
      // Expired tokens can never be used again: drop them as new ones come.
      sql_ << postgres::kDeleteExpiredRefreshTokens, soci::use(now, "n");
      sql_ << postgres::kInsertRefreshToken, soci::use(token_hash, "h"), soci::use(user_id, "u"),
          soci::use(chain_id, "c"), soci::use(expires, "x"), soci::use(now, "n");
      txn.Commit();
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "store refresh token");
    }
    return Status::Ok();
  }

  Status RotateRefreshToken(const std::string& old_hash, const std::string& new_hash,
                            int64_t new_expires_at_ms, int64_t now_ms, RefreshOutcome* outcome,
                            std::string* user_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      Txn txn(sql_);
      std::string user, chain, state;
      long long expires = 0;
      soci::indicator ind = soci::i_ok;
      sql_ << postgres::kFindRefreshToken, soci::use(old_hash, "h"), soci::into(user, ind),
          soci::into(chain), soci::into(state), soci::into(expires);
      if (!sql_.got_data()) {
        *outcome = RefreshOutcome::kUnknown;
        return Status::Ok();
      }
      if (state == "rotated") {
        // A spent token came back: someone else may hold the chain's newest
        // token. End the whole chain; the user logs in again.
        sql_ << postgres::kRevokeRefreshChain, soci::use(chain, "c");
        txn.Commit();
        *outcome = RefreshOutcome::kReused;
        return Status::Ok();
      }
      if (state != "active" || expires < now_ms) {
        *outcome = RefreshOutcome::kUnknown;
        return Status::Ok();
      }
      long long new_expires = new_expires_at_ms, now = now_ms;
      sql_ << postgres::kMarkRefreshRotated, soci::use(old_hash, "h");
      sql_ << postgres::kInsertRefreshToken, soci::use(new_hash, "h"), soci::use(user, "u"),
          soci::use(chain, "c"), soci::use(new_expires, "x"), soci::use(now, "n");
      txn.Commit();
      *user_id = user;
      *outcome = RefreshOutcome::kRotated;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "rotate refresh token");
    }
    return Status::Ok();
  }

  Status RevokeUserRefreshTokens(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      sql_ << postgres::kRevokeUserRefreshTokens, soci::use(user_id, "u");
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "revoke refresh tokens");
    }
    return Status::Ok();
  }

  Status RevokeRefreshToken(const std::string& token_hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      sql_ << postgres::kRevokeRefreshToken, soci::use(token_hash, "h");
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "revoke refresh token");
    }
    return Status::Ok();
  }

 private:
  Status FindUserLocked(const char* where, const std::string& key, std::optional<UserRow>* out) {
    std::vector<UserRow> rows;
    Status s = ListUsersLocked(where, key, &rows);
    if (s.ok() && !rows.empty()) *out = std::move(rows.front());
    return s;
  }

  // kUserColumns + `tail`, binding `key` as :id or :e when given.
  Status ListUsersLocked(const char* tail, const std::optional<std::string>& key,
                         std::vector<UserRow>* out) {
    try {
      UserRow row;
      long long created = 0, updated = 0;
      std::string k = key.value_or("");
      std::string tail_text = tail;
      soci::details::prepare_temp_type p =
          (sql_.prepare << std::string(postgres::kUserColumns) + tail);
      p, soci::into(row.uuid), soci::into(row.name), soci::into(row.email),
          soci::into(row.password_hash), soci::into(row.role), soci::into(created),
          soci::into(updated);
      if (key) p, soci::use(k, tail_text.find(":id") != std::string::npos ? "id" : "e");
      soci::statement st(p);
      st.execute();
      while (st.fetch()) {
        row.created_at_ms = created;
        row.updated_at_ms = updated;
        out->push_back(row);
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "read users");
    }
    return Status::Ok();
  }

  Status ListTenantsLocked(const char* tail, const char* name, const std::string& key,
                           std::vector<TenantRow>* out) {
    try {
      TenantRow row;
      long long created = 0, updated = 0;
      std::string k = key;
      soci::details::prepare_temp_type p =
          (sql_.prepare << std::string(postgres::kTenantColumns) + tail);
      p, soci::into(row.uuid), soci::into(row.name), soci::into(row.user_id), soci::into(created),
          soci::into(updated);
      if (*name != '\0') p, soci::use(k, name);
      soci::statement st(p);
      st.execute();
      while (st.fetch()) {
        row.created_at_ms = created;
        row.updated_at_ms = updated;
        out->push_back(row);
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "read tenants");
    }
    return Status::Ok();
  }

  // A session that broke (the server restarted, the network) is opened
  // again at the next call; the call that found it broken failed
  // transiently, as the other stores' do.
  Status EnsureConnected() {
    if (sql_.is_connected()) return Status::Ok();
    try {
      sql_.reconnect();
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "reconnect account store");
    }
    return Status::Ok();
  }

  std::mutex mu_;
  soci::session sql_;
};

}  // namespace

std::unique_ptr<AccountStore> OpenPostgresAccountStore(const PostgresOptions& options,
                                                       Status* status) {
  auto store = std::make_unique<PostgresAccountStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
