// What the access checks need to know of the accounts tables, in memory:
// which users exist (a token of a deleted user is refused) and who owns each
// tenant. Loaded from the AccountStore at start and kept current by the
// accounts handlers, which write the store first and then this. It lets the
// WebSocket upgrade check (on the Asio thread) decide without a database
// read. With several instances on one PostgreSQL database, each refreshes
// it whole (Replace) when any instance announces a change of users or
// tenants, and re-reads one missing user or tenant before refusing it
// (app.cc). Thread-safe.
#ifndef SYNCD_AUTH_DIRECTORY_H_
#define SYNCD_AUTH_DIRECTORY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syncd/auth/access.h"
#include "syncd/common/mutex.h"

namespace syncd::auth {

class Directory {
 public:
  Directory() = default;
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  void PutUser(const std::string& user_id, Role role);
  // The role stored for `user_id`, nullopt when there is no such user.
  std::optional<Role> UserRole(const std::string& user_id) const;

  void PutTenant(const std::string& tenant_id, const std::string& owner);
  void RemoveTenant(const std::string& tenant_id);
  std::optional<std::string> OwnerOf(const std::string& tenant_id) const;

  // Everything at once, as freshly read from the store. Returns the tenants
  // that were known and are gone now (deleted on another instance).
  std::vector<std::string> Replace(std::map<std::string, Role> users,
                                   std::map<std::string, std::string> owners);

 private:
  mutable Mutex mu_;
  std::map<std::string, Role> users_ GUARDED_BY(mu_);
  std::map<std::string, std::string> owners_ GUARDED_BY(mu_);
};

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_DIRECTORY_H_
