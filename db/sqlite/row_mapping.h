// Private: rows of the SQLite tables to and from the plain structs of
// store.h, for reads that go through SOCI. The write path's native
// statements map their few columns where they run (write_store.cc).
#ifndef SYNCD_DB_SQLITE_ROW_MAPPING_H_
#define SYNCD_DB_SQLITE_ROW_MAPPING_H_

#include <soci/soci.h>

#include <optional>
#include <string>
#include <string_view>

#include "syncd/db/store.h"

namespace syncd::db {

// The columns of a queue row, bound as into() targets of a SELECT of the
// queue row columns (sql.h: kFindEntry, kLoadUnfinished), in that order.
// One statement's buffers: not shared between statements.
class QueueRowColumns {
 public:
  void Bind(soci::details::prepare_temp_type& p);
  // The row last fetched. A name no enum knows (a newer or damaged file)
  // reads as the first value, except a NACK reason, which reads as system.
  QueueRow Row() const;

 private:
  long long seq_ = 0, version_ = 0, client_ts_ = 0, lease_ = 0, next_attempt_ = 0, received_ = 0,
            finished_ = 0, retry_after_ = 0, server_ts_ = 0;
  int attempts_ = 0, result_kind_ = 0;
  std::string tenant_, entry_, type_, entity_id_, op_, data_, state_, last_error_, outcome_,
      reason_, detail_, checksum_;
};

// Finds one queue row by (tenant, entry id): a statement prepared once on
// `sql`, shared by both stores. The caller serialises calls (one session,
// one thread at a time).
class EntryFinder {
 public:
  explicit EntryFinder(soci::session& sql);  // throws soci::soci_error
  EntryFinder(const EntryFinder&) = delete;
  EntryFinder& operator=(const EntryFinder&) = delete;

  Status Find(std::string_view tenant_id, std::string_view entry_id, std::optional<QueueRow>* row);

 private:
  soci::statement Prepare(soci::session& sql);

  QueueRowColumns columns_;
  std::string tenant_, entry_;
  soci::statement find_;
};

// Every counter row into *counters (both stores read them).
Status LoadCountersFrom(soci::session& sql, CounterMap* counters);

}  // namespace syncd::db

#endif  // SYNCD_DB_SQLITE_ROW_MAPPING_H_
