// Entity types and operations of the sync protocol (protocol.md, SyncQueueEntry).
// Plain functions on plain types; safe to call from any thread.
#ifndef SYNCD_DOMAIN_ENTITY_H_
#define SYNCD_DOMAIN_ENTITY_H_

#include <array>
#include <optional>
#include <string_view>

namespace syncd::domain {

enum class EntityType {
  kAccount,
  kAccountGroup,
  kCategory,
  kCategoryGroup,
  kRecipient,
  kTag,
  kAutomationRule,
  kPlanningTransaction,
  kTransaction,
};
inline constexpr int kEntityTypeCount = 9;

// All nine types in protocol order (the order of initial_data_load's arrays).
const std::array<EntityType, kEntityTypeCount>& AllEntityTypes();

// Case-insensitive; "Rule" is an old alias of AutomationRule.
std::optional<EntityType> ParseEntityType(std::string_view name);
// Canonical spelling, e.g. "AccountGroup".
std::string_view EntityTypeName(EntityType type);
// Key in initial_data_load's payload, e.g. "account_groups".
std::string_view CollectionName(EntityType type);

enum class Operation { kCreate, kUpdate, kDelete };
// "create" | "update" | "delete", matched case-insensitively.
std::optional<Operation> ParseOperation(std::string_view name);
std::string_view OperationName(Operation op);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_ENTITY_H_
