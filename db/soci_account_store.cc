// The AccountStore of both engines over SOCI (soci_account_store.h): the
// engine's statements come in AccountSql; PostgreSQL's reopening of a dropped
// session and its NOTIFY of account changes are the engine's switches.
#include "soci_account_store.h"

#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soci_retry.h"

namespace syncd::db {

namespace {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The engine's BEGIN … COMMIT, rolled back when left early (an exception).
class Txn {
 public:
  Txn(soci::session& sql, const AccountSql& q) : sql_(sql), q_(q) { sql_ << q_.begin; }
  ~Txn() {
    if (open_) {
      try {
        sql_ << q_.rollback;
      } catch (const soci::soci_error&) {  // the connection is gone: nothing to undo
      }
    }
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  void Commit() {
    sql_ << q_.commit;
    open_ = false;
  }

 private:
  soci::session& sql_;
  const AccountSql& q_;
  bool open_ = true;
};

// Runs `body`; a SOCI error becomes the status of `what`.
template <typename Body>
Status Guarded(const char* what, Body&& body) {
  try {
    return body();
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, what);
  }
}

class SociAccountStore final : public AccountStore {
 public:
  explicit SociAccountStore(const AccountEngine& engine)
      : q_(engine.sql), reconnect_(engine.reconnect_when_dropped) {}
  SociAccountStore(const SociAccountStore&) = delete;
  SociAccountStore& operator=(const SociAccountStore&) = delete;

  soci::session& session() { return sql_; }

  Status CreateUser(const UserRow& user, WriteOutcome* outcome) override {
    return Locked("create user", [&]() -> Status {
      Txn txn(sql_, q_);
      std::string email_lower = Lower(user.email);
      if (EmailTaken(email_lower, "")) {
        *outcome = WriteOutcome::kEmailTaken;
        return Status::Ok();
      }
      std::optional<UserRow> existing;
      Status s = FindUserLocked(q_.where_user_id, user.uuid, &existing);
      if (!s.ok()) return s;
      if (existing) {
        *outcome = WriteOutcome::kIdTaken;
        return Status::Ok();
      }
      long long created = user.created_at_ms, updated = user.updated_at_ms;
      sql_ << q_.insert_user, soci::use(user.uuid, "id"), soci::use(user.name, "n"),
          soci::use(user.email, "e"), soci::use(email_lower, "el"),
          soci::use(user.password_hash, "p"), soci::use(user.role, "r"), soci::use(created, "c"),
          soci::use(updated, "u");
      NotifyAccounts();
      txn.Commit();
      *outcome = WriteOutcome::kDone;
      return Status::Ok();
    });
  }

  Status UpdateUser(const UserRow& user, WriteOutcome* outcome) override {
    return Locked("update user", [&]() -> Status {
      Txn txn(sql_, q_);
      std::string email_lower = Lower(user.email);
      if (EmailTaken(email_lower, user.uuid)) {
        *outcome = WriteOutcome::kEmailTaken;
        return Status::Ok();
      }
      long long updated = user.updated_at_ms;
      soci::statement st =
          (sql_.prepare << q_.update_user, soci::use(user.name, "n"), soci::use(user.email, "e"),
           soci::use(email_lower, "el"), soci::use(user.password_hash, "p"),
           soci::use(user.role, "r"), soci::use(updated, "u"), soci::use(user.uuid, "id"));
      *outcome = ExecuteChanged(st) ? WriteOutcome::kDone : WriteOutcome::kNotFound;
      NotifyAccounts();
      txn.Commit();
      return Status::Ok();
    });
  }

  Status FindUser(const std::string& uuid, std::optional<UserRow>* out) override {
    return Locked("read users", [&] { return FindUserLocked(q_.where_user_id, uuid, out); });
  }

  Status FindLogin(const std::string& username_or_email, std::optional<UserRow>* out) override {
    return Locked("read users", [&] {
      const std::string key = Lower(username_or_email);
      Status s = FindUserLocked(q_.where_email_lower, key, out);
      if (!s.ok() || *out) return s;
      std::vector<UserRow> named;
      s = ListUsersLocked(q_.where_name_lower, key, &named);
      if (s.ok() && named.size() == 1) *out = std::move(named.front());
      return s;
    });
  }

  Status ListUsers(std::vector<UserRow>* out) override {
    return Locked("read users",
                  [&] { return ListUsersLocked(q_.order_by_created, std::nullopt, out); });
  }

  Status CreateTenant(const TenantRow& tenant, bool refuse_existing_data, WriteOutcome* outcome,
                      TenantRow* stored) override {
    return Locked("create tenant", [&]() -> Status {
      Txn txn(sql_, q_);
      std::vector<TenantRow> found;
      Status s = ListTenantsLocked(q_.where_tenant_id, "id", tenant.uuid, &found);
      if (!s.ok()) return s;
      if (!found.empty()) {
        *stored = found.front();
        *outcome = stored->user_id == tenant.user_id ? WriteOutcome::kSame : WriteOutcome::kIdTaken;
        return Status::Ok();
      }
      if (refuse_existing_data) {
        int has_data = 0;
        sql_ << q_.tenant_has_sync_data, soci::use(tenant.uuid, "t"), soci::into(has_data);
        if (has_data != 0) {
          *outcome = WriteOutcome::kHasData;
          return Status::Ok();
        }
      }
      long long created = tenant.created_at_ms, updated = tenant.updated_at_ms;
      sql_ << q_.insert_tenant, soci::use(tenant.uuid, "id"), soci::use(tenant.name, "n"),
          soci::use(tenant.user_id, "u"), soci::use(created, "c"), soci::use(updated, "m");
      NotifyAccounts();
      txn.Commit();
      *stored = tenant;
      *outcome = WriteOutcome::kDone;
      return Status::Ok();
    });
  }

  Status FindTenant(const std::string& uuid, std::optional<TenantRow>* out) override {
    return Locked("read tenants", [&] {
      std::vector<TenantRow> found;
      Status s = ListTenantsLocked(q_.where_tenant_id, "id", uuid, &found);
      if (s.ok() && !found.empty()) *out = std::move(found.front());
      return s;
    });
  }

  Status ListTenants(const std::string& user_id, std::vector<TenantRow>* out) override {
    return Locked("read tenants", [&] {
      if (user_id.empty()) return ListTenantsLocked(q_.order_by_created, "", "", out);
      return ListTenantsLocked(q_.where_tenant_user, "u", user_id, out);
    });
  }

  Status RenameTenant(const std::string& uuid, const std::string& name, int64_t now_ms,
                      WriteOutcome* outcome) override {
    return Locked("rename tenant", [&] {
      long long now = now_ms;
      soci::statement st = (sql_.prepare << q_.rename_tenant, soci::use(name, "n"),
                            soci::use(now, "m"), soci::use(uuid, "id"));
      *outcome = ExecuteChanged(st) ? WriteOutcome::kDone : WriteOutcome::kNotFound;
      return Status::Ok();
    });
  }

  Status InsertRefreshToken(const std::string& token_hash, const std::string& user_id,
                            const std::string& chain_id, int64_t expires_at_ms,
                            int64_t now_ms) override {
    return Locked("store refresh token", [&] {
      Txn txn(sql_, q_);
      long long now = now_ms;
      // Expired tokens can never be used again: drop them as new ones come.
      sql_ << q_.delete_expired_refresh_tokens, soci::use(now, "n");
      InsertRefreshTokenLocked(token_hash, user_id, chain_id, expires_at_ms, now_ms);
      txn.Commit();
      return Status::Ok();
    });
  }

  Status RotateRefreshToken(const std::string& old_hash, const std::string& new_hash,
                            int64_t new_expires_at_ms, int64_t now_ms, RefreshOutcome* outcome,
                            std::string* user_id) override {
    return Locked("rotate refresh token", [&] {
      Txn txn(sql_, q_);
      std::string user, chain, state;
      long long expires = 0;
      soci::indicator ind = soci::i_ok;
      sql_ << q_.find_refresh_token, soci::use(old_hash, "h"), soci::into(user, ind),
          soci::into(chain), soci::into(state), soci::into(expires);
      if (!sql_.got_data()) {
        *outcome = RefreshOutcome::kUnknown;
        return Status::Ok();
      }
      if (state == "rotated") {
        // A spent token came back: someone else may hold the chain's newest
        // token. End the whole chain; the user logs in again.
        sql_ << q_.revoke_refresh_chain, soci::use(chain, "c");
        txn.Commit();
        *outcome = RefreshOutcome::kReused;
        return Status::Ok();
      }
      if (state != "active" || expires < now_ms) {
        *outcome = RefreshOutcome::kUnknown;
        return Status::Ok();
      }
      sql_ << q_.mark_refresh_rotated, soci::use(old_hash, "h");
      InsertRefreshTokenLocked(new_hash, user, chain, new_expires_at_ms, now_ms);
      txn.Commit();
      *user_id = user;
      *outcome = RefreshOutcome::kRotated;
      return Status::Ok();
    });
  }

  Status RevokeUserRefreshTokens(const std::string& user_id) override {
    return ExecOne("revoke refresh tokens", q_.revoke_user_refresh_tokens, user_id, "u");
  }

  Status RevokeRefreshToken(const std::string& token_hash) override {
    return ExecOne("revoke refresh token", q_.revoke_refresh_token, token_hash, "h");
  }

 private:
  // Under the lock, with the session reopened if it dropped, `body` in
  // Guarded(what).
  template <typename Body>
  Status Locked(const char* what, Body&& body) {
    std::lock_guard<std::mutex> lock(mu_);
    if (reconnect_) {
      if (Status c = ReconnectIfDropped(sql_, "account store"); !c.ok()) return c;
    }
    return Guarded(what, std::forward<Body>(body));
  }

  // `statement` with one parameter, `value` bound as :name.
  Status ExecOne(const char* what, const char* statement, const std::string& value,
                 const char* name) {
    return Locked(what, [&] {
      sql_ << statement, soci::use(value, name);
      return Status::Ok();
    });
  }

  // Executes an UPDATE; true when it changed a row.
  static bool ExecuteChanged(soci::statement& st) {
    st.execute(true);
    return st.get_affected_rows() > 0;
  }

  // Another user than `self` ("" for none) has this email.
  bool EmailTaken(const std::string& email_lower, const std::string& self) {
    int taken = 0;
    sql_ << q_.count_email_of_others, soci::use(email_lower, "el"), soci::use(self, "id"),
        soci::into(taken);
    return taken > 0;
  }

  void NotifyAccounts() {
    if (q_.notify_accounts != nullptr) sql_ << q_.notify_accounts;
  }

  void InsertRefreshTokenLocked(const std::string& hash, const std::string& user_id,
                                const std::string& chain_id, int64_t expires_at_ms,
                                int64_t now_ms) {
    long long expires = expires_at_ms, now = now_ms;
    sql_ << q_.insert_refresh_token, soci::use(hash, "h"), soci::use(user_id, "u"),
        soci::use(chain_id, "c"), soci::use(expires, "x"), soci::use(now, "n");
  }

  Status FindUserLocked(const char* where, const std::string& key, std::optional<UserRow>* out) {
    std::vector<UserRow> rows;
    Status s = ListUsersLocked(where, key, &rows);
    if (s.ok() && !rows.empty()) *out = std::move(rows.front());
    return s;
  }

  // Fetches every row of `p` into `out`, `row` and the two times bound into.
  template <typename Row>
  static void FetchAll(soci::details::prepare_temp_type& p, Row& row, long long& created,
                       long long& updated, std::vector<Row>* out) {
    soci::statement st(p);
    st.execute();
    while (st.fetch()) {
      row.created_at_ms = created;
      row.updated_at_ms = updated;
      out->push_back(row);
    }
  }

  // user_columns + `tail`, binding `key` as :id or :e when given.
  Status ListUsersLocked(const char* tail, const std::optional<std::string>& key,
                         std::vector<UserRow>* out) {
    return Guarded("read users", [&] {
      UserRow row;
      long long created = 0, updated = 0;
      std::string k = key.value_or("");
      std::string tail_text = tail;
      soci::details::prepare_temp_type p = (sql_.prepare << std::string(q_.user_columns) + tail);
      p, soci::into(row.uuid), soci::into(row.name), soci::into(row.email),
          soci::into(row.password_hash), soci::into(row.role), soci::into(created),
          soci::into(updated);
      if (key) p, soci::use(k, tail_text.find(":id") != std::string::npos ? "id" : "e");
      FetchAll(p, row, created, updated, out);
      return Status::Ok();
    });
  }

  // tenant_columns + `tail`, binding `key` as :`name` unless `name` is "".
  Status ListTenantsLocked(const char* tail, const char* name, const std::string& key,
                           std::vector<TenantRow>* out) {
    return Guarded("read tenants", [&] {
      TenantRow row;
      long long created = 0, updated = 0;
      std::string k = key;
      soci::details::prepare_temp_type p = (sql_.prepare << std::string(q_.tenant_columns) + tail);
      p, soci::into(row.uuid), soci::into(row.name), soci::into(row.user_id), soci::into(created),
          soci::into(updated);
      if (*name != '\0') p, soci::use(k, name);
      FetchAll(p, row, created, updated, out);
      return Status::Ok();
    });
  }

  const AccountSql q_;
  const bool reconnect_;
  std::mutex mu_;
  soci::session sql_;
};

}  // namespace

std::unique_ptr<AccountStore> OpenSociAccountStore(const AccountEngine& engine, Status* status) {
  auto store = std::make_unique<SociAccountStore>(engine);
  *status = engine.open(store->session());
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
