#include "syncd/auth/access.h"

#include <algorithm>

namespace syncd::auth {

const char* RoleName(Role role) { return role == Role::kOperator ? "operator" : "user"; }

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "operator") return Role::kOperator;
  return std::nullopt;
}

const char* AccessName(Access access) {
  switch (access) {
    case Access::kOpen:
      return "open";
    case Access::kUser:
      return "user";
    case Access::kTenant:
      return "tenant";
    case Access::kOperator:
      return "operator";
  }
  return "operator";
}

Decision CheckRoute(Access rule, const Principal* caller) {
  if (rule == Access::kOpen) return Decision::kAllow;
  if (caller == nullptr) return Decision::kUnauthorized;
  if (rule == Access::kOperator && caller->role != Role::kOperator) return Decision::kForbidden;
  return Decision::kAllow;
}

Decision CheckTenant(const Principal* caller, std::string_view tenant,
                     const std::optional<std::string>& owner) {
  if (caller == nullptr) return Decision::kUnauthorized;
  if (caller->role == Role::kOperator) return Decision::kAllow;
  if (caller->tenants) {
    const auto& names = *caller->tenants;
    return std::find(names.begin(), names.end(), tenant) != names.end() ? Decision::kAllow
                                                                        : Decision::kForbidden;
  }
  return owner && *owner == caller->user_id ? Decision::kAllow : Decision::kForbidden;
}

Decision CheckUser(const Principal* caller, std::string_view user_id) {
  if (caller == nullptr) return Decision::kUnauthorized;
  if (caller->role == Role::kOperator || caller->user_id == user_id) return Decision::kAllow;
  return Decision::kForbidden;
}

}  // namespace syncd::auth
