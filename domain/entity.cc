#include "syncd/domain/entity.h"

#include <cstddef>

namespace syncd::domain {
namespace {

struct TypeInfo {
  EntityType type;
  std::string_view name;
  std::string_view collection;
};

// Protocol order: the order of initial_data_load's arrays.
constexpr TypeInfo kTypes[kEntityTypeCount] = {
    {EntityType::kAccount, "Account", "accounts"},
    {EntityType::kAccountGroup, "AccountGroup", "account_groups"},
    {EntityType::kCategory, "Category", "categories"},
    {EntityType::kCategoryGroup, "CategoryGroup", "category_groups"},
    {EntityType::kRecipient, "Recipient", "recipients"},
    {EntityType::kTag, "Tag", "tags"},
    {EntityType::kAutomationRule, "AutomationRule", "automation_rules"},
    {EntityType::kPlanningTransaction, "PlanningTransaction", "planning_transactions"},
    {EntityType::kTransaction, "Transaction", "transactions"},
};

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

const TypeInfo& Info(EntityType type) {
  for (const TypeInfo& info : kTypes) {
    if (info.type == type) return info;
  }
  return kTypes[0];  // unreachable for valid enum values
}

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
  for (const TypeInfo& info : kTypes) {
    if (EqualsIgnoreCase(name, info.name)) return info.type;
  }
  if (EqualsIgnoreCase(name, "Rule")) return EntityType::kAutomationRule;
  return std::nullopt;
}

std::string_view EntityTypeName(EntityType type) { return Info(type).name; }

std::string_view CollectionName(EntityType type) { return Info(type).collection; }

std::optional<Operation> ParseOperation(std::string_view name) {
  if (EqualsIgnoreCase(name, "create")) return Operation::kCreate;
  if (EqualsIgnoreCase(name, "update")) return Operation::kUpdate;
  if (EqualsIgnoreCase(name, "delete")) return Operation::kDelete;
  return std::nullopt;
}

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "create";
    case Operation::kUpdate:
      return "update";
    case Operation::kDelete:
      return "delete";
  }
  return "update";
}

}  // namespace syncd::domain
