#include "syncd/domain/entity.h"

#include "syncd/common/enum_table.h"

namespace syncd::domain {
namespace {

// Protocol order: the order of initial_data_load's arrays.
constexpr auto kEntityTypes = common::MakeEnumTable<EntityType>({
    {EntityType::kAccount, "Account"},
    {EntityType::kAccountGroup, "AccountGroup"},
    {EntityType::kCategory, "Category"},
    {EntityType::kCategoryGroup, "CategoryGroup"},
    {EntityType::kRecipient, "Recipient"},
    {EntityType::kTag, "Tag"},
    {EntityType::kAutomationRule, "AutomationRule"},
    {EntityType::kPlanningTransaction, "PlanningTransaction"},
    {EntityType::kTransaction, "Transaction"},
});
static_assert(kEntityTypes.entries().size() == kEntityTypeCount);

// Keys of initial_data_load's payload; names only, never parsed.
constexpr auto kCollections = common::MakeEnumTable<EntityType>({
    {EntityType::kAccount, "accounts"},
    {EntityType::kAccountGroup, "account_groups"},
    {EntityType::kCategory, "categories"},
    {EntityType::kCategoryGroup, "category_groups"},
    {EntityType::kRecipient, "recipients"},
    {EntityType::kTag, "tags"},
    {EntityType::kAutomationRule, "automation_rules"},
    {EntityType::kPlanningTransaction, "planning_transactions"},
    {EntityType::kTransaction, "transactions"},
});
static_assert(kCollections.entries().size() == kEntityTypeCount);

constexpr auto kOperations = common::MakeEnumTable<Operation>({
    {Operation::kCreate, "create"},
    {Operation::kUpdate, "update"},
    {Operation::kDelete, "delete"},
});

}  // namespace

const std::array<EntityType, kEntityTypeCount>& AllEntityTypes() {
  static const std::array<EntityType, kEntityTypeCount> kAll = {
      EntityType::kAccount,        EntityType::kAccountGroup,        EntityType::kCategory,
      EntityType::kCategoryGroup,  EntityType::kRecipient,           EntityType::kTag,
      EntityType::kAutomationRule, EntityType::kPlanningTransaction, EntityType::kTransaction,
  };
  return kAll;
}

std::optional<EntityType> ParseEntityType(std::string_view name) {
  if (auto type = kEntityTypes.ParseIgnoreCase(name)) return type;
  if (common::EqualsIgnoreAsciiCase(name, "Rule")) return EntityType::kAutomationRule;
  return std::nullopt;
}

std::string_view EntityTypeName(EntityType type) { return kEntityTypes.Name(type); }

std::string_view CollectionName(EntityType type) { return kCollections.Name(type); }

std::optional<Operation> ParseOperation(std::string_view name) {
  return kOperations.ParseIgnoreCase(name);
}

std::string_view OperationName(Operation op) { return kOperations.Name(op); }

}  // namespace syncd::domain
