#include "syncd/domain/entry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "syncd/domain/canonical_json.h"
#include "syncd/domain/json_limits.h"
#include "syncd/domain/version.h"

namespace syncd::domain {
namespace {

constexpr char kTenant[] = "tenant-1";
constexpr int64_t kTs = 1764131200123;  // 2025-11-26T04:26:40.123Z

rapidjson::Document ParseText(const std::string& text) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kNone) << message << text;
  return doc;
}

ParsedEntry ParseEntryText(const std::string& text) {
  const rapidjson::Document doc = ParseText(text);
  return ParseSyncEntry(doc, kTenant);
}

SyncEntry ExpectOk(const std::string& text) {
  ParsedEntry parsed = ParseEntryText(text);
  if (const auto* error = std::get_if<EntryError>(&parsed)) {
    ADD_FAILURE() << "unexpected error: " << error->detail << " for " << text;
    return SyncEntry{};
  }
  return std::get<SyncEntry>(std::move(parsed));
}

EntryError ExpectError(const std::string& text) {
  ParsedEntry parsed = ParseEntryText(text);
  if (std::holds_alternative<SyncEntry>(parsed)) {
    ADD_FAILURE() << "unexpectedly accepted: " << text;
    return EntryError{};
  }
  return std::get<EntryError>(std::move(parsed));
}

// An entry as the web client sends it, with a payload given as JSON text.
std::string MakeEntry(const std::string& type, const std::string& op, const std::string& payload,
                      const std::string& entity_id = "e-1") {
  return R"({"id":"q-1","tenantId":"tenant-1","entityType":")" + type + R"(","entityId":")" +
         entity_id + R"(","operationType":")" + op + R"(","payload":)" + payload +
         R"(,"timestamp":)" + std::to_string(kTs) + "}";
}

struct TypeCase {
  const char* type;
  const char* payload;                                        // minimal valid payload
  std::vector<std::pair<const char*, const char*>> required;  // field, "string"|"number"
};

const std::vector<TypeCase>& TypeCases() {
  static const std::vector<TypeCase> kCases = {
      {"Account",
       R"({"name":"Giro","accountGroupId":"g-1"})",
       {{"name", "string"}, {"accountGroupId", "string"}}},
      {"AccountGroup", R"({"name":"Banks"})", {{"name", "string"}}},
      {"Category", R"({"name":"Food"})", {{"name", "string"}}},
      {"CategoryGroup", R"({"name":"Living"})", {{"name", "string"}}},
      {"Recipient", R"({"name":"Bakery"})", {{"name", "string"}}},
      {"Tag", R"({"name":"holiday"})", {{"name", "string"}}},
      {"AutomationRule", R"({"name":"Rent rule"})", {{"name", "string"}}},
      {"PlanningTransaction",
       R"({"name":"Rent","accountId":"a-1","amount":-950.5})",
       {{"name", "string"}, {"accountId", "string"}, {"amount", "number"}}},
      {"Transaction",
       R"({"accountId":"a-1","amount":12,"date":"2025-11-26"})",
       {{"accountId", "string"}, {"amount", "number"}, {"date", "string"}}},
  };
  return kCases;
}

TEST(EntryTest, ValidCreateAndUpdatePassForEveryType) {
  ASSERT_EQ(TypeCases().size(), 9u);
  for (const TypeCase& c : TypeCases()) {
    for (const char* op : {"create", "update"}) {
      const SyncEntry entry = ExpectOk(MakeEntry(c.type, op, c.payload));
      EXPECT_EQ(EntityTypeName(entry.entity_type), c.type);
      EXPECT_EQ(OperationName(entry.operation), op);
      EXPECT_EQ(entry.id, "q-1");
      EXPECT_EQ(entry.tenant_id, kTenant);
      EXPECT_EQ(entry.entity_id, "e-1");
      EXPECT_EQ(entry.version_ms, kTs);
      EXPECT_EQ(entry.client_timestamp_ms, kTs);
    }
  }
}

TEST(EntryTest, MissingRequiredFieldFailsWithFieldName) {
  for (const TypeCase& c : TypeCases()) {
    for (const auto& [field, kind] : c.required) {
      rapidjson::Document payload = ParseText(c.payload);
      payload.RemoveMember(field);
      const EntryError error = ExpectError(MakeEntry(c.type, "create", CanonicalJson(payload)));
      EXPECT_EQ(error.reason, NackReason::kValidation);
      EXPECT_EQ(error.detail, std::string("payload.") + field + " is required") << c.type;
    }
  }
}

TEST(EntryTest, WrongJsonTypeOfRequiredFieldFails) {
  for (const TypeCase& c : TypeCases()) {
    for (const auto& [field, kind] : c.required) {
      const bool wants_string = std::string(kind) == "string";
      // A number where a string is required and vice versa; also null, bool, object.
      for (const char* wrong : {wants_string ? "42" : R"("42")", "null", "true", "{}", "[]"}) {
        rapidjson::Document payload = ParseText(c.payload);
        rapidjson::Document bad = ParseText(wrong);
        payload[field].CopyFrom(bad, payload.GetAllocator());
        const EntryError error = ExpectError(MakeEntry(c.type, "update", CanonicalJson(payload)));
        EXPECT_EQ(error.reason, NackReason::kValidation);
        EXPECT_EQ(error.detail, std::string("payload.") + field + " must be a " + kind)
            << c.type << " " << wrong;
      }
    }
  }
}

TEST(EntryTest, EntityTypeIsCaseInsensitiveAndRepliesUseCanonicalSpelling) {
  EXPECT_EQ(
      ExpectOk(MakeEntry("account", "create", R"({"name":"a","accountGroupId":"g"})")).entity_type,
      EntityType::kAccount);
  EXPECT_EQ(ExpectOk(MakeEntry("Rule", "create", R"({"name":"r"})")).entity_type,
            EntityType::kAutomationRule);
  EXPECT_EQ(ExpectOk(MakeEntry("TAG", "CREATE", R"({"name":"t"})")).operation, Operation::kCreate);
  // An error after the type was read reports the canonical spelling.
  const EntryError error = ExpectError(MakeEntry("rule", "Update", R"({"nom":"r"})"));
  EXPECT_EQ(error.entity_type, "AutomationRule");
  EXPECT_EQ(error.operation_type, "update");
}

TEST(EntryTest, UnknownEntityTypeOrOperationIsValidationError) {
  EntryError error = ExpectError(MakeEntry("Budget", "create", R"({"name":"b"})"));
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "entityType is not a known entity type");
  EXPECT_EQ(error.entity_type, "Budget");  // as sent

  error = ExpectError(MakeEntry("Tag", "upsert", R"({"name":"b"})"));
  EXPECT_EQ(error.detail, "operationType must be create, update or delete");
  EXPECT_EQ(error.operation_type, "upsert");
  EXPECT_EQ(error.entity_type, "Tag");
}

std::string EntryWithIds(const std::string& id, const std::string& entity_id) {
  return R"({"id":")" + id + R"(","tenantId":"tenant-1","entityType":"Tag","entityId":")" +
         entity_id + R"(","operationType":"create","payload":{"name":"t"},"timestamp":1})";
}

TEST(EntryTest, IdLengthLimitsCountCharacters) {
  const std::string e128(128, 'e');
  EXPECT_EQ(ExpectError(EntryWithIds("", "e")).detail, "id must be 1-128 characters");
  EXPECT_EQ(ExpectOk(EntryWithIds("q", "e")).id, "q");
  EXPECT_EQ(ExpectOk(EntryWithIds(std::string(128, 'q'), "e")).id.size(), 128u);
  EXPECT_EQ(ExpectError(EntryWithIds(std::string(129, 'q'), "e")).detail,
            "id must be 1-128 characters");

  EXPECT_EQ(ExpectError(EntryWithIds("q", "")).detail, "entityId must be 1-128 characters");
  EXPECT_EQ(ExpectOk(EntryWithIds("q", e128)).entity_id, e128);
  EXPECT_EQ(ExpectError(EntryWithIds("q", std::string(129, 'e'))).detail,
            "entityId must be 1-128 characters");

  // "ü" is two bytes and "😀" four: limits are in characters, not bytes.
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "ü";
  std::string emoji;
  for (int i = 0; i < 128; ++i) emoji += "😀";
  EXPECT_EQ(ExpectOk(EntryWithIds(umlauts, emoji)).entity_id, emoji);
  EXPECT_EQ(ExpectError(EntryWithIds(umlauts + "ü", "e")).detail, "id must be 1-128 characters");
  EXPECT_EQ(ExpectError(EntryWithIds("q", emoji + "x")).detail,
            "entityId must be 1-128 characters");
}

TEST(EntryTest, IdsWithControlCharactersOrSlashAreRefusedAndNotEchoed) {
  // Before, "x\u0000ATTACKER" was a 10-character id: stored with its NUL and
  // read back as "x" by anything using C strings.
  EntryError error = ExpectError(EntryWithIds(R"(x\u0000ATTACKER)", "e"));
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "id must not contain control characters");
  EXPECT_FALSE(error.id.has_value());  // bad bytes are not echoed
  EXPECT_EQ(error.entity_id, "e");

  error = ExpectError(EntryWithIds("q", R"(e\u001b[31m)"));
  EXPECT_EQ(error.detail, "entityId must not contain control characters");
  EXPECT_EQ(error.id, "q");
  EXPECT_FALSE(error.entity_id.has_value());

  EXPECT_EQ(ExpectError(EntryWithIds(R"(q\u007f)", "e")).detail,
            "id must not contain control characters");
  EXPECT_EQ(ExpectError(EntryWithIds(R"(q\u009b)", "e")).detail,
            "id must not contain control characters");
  error = ExpectError(EntryWithIds("q", "a/b"));
  EXPECT_EQ(error.detail, "entityId must not contain '/'");
  EXPECT_EQ(error.entity_id, "a/b");  // printable: echoed

  // A tenantId with a NUL is not the connection's tenant with a suffix: it
  // is not an identifier at all.
  error = ExpectError(R"({"id":"q","tenantId":"tenant-1\u0000","entityType":"Tag",)"
                      R"("entityId":"e","operationType":"create","payload":{"name":"t"},)"
                      R"("timestamp":1})");
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "tenantId must not contain control characters");
  EXPECT_EQ(error.id, "q");

  // An unknown entityType or operationType is echoed only when printable.
  error = ExpectError(R"({"id":"q","tenantId":"tenant-1","entityType":"Tag\u0000",)"
                      R"("entityId":"e","operationType":"make\u0000","timestamp":1})");
  EXPECT_EQ(error.detail, "entityType is not a known entity type");
  EXPECT_FALSE(error.entity_type.has_value());
  EXPECT_FALSE(error.operation_type.has_value());
}

TEST(EntryTest, IdFieldsMustBePresentStrings) {
  const std::string rest = R"("tenantId":"tenant-1","entityType":"Tag","operationType":"create",)"
                           R"("payload":{"name":"t"},"timestamp":1)";
  EXPECT_EQ(ExpectError("{" + rest + R"(,"entityId":"e"})").detail, "id is required");
  EXPECT_EQ(ExpectError(R"({"id":7,)" + rest + R"(,"entityId":"e"})").detail,
            "id must be a string");
  EXPECT_EQ(ExpectError(R"({"id":"q",)" + rest + "}").detail, "entityId is required");
  EXPECT_EQ(ExpectError(R"({"id":"q",)" + rest + R"(,"entityId":7})").detail,
            "entityId must be a string");
}

TEST(EntryTest, NonObjectEntryIsValidationError) {
  for (const char* text : {"[]", "null", R"("entry")", "1"}) {
    const EntryError error = ExpectError(text);
    EXPECT_EQ(error.reason, NackReason::kValidation);
    EXPECT_EQ(error.detail, "entry must be an object");
    EXPECT_FALSE(error.id.has_value());
  }
}

TEST(EntryTest, TenantMismatchIsPermissionErrorCarryingReadableFields) {
  const EntryError error =
      ExpectError(R"({"id":"q-9","tenantId":"other","entityType":"account","entityId":"acc-1",)"
                  R"("operationType":"Delete","timestamp":1})");
  EXPECT_EQ(error.reason, NackReason::kPermission);
  EXPECT_EQ(NackReasonName(error.reason), "permission_error");
  EXPECT_TRUE(IsPermanent(error.reason));
  EXPECT_EQ(error.id, "q-9");
  EXPECT_EQ(error.entity_id, "acc-1");
  EXPECT_EQ(error.entity_type, "Account");
  EXPECT_EQ(error.operation_type, "delete");
}

TEST(EntryTest, MissingOrNonStringTenantIsValidationError) {
  EntryError error =
      ExpectError(R"({"id":"q","entityType":"Tag","entityId":"e","operationType":"create",)"
                  R"("payload":{"name":"t"},"timestamp":1})");
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "tenantId is required");
  EXPECT_EQ(error.id, "q");
  error = ExpectError(
      R"({"id":"q","tenantId":1,"entityType":"Tag","entityId":"e","operationType":"create",)"
      R"("payload":{"name":"t"},"timestamp":1})");
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "tenantId must be a string");
}

TEST(EntryTest, NackCarriesWhatCouldBeRead) {
  // The entry id is echoed even when a later field is wrong, so the client can
  // mark its queue entry failed.
  EntryError error =
      ExpectError(R"({"id":"q-1","tenantId":"tenant-1","entityType":"Recipient","entityId":7,)"
                  R"("operationType":"create","payload":{"name":"r"},"timestamp":1})");
  EXPECT_EQ(error.id, "q-1");
  EXPECT_FALSE(error.entity_id.has_value());
  EXPECT_EQ(error.entity_type, "Recipient");
  EXPECT_EQ(error.operation_type, "create");

  error = ExpectError(R"({"id":5,"entityId":"e-5","entityType":["x"]})");
  EXPECT_FALSE(error.id.has_value());
  EXPECT_EQ(error.entity_id, "e-5");
  EXPECT_FALSE(error.entity_type.has_value());
  EXPECT_FALSE(error.operation_type.has_value());

  // Even an id that breaks the length rule is echoed as sent.
  error = ExpectError(EntryWithIds(std::string(129, 'q'), "e"));
  EXPECT_EQ(error.id, std::string(129, 'q'));
  EXPECT_EQ(error.entity_id, "e");
}

TEST(EntryTest, PayloadIdMustEqualEntityId) {
  EntryError error = ExpectError(MakeEntry("Tag", "update", R"({"id":"other","name":"t"})"));
  EXPECT_EQ(error.reason, NackReason::kValidation);
  EXPECT_EQ(error.detail, "payload.id must equal entityId");
  error = ExpectError(MakeEntry("Tag", "update", R"({"id":1,"name":"t"})"));
  EXPECT_EQ(error.detail, "payload.id must be a string");
  error = ExpectError(MakeEntry("Tag", "update", R"({"id":"e-1","id":"other","name":"t"})"));
  EXPECT_EQ(error.detail, "payload.id must equal entityId");
  error = ExpectError(MakeEntry("Tag", "delete", R"({"id":"other"})"));
  EXPECT_EQ(error.detail, "payload.id must equal entityId");

  const SyncEntry ok = ExpectOk(MakeEntry("Tag", "update", R"({"id":"e-1","name":"t"})"));
  EXPECT_EQ(ok.data, R"({"id":"e-1","name":"t","updated_at":"2025-11-26T04:26:40.123Z"})");
}

TEST(EntryTest, CreateAndUpdateNeedAnObjectPayload) {
  for (const char* op : {"create", "update"}) {
    EXPECT_EQ(ExpectError(MakeEntry("Tag", op, "null")).detail, "payload is required");
    EXPECT_EQ(ExpectError(MakeEntry("Tag", op, R"("t")")).detail, "payload must be an object");
    EXPECT_EQ(ExpectError(MakeEntry("Tag", op, "[]")).detail, "payload must be an object");
    EXPECT_EQ(ExpectError(R"({"id":"q","tenantId":"tenant-1","entityType":"Tag",)"
                          R"("entityId":"e","operationType":")" +
                          std::string(op) + R"(","timestamp":1})")
                  .detail,
              "payload is required");
  }
}

TEST(EntryTest, DeleteAcceptsNullAbsentOrIdPayload) {
  const std::string absent =
      R"({"id":"q-1","tenantId":"tenant-1","entityType":"Transaction","entityId":"e-1",)"
      R"("operationType":"delete","timestamp":)" +
      std::to_string(kTs) + "}";
  for (const std::string& text :
       {MakeEntry("Transaction", "delete", "null"), MakeEntry("Transaction", "delete", "{}"),
        MakeEntry("Transaction", "delete", R"({"id":"e-1"})"), absent}) {
    const SyncEntry entry = ExpectOk(text);
    EXPECT_EQ(entry.operation, Operation::kDelete);
    EXPECT_EQ(entry.data, R"({"id":"e-1"})") << text;
    EXPECT_EQ(entry.version_ms, kTs);
  }
  // Required fields are not checked for deletes, and other payload fields are not stored.
  const SyncEntry entry =
      ExpectOk(MakeEntry("Transaction", "delete", R"({"id":"e-1","amount":"x","memo":"m"})"));
  EXPECT_EQ(entry.data, R"({"id":"e-1"})");
  EXPECT_EQ(ExpectError(MakeEntry("Transaction", "delete", "[]")).detail,
            "payload must be an object or null");
}

TEST(EntryTest, DeleteChecksumMatchesClientSide) {
  const SyncEntry entry = ExpectOk(MakeEntry("Account", "delete", "null", "acc-1"));
  EXPECT_EQ(entry.data, R"({"id":"acc-1"})");
  EXPECT_EQ(ChecksumOfCanonical(entry.data), "00111911bf1d7a2534580cd681b9ab75");  // Python
}

TEST(EntryTest, DeleteVersionMayComeFromPayload) {
  const SyncEntry entry =
      ExpectOk(MakeEntry("Tag", "delete", R"({"id":"e-1","updated_at":"2030-01-01T00:00:00Z"})"));
  EXPECT_EQ(entry.version_ms, *ParseIso8601Ms("2030-01-01T00:00:00Z"));
  EXPECT_EQ(entry.data, R"({"id":"e-1"})");
}

TEST(EntryTest, StoredDataKeepsFieldsAddsIdAndNormalisesUpdatedAt) {
  const SyncEntry entry =
      ExpectOk(MakeEntry("Account", "create",
                         R"({"name":"Girokonto","accountGroupId":"g1","balance":1234.56,)"
                         R"("updated_at":"2025-11-26T06:26:40.123+02:00"})",
                         "acc-1"));
  EXPECT_EQ(entry.version_ms, kTs);
  EXPECT_EQ(entry.data,
            R"({"accountGroupId":"g1","balance":1234.56,"id":"acc-1","name":"Girokonto",)"
            R"("updated_at":"2025-11-26T04:26:40.123Z"})");
  EXPECT_EQ(ChecksumOfCanonical(entry.data), "c7cdf87118a44f4db2e7e17dd0004a5c");  // Python
}

// Versions -------------------------------------------------------------------

std::string TagEntryWithVersion(const std::string& payload_extra, const std::string& timestamp) {
  std::string text = R"({"id":"q","tenantId":"tenant-1","entityType":"Tag","entityId":"e",)"
                     R"("operationType":"update","payload":{"name":"t")" +
                     payload_extra + "}";
  if (!timestamp.empty()) text += R"(,"timestamp":)" + timestamp;
  return text + "}";
}

TEST(EntryTest, VersionPrecedenceUpdatedAtThenUpdatedAtCamelThenTimestamp) {
  const int64_t a = *ParseIso8601Ms("2025-01-01T00:00:00Z");
  const int64_t b = *ParseIso8601Ms("2025-02-01T00:00:00Z");
  EXPECT_EQ(
      ExpectOk(
          TagEntryWithVersion(
              R"(,"updated_at":"2025-01-01T00:00:00Z","updatedAt":"2025-02-01T00:00:00Z")", "5"))
          .version_ms,
      a);
  EXPECT_EQ(ExpectOk(TagEntryWithVersion(R"(,"updatedAt":"2025-02-01T00:00:00Z")", "5")).version_ms,
            b);
  EXPECT_EQ(ExpectOk(TagEntryWithVersion(R"(,"updatedAt":1764131200123)", "5")).version_ms, kTs);
  EXPECT_EQ(ExpectOk(TagEntryWithVersion("", "1764131200123")).version_ms, kTs);
  // The version is independent of the client's timestamp, which is still reported.
  const SyncEntry entry =
      ExpectOk(TagEntryWithVersion(R"(,"updated_at":"2025-01-01T00:00:00Z")", "5"));
  EXPECT_EQ(entry.client_timestamp_ms, 5);
  EXPECT_EQ(entry.data, R"({"id":"e","name":"t","updated_at":"2025-01-01T00:00:00.000Z"})");
}

TEST(EntryTest, StoredUpdatedAtComesFromTheVersionWhateverItsSource) {
  EXPECT_EQ(ExpectOk(TagEntryWithVersion("", "1764131200123")).data,
            R"({"id":"e","name":"t","updated_at":"2025-11-26T04:26:40.123Z"})");
  // updatedAt is kept as sent; updated_at is added next to it.
  EXPECT_EQ(
      ExpectOk(TagEntryWithVersion(R"(,"updatedAt":"2025-11-26T05:26:40.123+01:00")", "1")).data,
      R"({"id":"e","name":"t","updatedAt":"2025-11-26T05:26:40.123+01:00",)"
      R"("updated_at":"2025-11-26T04:26:40.123Z"})");
  // A date-only updated_at is normalised too.
  EXPECT_EQ(ExpectOk(TagEntryWithVersion(R"(,"updated_at":"2025-11-26")", "1")).data,
            R"({"id":"e","name":"t","updated_at":"2025-11-26T00:00:00.000Z"})");
}

TEST(EntryTest, InvalidUpdatedAtIsValidationError) {
  for (const char* bad : {R"("yesterday")", R"("2025-02-30T00:00:00Z")", R"("")", "1764131200123",
                          "true", R"({})", R"("2025-11-26T04:26:40Z junk")"}) {
    const EntryError error =
        ExpectError(TagEntryWithVersion(std::string(R"(,"updated_at":)") + bad, "1"));
    EXPECT_EQ(error.reason, NackReason::kValidation) << bad;
    EXPECT_EQ(error.detail, "payload.updated_at is not a valid ISO-8601 time") << bad;
    EXPECT_EQ(error.id, "q");
  }
}

TEST(EntryTest, InvalidUpdatedAtCamelIsValidationError) {
  for (const char* bad : {R"("soon")", "true", "1e300"}) {
    const EntryError error =
        ExpectError(TagEntryWithVersion(std::string(R"(,"updatedAt":)") + bad, "1"));
    EXPECT_EQ(error.detail, "payload.updatedAt is not a valid ISO-8601 time") << bad;
  }
}

TEST(EntryTest, NullUpdatedAtCountsAsAbsent) {
  // The version then comes from the next source, and the stored entity
  // carries the normalised updated_at instead of the null.
  const SyncEntry from_timestamp =
      ExpectOk(TagEntryWithVersion(R"(,"updated_at":null,"updatedAt":null)", "1764131200123"));
  EXPECT_EQ(from_timestamp.version_ms, 1764131200123);
  EXPECT_NE(from_timestamp.data.find(R"("updated_at":"2025-11-26T04:26:40.123Z")"),
            std::string::npos);
  const SyncEntry from_camel = ExpectOk(
      TagEntryWithVersion(R"(,"updated_at":null,"updatedAt":"2025-11-26T04:26:40Z")", "1"));
  EXPECT_EQ(from_camel.version_ms, 1764131200000);
}

TEST(EntryTest, TimestampIsRequiredWithoutAnotherVersion) {
  EXPECT_EQ(ExpectError(TagEntryWithVersion("", "")).detail, "timestamp is required");
  EXPECT_EQ(ExpectError(TagEntryWithVersion("", R"("1764131200123")")).detail,
            "timestamp must be a number");
  // With updated_at present the timestamp is not needed.
  const SyncEntry entry =
      ExpectOk(TagEntryWithVersion(R"(,"updated_at":"2025-11-26T04:26:40.123Z")", ""));
  EXPECT_EQ(entry.version_ms, kTs);
  EXPECT_EQ(entry.client_timestamp_ms, 0);
}

TEST(EntryTest, FractionalTimestampIsFlooredAndOutOfRangeRejected) {
  EXPECT_EQ(ExpectOk(TagEntryWithVersion("", "1764131200123.9")).version_ms, kTs);
  EXPECT_EQ(ExpectError(TagEntryWithVersion("", "1e20")).reason, NackReason::kValidation);
  EXPECT_EQ(ExpectError(TagEntryWithVersion("", "18446744073709551615")).reason,
            NackReason::kValidation);
}

TEST(EntryTest, BookkeepingAndUnknownFieldsAreIgnored) {
  const SyncEntry entry =
      ExpectOk(R"({"id":"q","tenantId":"tenant-1","entityType":"Category","entityId":"c",)"
               R"("operationType":"create","payload":{"name":"Food","color":"#fff","budget":null},)"
               R"("timestamp":1764131200123,"status":"pending","attempts":3,)"
               R"("lastAttempt":1764131100000,"error":{"message":"offline"},"somethingNew":[1]})");
  EXPECT_EQ(entry.data, R"({"budget":null,"color":"#fff","id":"c","name":"Food",)"
                        R"("updated_at":"2025-11-26T04:26:40.123Z"})");
}

TEST(EntryTest, NackReasonsMapToTheWire) {
  EXPECT_EQ(NackReasonName(NackReason::kValidation), "validation_error");
  EXPECT_EQ(NackReasonName(NackReason::kPermission), "permission_error");
  EXPECT_EQ(NackReasonName(NackReason::kConstraint), "constraint_error");
  EXPECT_EQ(NackReasonName(NackReason::kSystem), "system_error");
  EXPECT_EQ(NackReasonName(NackReason::kRateLimit), "rate_limit_error");
  EXPECT_TRUE(IsPermanent(NackReason::kValidation));
  EXPECT_TRUE(IsPermanent(NackReason::kPermission));
  EXPECT_TRUE(IsPermanent(NackReason::kConstraint));
  EXPECT_FALSE(IsPermanent(NackReason::kSystem));
  EXPECT_FALSE(IsPermanent(NackReason::kRateLimit));
}

// Dead entries store the reason by name; reading it back must give the same reason.
TEST(EntryTest, NackReasonNamesParseBack) {
  for (NackReason r : {NackReason::kValidation, NackReason::kPermission, NackReason::kConstraint,
                       NackReason::kSystem, NackReason::kRateLimit}) {
    EXPECT_EQ(ParseNackReason(NackReasonName(r)), r);
  }
  EXPECT_EQ(ParseNackReason("validation"), std::nullopt);
  EXPECT_EQ(ParseNackReason("SYSTEM_ERROR"), std::nullopt);
}

}  // namespace
}  // namespace syncd::domain
