#include "syncd/auth/directory.h"

#include <utility>

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

std::vector<std::string> Directory::Replace(std::map<std::string, Role> users,
                                            std::map<std::string, std::string> owners) {
  MutexLock lock(&mu_);
  std::vector<std::string> gone;
  for (const auto& [tenant, owner] : owners_) {
    if (owners.count(tenant) == 0) gone.push_back(tenant);
  }
  users_ = std::move(users);
  owners_ = std::move(owners);
  return gone;
}

}  // namespace syncd::auth
