// A validated sync entry and the rules that read one from JSON
// (protocol.md, SyncQueueEntry). Plain types; any thread.
#ifndef SYNCD_DOMAIN_ENTRY_H_
#define SYNCD_DOMAIN_ENTRY_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "syncd/domain/entity.h"

namespace syncd::domain {

// Why an entry is NACKed. One place (NackReasonName/IsPermanent) maps them to the wire.
enum class NackReason {
  kValidation,  // "validation_error", permanent
  kPermission,  // "permission_error", permanent
  kConstraint,  // "constraint_error", permanent
  kSystem,      // "system_error", retries exhausted, not permanent
  kRateLimit,   // "rate_limit_error", queue full, not permanent
};
std::string_view NackReasonName(NackReason reason);
// The inverse of NackReasonName (exact match), e.g. for a stored result.
std::optional<NackReason> ParseNackReason(std::string_view name);
bool IsPermanent(NackReason reason);

// One accepted change, ready to queue and apply.
struct SyncEntry {
  std::string id;         // entry id: idempotency key within the tenant (CheckIdentifier)
  std::string tenant_id;  // the connection's tenant
  EntityType entity_type = EntityType::kAccount;
  std::string entity_id;  // CheckIdentifier
  Operation operation = Operation::kCreate;
  // The entity as it will be stored, in canonical JSON (CanonicalJson): the
  // payload's fields as sent, plus "id" (= entity_id) when absent, plus
  // "updated_at" normalised to FormatIso8601Ms(version_ms) (replacing any
  // value sent). For a delete: {"id":entity_id} (no other fields).
  std::string data;
  // Md5Hex(data) for create/update (computed while parsing, off the pipeline
  // thread); empty for a delete, and empty when unknown (the pipeline then
  // computes it).
  std::string checksum;
  // LWW version: payload.updated_at (ISO-8601), else payload.updatedAt (ISO
  // string or epoch-ms number), else the entry's timestamp (ms).
  int64_t version_ms = 0;
  int64_t client_timestamp_ms = 0;  // the entry's "timestamp", 0 if absent
};

// An entry refused before it is queued, with what could be read of it so the
// NACK can carry it (protocol.md: "still carries the id when one was readable").
// Strings with control characters (a NUL, say) are not carried: they are not
// echoed back to anyone.
struct EntryError {
  NackReason reason = NackReason::kValidation;
  std::string detail;                         // human-readable, e.g. "payload.name is required"
  std::optional<std::string> id;              // if "id" was a printable string
  std::optional<std::string> entity_id;       // if "entityId" was a printable string
  std::optional<std::string> entity_type;     // canonical if known, else as sent
  std::optional<std::string> operation_type;  // lower-case if known, else as sent
};

using ParsedEntry = std::variant<SyncEntry, EntryError>;

// Reads one SyncQueueEntry for a connection bound to `tenant`. Checks, in order:
//  1. value is an object                       else validation "entry must be an object"
//  2. id: a string that passes CheckIdentifier (identifier.h: 1-128 code
//     points, no control characters, no '/'), detail e.g. "id must be 1-128
//     characters"
//  3. tenantId: string passing CheckIdentifier; absent/not string/not an
//     identifier -> validation; != tenant -> permission
//  4. entityType: string naming one of the nine types (ParseEntityType)
//  5. entityId: as id
//  6. operationType: create|update|delete
//  7. payload: create/update need an object; delete accepts an object, null or
//     absent. If the payload has "id" it must be a string equal to entityId.
//  8. create/update: required fields of the entity type present with their
//     JSON type (protocol.md table), detail "payload.<field> is required" or
//     "payload.<field> must be a <string|number>".
//  9. version: payload.updated_at present but not a string holding valid
//     ISO-8601 -> validation "payload.updated_at is not a valid ISO-8601 time";
//     same for updatedAt (which may also be a number of ms); otherwise
//     timestamp must be a number; if no version source exists -> validation
//     "timestamp is required".
// status, attempts, lastAttempt, error and unknown top-level fields are ignored.
ParsedEntry ParseSyncEntry(const rapidjson::Value& value, std::string_view tenant);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_ENTRY_H_
