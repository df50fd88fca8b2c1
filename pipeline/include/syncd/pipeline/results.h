// Every result and NACK the server sends about an entry is made here: one
// text and one retry time per case, whichever transport writes it (ws/,
// api/) and whichever step decides it (admission, ingest, apply, operator).
// Plain functions on plain types; any thread.
#ifndef SYNCD_PIPELINE_RESULTS_H_
#define SYNCD_PIPELINE_RESULTS_H_

#include <cstdint>
#include <string>

#include "syncd/domain/entry.h"
#include "syncd/domain/lww.h"
#include "syncd/domain/result.h"

namespace syncd::pipeline {

// What clients are told about a database fault, in NACK details, entry
// `last_error`s and REST/WebSocket error messages (docs/reliability.md). The
// store's own message (SQLite's text, paths) goes to the log only.
inline constexpr char kDatabaseUnavailable[] = "database unavailable; retry later";
inline constexpr char kDatabaseRefused[] = "the database refused this entry";
inline constexpr char kRetriesExhausted[] = "retries exhausted; database unavailable";
inline constexpr char kQueueFull[] = "queue full; try again later";
inline constexpr char kShuttingDown[] = "server shutting down";
inline constexpr char kOperatorRejected[] = "rejected by an operator";
inline constexpr char kTenantDeleted[] = "tenant deleted";
inline constexpr char kTenantReset[] = "tenant reset";
// A client told to come back after a shutdown tries again after this long.
inline constexpr int64_t kShuttingDownRetryAfterMs = 1000;

// The entry's state once its delivery is sent: what a transport may still
// expect for it.
enum class FinalState {
  kDone,     // finished for good (an ACK, or a permanent NACK)
  kDead,     // dead-lettered: an operator's retry/ack/nack answers it later
  kRefused,  // nothing durable was decided: the client sends it again
};

namespace results {

// ACKs, decided by last-write-wins or by an operator.
domain::EntryResult Applied(std::string checksum, int64_t now_ms);
domain::EntryResult Superseded(std::string stored_checksum, int64_t now_ms);
domain::EntryResult Manual(std::string checksum, int64_t now_ms);

// NACKs. Not permanent ones carry the time after which to send again.
domain::EntryResult RateLimited(int64_t retry_after_ms, int64_t now_ms);  // queue full
domain::EntryResult ShuttingDown(int64_t now_ms);
domain::EntryResult DatabaseUnavailable(int64_t retry_after_ms, int64_t now_ms);
domain::EntryResult RetriesExhausted(int64_t retry_after_ms, int64_t now_ms);
domain::EntryResult DatabaseRefused(int64_t now_ms);  // permanent
domain::EntryResult Validation(std::string detail, int64_t now_ms);
// An entry refused as it was read (validation or permission; permanent).
domain::EntryResult EntryRefused(const domain::EntryError& error, int64_t now_ms);
domain::EntryResult OperatorRejected(std::string detail, int64_t now_ms);  // "" = the default text
// An entry of a tenant deleted or reset while it waited (system_error, not
// permanent: nothing was decided about it; the client may send it again).
domain::EntryResult TenantPurged(bool removed, int64_t now_ms);

}  // namespace results
}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_RESULTS_H_
