// Names of the counters kept in the counters table (store.h, CounterMap).
#ifndef SYNCD_DB_COUNTERS_H_
#define SYNCD_DB_COUNTERS_H_

namespace syncd::db::counters {

// Depth: entries currently in each unfinished state (and dead).
inline constexpr char kPending[] = "depth.pending";
inline constexpr char kInFlight[] = "depth.in_flight";
inline constexpr char kRetryWait[] = "depth.retry_wait";
inline constexpr char kDead[] = "depth.dead";
// Totals since the database was created.
inline constexpr char kReceived[] = "total.received";  // entries that reached the pipeline
inline constexpr char kApplied[] = "total.applied";
inline constexpr char kSuperseded[] = "total.superseded";
inline constexpr char kManual[] = "total.manual";
inline constexpr char kDuplicates[] = "total.duplicates";
inline constexpr char kNacked[] = "total.nacked";
inline constexpr char kRetries[] = "total.retries";
inline constexpr char kDeadLettered[] = "total.dead_lettered";

}  // namespace syncd::db::counters

#endif  // SYNCD_DB_COUNTERS_H_
