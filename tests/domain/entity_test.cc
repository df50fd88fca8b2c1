#include "syncd/domain/entity.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace syncd::domain {
namespace {

TEST(EntityTest, AllTypesInProtocolOrderWithNamesAndCollections) {
  const auto& all = AllEntityTypes();
  const char* names[] = {"Account",        "AccountGroup",        "Category",
                         "CategoryGroup",  "Recipient",           "Tag",
                         "AutomationRule", "PlanningTransaction", "Transaction"};
  const char* collections[] = {
      "accounts",    "account_groups", "categories",       "category_groups",
      "recipients",  "tags",           "automation_rules", "planning_transactions",
      "transactions"};
  ASSERT_EQ(all.size(), 9u);
  for (int i = 0; i < kEntityTypeCount; ++i) {
    EXPECT_EQ(EntityTypeName(all[i]), names[i]);
    EXPECT_EQ(CollectionName(all[i]), collections[i]);
    auto parsed = ParseEntityType(names[i]);
    ASSERT_TRUE(parsed.has_value()) << names[i];
    EXPECT_EQ(*parsed, all[i]);
  }
}

TEST(EntityTest, TypesMatchCaseInsensitively) {
  EXPECT_EQ(ParseEntityType("account"), EntityType::kAccount);
  EXPECT_EQ(ParseEntityType("ACCOUNTGROUP"), EntityType::kAccountGroup);
  EXPECT_EQ(ParseEntityType("planningtransaction"), EntityType::kPlanningTransaction);
  EXPECT_EQ(ParseEntityType("tRaNsAcTiOn"), EntityType::kTransaction);
}

TEST(EntityTest, RuleIsAnAliasOfAutomationRule) {
  EXPECT_EQ(ParseEntityType("Rule"), EntityType::kAutomationRule);
  EXPECT_EQ(ParseEntityType("rule"), EntityType::kAutomationRule);
  EXPECT_EQ(EntityTypeName(*ParseEntityType("RULE")), "AutomationRule");
}

TEST(EntityTest, UnknownTypesAreRejected) {
  EXPECT_FALSE(ParseEntityType("").has_value());
  EXPECT_FALSE(ParseEntityType("Accounts").has_value());
  EXPECT_FALSE(ParseEntityType("account_group").has_value());
  EXPECT_FALSE(ParseEntityType(" Account").has_value());
  EXPECT_FALSE(ParseEntityType("User").has_value());
}

TEST(EntityTest, OperationsParseCaseInsensitivelyAndPrintLowerCase) {
  EXPECT_EQ(ParseOperation("create"), Operation::kCreate);
  EXPECT_EQ(ParseOperation("UPDATE"), Operation::kUpdate);
  EXPECT_EQ(ParseOperation("Delete"), Operation::kDelete);
  EXPECT_FALSE(ParseOperation("upsert").has_value());
  EXPECT_FALSE(ParseOperation("").has_value());
  EXPECT_EQ(OperationName(Operation::kCreate), "create");
  EXPECT_EQ(OperationName(Operation::kUpdate), "update");
  EXPECT_EQ(OperationName(Operation::kDelete), "delete");
}

}  // namespace
}  // namespace syncd::domain
