// The access rules of accounts.md as a table: every rule against every kind
// of caller.
#include "syncd/auth/access.h"

#include <gtest/gtest.h>

namespace syncd::auth {
namespace {

Principal User(const std::string& id) {
  Principal p;
  p.user_id = id;
  return p;
}

Principal Operator() {
  Principal p = User("op");
  p.role = Role::kOperator;
  return p;
}

Principal External(std::vector<std::string> tenants) {
  Principal p = User("ext");
  p.external = true;
  p.tenants = std::move(tenants);
  return p;
}

TEST(AccessTest, RouteRules) {
  const Principal alice = User("alice"), op = Operator();
  struct Row {
    Access rule;
    const Principal* caller;
    Decision want;
  };
  const Row rows[] = {
      {Access::kOpen, nullptr, Decision::kAllow},
      {Access::kOpen, &alice, Decision::kAllow},
      {Access::kUser, nullptr, Decision::kUnauthorized},
      {Access::kUser, &alice, Decision::kAllow},
      {Access::kUser, &op, Decision::kAllow},
      {Access::kTenant, nullptr, Decision::kUnauthorized},
      {Access::kTenant, &alice, Decision::kAllow},  // then CheckTenant
      {Access::kOperator, nullptr, Decision::kUnauthorized},
      {Access::kOperator, &alice, Decision::kForbidden},
      {Access::kOperator, &op, Decision::kAllow},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(CheckRoute(row.rule, row.caller), row.want)
        << AccessName(row.rule) << " caller " << (row.caller ? row.caller->user_id : "none");
  }
}

TEST(AccessTest, TenantRules) {
  const Principal alice = User("alice"), bob = User("bob"), op = Operator();
  const Principal ext = External({"t1", "t2"}), ext_none = External({});
  struct Row {
    const Principal* caller;
    const char* tenant;
    std::optional<std::string> owner;
    Decision want;
  };
  const Row rows[] = {
      {nullptr, "t1", "alice", Decision::kUnauthorized},
      {&alice, "t1", "alice", Decision::kAllow},
      {&bob, "t1", "alice", Decision::kForbidden},
      {&alice, "t9", std::nullopt, Decision::kForbidden},  // nobody created it
      {&op, "t1", "alice", Decision::kAllow},
      {&op, "t9", std::nullopt, Decision::kAllow},
      {&ext, "t1", std::nullopt, Decision::kAllow},  // the claim, not the table
      {&ext, "t2", "alice", Decision::kAllow},
      {&ext, "t3", "ext", Decision::kForbidden},  // a claim limits even own tenants
      {&ext_none, "t1", std::nullopt, Decision::kForbidden},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(CheckTenant(row.caller, row.tenant, row.owner), row.want)
        << (row.caller ? row.caller->user_id : "none") << " on " << row.tenant;
  }
}

TEST(AccessTest, UserRules) {
  const Principal alice = User("alice"), op = Operator();
  EXPECT_EQ(CheckUser(nullptr, "alice"), Decision::kUnauthorized);
  EXPECT_EQ(CheckUser(&alice, "alice"), Decision::kAllow);
  EXPECT_EQ(CheckUser(&alice, "bob"), Decision::kForbidden);
  EXPECT_EQ(CheckUser(&op, "bob"), Decision::kAllow);
}

TEST(AccessTest, RoleNamesRoundTrip) {
  EXPECT_EQ(ParseRole(RoleName(Role::kUser)), Role::kUser);
  EXPECT_EQ(ParseRole(RoleName(Role::kOperator)), Role::kOperator);
  EXPECT_EQ(ParseRole("admin"), std::nullopt);
}

}  // namespace
}  // namespace syncd::auth
