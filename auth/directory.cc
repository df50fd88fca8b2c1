#include "syncd/auth/directory.h"

namespace syncd::auth {

void Directory::PutUser(const std::string& user_id, Role role) {
  MutexLock lock(&mu_);
  users_[user_id] = role;
}

std::optional<Role> Directory::UserRole(const std::string& user_id) const {
  MutexLock lock(&mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

void Directory::PutTenant(const std::string& tenant_id, const std::string& owner) {
  MutexLock lock(&mu_);
  owners_[tenant_id] = owner;
}

void Directory::RemoveTenant(const std::string& tenant_id) {
  MutexLock lock(&mu_);
  owners_.erase(tenant_id);
}

std::optional<std::string> Directory::OwnerOf(const std::string& tenant_id) const {
  MutexLock lock(&mu_);
  auto it = owners_.find(tenant_id);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

}  // namespace syncd::auth
