// Builders of the JSON messages a frontend sends (protocol.md,
// process_sync_entry), shared by the end-to-end, crash and fault tests.
// Plain functions; any thread.
#ifndef SYNCD_TESTS_SUPPORT_ENTRY_BUILDERS_H_
#define SYNCD_TESTS_SUPPORT_ENTRY_BUILDERS_H_

#include <cstdint>
#include <string>

#include "syncd/domain/entry.h"

namespace syncd::test {

// ms since the epoch as the normalised form the server stores
// (YYYY-MM-DDTHH:MM:SS.mmmZ), so a stored `updated_at` equals the sent one.
std::string IsoMs(int64_t ms);

// A SyncQueueEntry object as the frontend sends it (with the fields the
// server ignores: status, attempts, lastAttempt, error).
std::string EntryJson(const std::string& id, const std::string& tenant, const std::string& type,
                      const std::string& entity_id, const std::string& op,
                      const std::string& payload_json, int64_t timestamp);

// {"type":"process_sync_entry","payload":<entry_json>}
std::string SyncEntryMessage(const std::string& entry_json);

// An Account payload in group "g1".
std::string AccountPayload(const std::string& name);

// A process_sync_entry for an Account create/update whose payload carries
// `n` and an updated_at of `version_ms`.
std::string AccountEntryJson(const std::string& tenant, const std::string& id,
                             const std::string& entity_id, const std::string& op,
                             const std::string& name, const std::string& group, int n,
                             int64_t version_ms);

// A valid Account entry as the web client sends it, parsed by the domain's
// own parser; its version is `version_ms`, its payload null for "delete".
// Reports a test failure (and returns an empty entry) if it does not parse.
domain::SyncEntry AccountEntry(const std::string& tenant, const std::string& id,
                               const std::string& entity_id, const std::string& op,
                               int64_t version_ms, const std::string& name = "Cash");

}  // namespace syncd::test

#endif  // SYNCD_TESTS_SUPPORT_ENTRY_BUILDERS_H_
