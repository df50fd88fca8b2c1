#include "syncd/domain/entry.h"

#include <cmath>
#include <cstddef>
#include <utility>

#include "syncd/common/enum_table.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/domain/identifier.h"
#include "syncd/domain/version.h"

namespace syncd::domain {
namespace {

// The wire names of NACK reasons (protocol.md), also stored with dead entries.
constexpr auto kNackReasons = common::MakeEnumTable<NackReason>({
    {NackReason::kValidation, "validation_error"},
    {NackReason::kPermission, "permission_error"},
    {NackReason::kConstraint, "constraint_error"},
    {NackReason::kSystem, "system_error"},
    {NackReason::kRateLimit, "rate_limit_error"},
});

using rapidjson::Value;

// Versions are kept within years 0000-9999 so that the stored updated_at
// (FormatIso8601Ms) always has four year digits and parses back.
constexpr int64_t kMinVersionMs = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr int64_t kMaxVersionMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

enum class JsonKind { kString, kNumber };

struct RequiredField {
  const char* name;
  JsonKind kind;
};

struct RequiredFields {
  const RequiredField* begin;
  std::size_t count;
};

// protocol.md, "Required payload fields for create/update".
RequiredFields RequiredFieldsOf(EntityType type) {
  static constexpr RequiredField kName[] = {{"name", JsonKind::kString}};
  static constexpr RequiredField kAccount[] = {{"name", JsonKind::kString},
                                               {"accountGroupId", JsonKind::kString}};
  static constexpr RequiredField kPlanning[] = {
      {"name", JsonKind::kString}, {"accountId", JsonKind::kString}, {"amount", JsonKind::kNumber}};
  static constexpr RequiredField kTransaction[] = {
      {"accountId", JsonKind::kString}, {"amount", JsonKind::kNumber}, {"date", JsonKind::kString}};
  switch (type) {
    case EntityType::kAccount:
      return {kAccount, 2};
    case EntityType::kPlanningTransaction:
      return {kPlanning, 3};
    case EntityType::kTransaction:
      return {kTransaction, 3};
    case EntityType::kAccountGroup:
    case EntityType::kCategory:
    case EntityType::kCategoryGroup:
    case EntityType::kRecipient:
    case EntityType::kTag:
    case EntityType::kAutomationRule:
      break;
  }
  return {kName, 1};
}

std::string_view StringOf(const Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

const Value* Find(const Value& object, std::string_view name) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (StringOf(it->name) == name) return &it->value;
  }
  return nullptr;
}

// A JSON number as whole milliseconds (fractions floored), if it fits int64.
std::optional<int64_t> NumberAsMs(const Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (!v.IsNumber() || v.IsUint64()) return std::nullopt;  // uint64 here is > INT64_MAX
  const double d = std::floor(v.GetDouble());
  if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

bool InVersionRange(int64_t ms) { return ms >= kMinVersionMs && ms <= kMaxVersionMs; }

// A string field as sent, for the NACK: only when it holds no control
// characters, so that a NUL or an escape sequence is never echoed back (an
// over-long id is, so the client can still find its queue entry).
std::optional<std::string> Echo(const Value* v) {
  if (v == nullptr || !v->IsString() || !IsPrintableUtf8(StringOf(*v))) return std::nullopt;
  return std::string(StringOf(*v));
}

// The error with every entry field that can be read, so the NACK can carry it.
EntryError MakeError(NackReason reason, std::string detail, const Value& entry) {
  EntryError error;
  error.reason = reason;
  error.detail = std::move(detail);
  if (!entry.IsObject()) return error;
  error.id = Echo(Find(entry, "id"));
  error.entity_id = Echo(Find(entry, "entityId"));
  if (const Value* type = Find(entry, "entityType"); type != nullptr && type->IsString()) {
    const auto parsed = ParseEntityType(StringOf(*type));
    error.entity_type = parsed ? std::string(EntityTypeName(*parsed)) : Echo(type);
  }
  if (const Value* op = Find(entry, "operationType"); op != nullptr && op->IsString()) {
    const auto parsed = ParseOperation(StringOf(*op));
    error.operation_type = parsed ? std::string(OperationName(*parsed)) : Echo(op);
  }
  return error;
}

// Reads a required id field (CheckIdentifier); returns the detail on failure.
std::optional<std::string> CheckIdField(const Value& entry, std::string_view name,
                                        std::string* out) {
  const Value* v = Find(entry, name);
  if (v == nullptr) return std::string(name) + " is required";
  if (!v->IsString()) return std::string(name) + " must be a string";
  const std::string_view s = StringOf(*v);
  if (auto detail = CheckIdentifier(s, name)) return detail;
  *out = std::string(s);
  return std::nullopt;
}

// Reads the version (protocol.md: updated_at, else updatedAt, else timestamp).
std::optional<std::string> ReadVersion(const Value* payload, const Value& entry,
                                       int64_t* version_ms) {
  if (payload != nullptr && payload->IsObject()) {
    // null counts as absent: JavaScript clients send it for "not set".
    if (const Value* v = Find(*payload, "updated_at"); v != nullptr && !v->IsNull()) {
      const auto ms = v->IsString() ? ParseIso8601Ms(StringOf(*v)) : std::nullopt;
      if (!ms || !InVersionRange(*ms)) {
        return std::string("payload.updated_at is not a valid ISO-8601 time");
      }
      *version_ms = *ms;
      return std::nullopt;
    }
    if (const Value* v = Find(*payload, "updatedAt"); v != nullptr && !v->IsNull()) {
      const auto ms = v->IsString() ? ParseIso8601Ms(StringOf(*v)) : NumberAsMs(*v);
      if (!ms || !InVersionRange(*ms)) {
        return std::string("payload.updatedAt is not a valid ISO-8601 time");
      }
      *version_ms = *ms;
      return std::nullopt;
    }
  }
  const Value* ts = Find(entry, "timestamp");
  if (ts == nullptr) return std::string("timestamp is required");
  if (!ts->IsNumber()) return std::string("timestamp must be a number");
  const auto ms = NumberAsMs(*ts);
  if (!ms || !InVersionRange(*ms)) {
    return std::string("timestamp must be epoch milliseconds within years 0000-9999");
  }
  *version_ms = *ms;
  return std::nullopt;
}

std::string BuildData(const Value* payload, const SyncEntry& entry) {
  rapidjson::Document doc;
  auto& alloc = doc.GetAllocator();
  if (entry.operation == Operation::kDelete) {
    doc.SetObject();
    doc.AddMember("id", Value(entry.entity_id, alloc), alloc);
    return CanonicalJson(doc);
  }
  doc.CopyFrom(*payload, alloc);
  bool has_id = false;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd();) {
    const std::string_view name = StringOf(it->name);
    if (name == "updated_at") {
      it = doc.EraseMember(it);  // order-preserving, unlike RemoveMember
      continue;
    }
    if (name == "id") has_id = true;
    ++it;
  }
  if (!has_id) doc.AddMember("id", Value(entry.entity_id, alloc), alloc);
  doc.AddMember("updated_at", Value(FormatIso8601Ms(entry.version_ms), alloc), alloc);
  return CanonicalJson(doc);
}

}  // namespace

std::string_view NackReasonName(NackReason reason) { return kNackReasons.Name(reason); }

std::optional<NackReason> ParseNackReason(std::string_view name) {
  return kNackReasons.Parse(name);
}

bool IsPermanent(NackReason reason) {
  return reason == NackReason::kValidation || reason == NackReason::kPermission ||
         reason == NackReason::kConstraint;
}

ParsedEntry ParseSyncEntry(const rapidjson::Value& value, std::string_view tenant) {
  constexpr NackReason kInvalid = NackReason::kValidation;
  if (!value.IsObject()) return MakeError(kInvalid, "entry must be an object", value);

  SyncEntry entry;
  if (auto detail = CheckIdField(value, "id", &entry.id)) {
    return MakeError(kInvalid, std::move(*detail), value);
  }

  const Value* tenant_id = Find(value, "tenantId");
  if (tenant_id == nullptr) return MakeError(kInvalid, "tenantId is required", value);
  if (!tenant_id->IsString()) return MakeError(kInvalid, "tenantId must be a string", value);
  if (auto detail = CheckIdentifier(StringOf(*tenant_id), "tenantId")) {
    return MakeError(kInvalid, std::move(*detail), value);
  }
  if (StringOf(*tenant_id) != tenant) {
    return MakeError(NackReason::kPermission, "tenantId does not match the connection's tenant",
                     value);
  }
  entry.tenant_id = std::string(tenant);

  const Value* type = Find(value, "entityType");
  if (type == nullptr) return MakeError(kInvalid, "entityType is required", value);
  if (!type->IsString()) return MakeError(kInvalid, "entityType must be a string", value);
  const auto parsed_type = ParseEntityType(StringOf(*type));
  if (!parsed_type) return MakeError(kInvalid, "entityType is not a known entity type", value);
  entry.entity_type = *parsed_type;

  if (auto detail = CheckIdField(value, "entityId", &entry.entity_id)) {
    return MakeError(kInvalid, std::move(*detail), value);
  }

  const Value* op = Find(value, "operationType");
  if (op == nullptr) return MakeError(kInvalid, "operationType is required", value);
  const auto parsed_op = op->IsString() ? ParseOperation(StringOf(*op)) : std::nullopt;
  if (!parsed_op) {
    return MakeError(kInvalid, "operationType must be create, update or delete", value);
  }
  entry.operation = *parsed_op;

  const Value* payload = Find(value, "payload");
  if (entry.operation == Operation::kDelete) {
    if (payload != nullptr && !payload->IsObject() && !payload->IsNull()) {
      return MakeError(kInvalid, "payload must be an object or null", value);
    }
  } else {
    if (payload == nullptr || payload->IsNull()) {
      return MakeError(kInvalid, "payload is required", value);
    }
    if (!payload->IsObject()) return MakeError(kInvalid, "payload must be an object", value);
  }
  if (payload != nullptr && payload->IsObject()) {
    // Every "id" member, so a duplicate key cannot smuggle in another entity.
    for (auto it = payload->MemberBegin(); it != payload->MemberEnd(); ++it) {
      if (StringOf(it->name) != "id") continue;
      if (!it->value.IsString()) return MakeError(kInvalid, "payload.id must be a string", value);
      if (StringOf(it->value) != entry.entity_id) {
        return MakeError(kInvalid, "payload.id must equal entityId", value);
      }
    }
  }

  if (entry.operation != Operation::kDelete) {
    const RequiredFields required = RequiredFieldsOf(entry.entity_type);
    for (std::size_t i = 0; i < required.count; ++i) {
      const RequiredField& field = required.begin[i];
      const Value* v = Find(*payload, field.name);
      const std::string path = std::string("payload.") + field.name;
      if (v == nullptr) return MakeError(kInvalid, path + " is required", value);
      if (field.kind == JsonKind::kString && !v->IsString()) {
        return MakeError(kInvalid, path + " must be a string", value);
      }
      if (field.kind == JsonKind::kNumber && !v->IsNumber()) {
        return MakeError(kInvalid, path + " must be a number", value);
      }
    }
  }

  if (auto detail = ReadVersion(payload, value, &entry.version_ms)) {
    return MakeError(kInvalid, std::move(*detail), value);
  }
  if (const Value* ts = Find(value, "timestamp"); ts != nullptr) {
    entry.client_timestamp_ms = NumberAsMs(*ts).value_or(0);
  }

  entry.data = BuildData(payload, entry);
  if (entry.operation != Operation::kDelete) entry.checksum = Md5Hex(entry.data);
  return entry;
}

}  // namespace syncd::domain
