// libFuzzer target over everything a client's bytes reach before the
// pipeline: ParseJsonLimited (depth scan, numbers, strings), ParseSyncEntry
// (ids, versions, the stored entity), canonical JSON, MD5 checksums and the
// ISO-8601 parser. Besides the sanitizers' findings it checks properties a
// client relies on, and aborts (a "crash" to libFuzzer) when one breaks:
//  - canonical JSON of a parsed document parses again to the same canonical
//    JSON (so a client's checksum of what we send back matches ours);
//  - an accepted entry's ids pass CheckIdentifier, its data is canonical JSON
//    and its checksum is the MD5 of that data;
//  - a NACK never carries a string with control characters;
//  - a version within years 0000-9999 survives FormatIso8601Ms and back.
// Run by scripts/fuzz.sh; the seeds are in tests/fuzz/corpus/.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "syncd/common/percent_decoding.h"
#include "syncd/domain/canonical_json.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/identifier.h"
#include "syncd/domain/json_limits.h"
#include "syncd/domain/version.h"

namespace {

using syncd::domain::CanonicalJson;
using syncd::domain::JsonParseError;
using syncd::domain::ParseJsonLimited;

constexpr int64_t kMinVersionMs = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr int64_t kMaxVersionMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
constexpr char kTenant[] = "tenant-1";

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "message_fuzzer: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckVersionRoundTrip(int64_t ms) {
  if (ms < kMinVersionMs || ms > kMaxVersionMs) return;
  const std::string text = syncd::domain::FormatIso8601Ms(ms);
  const std::optional<int64_t> again = syncd::domain::ParseIso8601Ms(text);
  if (!again || *again != ms) Fail("version does not survive formatting", text);
}

void CheckCanonicalRoundTrip(const rapidjson::Value& value) {
  const std::string canonical = CanonicalJson(value);
  rapidjson::Document again;
  std::string message;
  if (ParseJsonLimited(canonical, &again, &message) != JsonParseError::kNone) {
    Fail("canonical JSON does not parse", canonical + " -> " + message);
  }
  if (CanonicalJson(again) != canonical) Fail("canonical JSON is not stable", canonical);
  if (syncd::domain::Md5Hex(canonical).size() != 32) Fail("md5 is not 32 hex digits", canonical);
}

void CheckOptionalPrintable(const std::optional<std::string>& field, const char* name) {
  if (field && !syncd::domain::IsPrintableUtf8(*field)) Fail("a NACK echoes bad bytes", name);
}

void CheckEntry(const rapidjson::Value& value) {
  const syncd::domain::ParsedEntry parsed = syncd::domain::ParseSyncEntry(value, kTenant);
  if (const auto* error = std::get_if<syncd::domain::EntryError>(&parsed)) {
    CheckOptionalPrintable(error->id, "id");
    CheckOptionalPrintable(error->entity_id, "entityId");
    CheckOptionalPrintable(error->entity_type, "entityType");
    CheckOptionalPrintable(error->operation_type, "operationType");
    return;
  }
  const auto& entry = std::get<syncd::domain::SyncEntry>(parsed);
  if (syncd::domain::CheckIdentifier(entry.id, "id")) Fail("accepted a bad id", entry.id);
  if (syncd::domain::CheckIdentifier(entry.entity_id, "entityId")) {
    Fail("accepted a bad entityId", entry.entity_id);
  }
  if (entry.tenant_id != kTenant) Fail("entry of another tenant", entry.tenant_id);
  rapidjson::Document data;
  std::string message;
  if (ParseJsonLimited(entry.data, &data, &message) != JsonParseError::kNone) {
    Fail("stored entity does not parse", entry.data + " -> " + message);
  }
  if (CanonicalJson(data) != entry.data) Fail("stored entity is not canonical", entry.data);
  if (entry.operation != syncd::domain::Operation::kDelete &&
      entry.checksum != syncd::domain::Md5Hex(entry.data)) {
    Fail("checksum is not the md5 of the stored entity", entry.data);
  }
  CheckVersionRoundTrip(entry.version_ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The version parser on raw bytes: never reads past them, and what it
  // accepts within the stored range formats back to itself.
  if (const std::optional<int64_t> ms = syncd::domain::ParseIso8601Ms(text)) {
    CheckVersionRoundTrip(*ms);
  }
  std::optional<std::string> decoded = syncd::common::PercentDecode(text);
  if (decoded) (void)syncd::domain::CheckIdentifier(*decoded, "tenant");

  rapidjson::Document doc;
  std::string message;
  if (ParseJsonLimited(text, &doc, &message) != JsonParseError::kNone) {
    if (message.empty()) Fail("a refused document has no message", text);
    return 0;
  }
  CheckCanonicalRoundTrip(doc);

  // The document as an entry, as process_sync_entry's payload, and as
  // process_sync_batch's entries, the three places entries come from.
  CheckEntry(doc);
  if (doc.IsObject()) {
    if (auto payload = doc.FindMember("payload"); payload != doc.MemberEnd()) {
      CheckEntry(payload->value);
    }
    if (auto entries = doc.FindMember("entries");
        entries != doc.MemberEnd() && entries->value.IsArray()) {
      for (const rapidjson::Value& entry : entries->value.GetArray()) CheckEntry(entry);
    }
  }
  return 0;
}
