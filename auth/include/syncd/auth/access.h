// Who may do what in `token` mode (accounts.md, Access rules): the caller a
// valid token names, the rule each route has, and the decisions. Plain
// functions over plain types, tested as a table (tests/auth/access_test.cc).
#ifndef SYNCD_AUTH_ACCESS_H_
#define SYNCD_AUTH_ACCESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncd::auth {

enum class Role { kUser, kOperator };

// "user" / "operator" and back (tokens' `role` claim, the users table).
const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// The caller of a request, from a token that verified.
struct Principal {
  std::string user_id;  // `sub`
  Role role = Role::kUser;
  bool external = false;  // signed by the external provider's key
  // An external token's `tenants` claim: the tenants it may use, instead of
  // the tenants table. nullopt when the token has no such claim.
  std::optional<std::vector<std::string>> tenants;
  int64_t expires_at_s = 0;  // `exp`
};

// The rule of a route (every REST route has one; the WebSocket upgrade is
// kTenant).
enum class Access {
  kOpen,      // anyone, no token (health, ping, register, login, preflights)
  kUser,      // any valid token; the handler checks what it names (users, tenants)
  kTenant,    // a token that may use the tenant the request names
  kOperator,  // an operator token
};

const char* AccessName(Access access);

enum class Decision { kAllow, kUnauthorized, kForbidden };

// The route-level check: kOpen allows anyone; the others need a caller
// (else kUnauthorized); kOperator needs the operator role (else kForbidden).
// kTenant and kUser then need CheckTenant / CheckUser for what they name.
Decision CheckRoute(Access rule, const Principal* caller);

// May `caller` use `tenant`, whose owner is `owner` (nullopt: no user created
// it)? Operators: yes. A token with a `tenants` claim: only the tenants it
// names. Otherwise only the owner, so a tenant nobody created is refused.
Decision CheckTenant(const Principal* caller, std::string_view tenant,
                     const std::optional<std::string>& owner);

// May `caller` read or change the user `user_id`? The user itself or an operator.
Decision CheckUser(const Principal* caller, std::string_view user_id);

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_ACCESS_H_
