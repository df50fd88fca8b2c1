#include "syncd/db/sqlite_store.h"

#include <fcntl.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "schema.h"
#include "soci_util.h"

namespace syncd::db {

std::string_view EntryStateName(EntryState state) {
  switch (state) {
    case EntryState::kPending:
      return "pending";
    case EntryState::kInFlight:
      return "in_flight";
    case EntryState::kRetryWait:
      return "retry_wait";
    case EntryState::kDone:
      return "done";
    case EntryState::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<EntryState> ParseEntryState(std::string_view name) {
  for (EntryState s : {EntryState::kPending, EntryState::kInFlight, EntryState::kRetryWait,
                       EntryState::kDone, EntryState::kDead}) {
    if (EntryStateName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

using domain::EntityType;

std::optional<domain::NackReason> ParseReason(std::string_view name) {
  for (auto r : {domain::NackReason::kValidation, domain::NackReason::kPermission,
                 domain::NackReason::kConstraint, domain::NackReason::kSystem,
                 domain::NackReason::kRateLimit}) {
    if (domain::NackReasonName(r) == name) return r;
  }
  return std::nullopt;
}

std::optional<domain::Outcome> ParseOutcome(std::string_view name) {
  for (auto o :
       {domain::Outcome::kApplied, domain::Outcome::kSuperseded, domain::Outcome::kManual}) {
    if (domain::OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

// service.md: the database file is created with its folder if missing.
Status CreateParentFolder(const std::string& db_path) {
  std::filesystem::path path(db_path);
  if (!path.has_parent_path()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::Permanent("cannot create folder of " + db_path + ": " + ec.message());
  return Status::Ok();
}

// Opens a session with the pragmas every connection needs.
Status OpenSession(const SqliteOptions& options, bool create_schema, soci::session* sql) {
  Status folder = CreateParentFolder(options.path);
  if (!folder.ok()) return folder;
  try {
    sql->open(soci::sqlite3, "db=" + options.path);
    *sql << "PRAGMA busy_timeout=" + std::to_string(options.busy_timeout_ms);
    std::string mode;
    *sql << "PRAGMA journal_mode=WAL", soci::into(mode);
    *sql << "PRAGMA synchronous=" + options.synchronous;
    if (create_schema) {
      for (const char* const* stmt = kSqliteSchema; *stmt != nullptr; ++stmt) *sql << *stmt;
    }
    // A read that fails tells us early that the file is not a database.
    int tables = 0;
    *sql << "SELECT count(*) FROM sqlite_master", soci::into(tables);
  } catch (const soci::soci_error& e) {
    return StatusFromSociError(e, "open " + options.path);
  }
  return Status::Ok();
}

// The columns of a queue row, bound as into() targets of a SELECT of kColumns.
class QueueRowColumns {
 public:
  static constexpr const char* kColumns =
      "seq, tenant_id, entry_id, entity_type, entity_id, operation, data, version_ms,"
      " client_ts_ms, state, attempts, lease_until_ms, next_attempt_at_ms, last_error,"
      " received_at_ms, finished_at_ms, result_kind, result_outcome, result_reason,"
      " result_detail, result_retry_after_ms, result_checksum, result_server_ts_ms";

  void Bind(soci::details::prepare_temp_type& p) {
    p, soci::into(seq_), soci::into(tenant_), soci::into(entry_), soci::into(type_),
        soci::into(entity_id_), soci::into(op_), soci::into(data_), soci::into(version_),
        soci::into(client_ts_), soci::into(state_), soci::into(attempts_), soci::into(lease_),
        soci::into(next_attempt_), soci::into(last_error_), soci::into(received_),
        soci::into(finished_), soci::into(result_kind_), soci::into(outcome_), soci::into(reason_),
        soci::into(detail_), soci::into(retry_after_), soci::into(checksum_),
        soci::into(server_ts_);
  }

  QueueRow Row() const {
    QueueRow row;
    row.seq = seq_;
    row.entry.id = entry_;
    row.entry.tenant_id = tenant_;
    row.entry.entity_type = domain::ParseEntityType(type_).value_or(EntityType::kAccount);
    row.entry.entity_id = entity_id_;
    row.entry.operation = domain::ParseOperation(op_).value_or(domain::Operation::kUpdate);
    row.entry.data = data_;
    row.entry.version_ms = version_;
    row.entry.client_timestamp_ms = client_ts_;
    row.state = ParseEntryState(state_).value_or(EntryState::kPending);
    row.attempts = attempts_;
    row.lease_until_ms = lease_;
    row.next_attempt_at_ms = next_attempt_;
    row.last_error = last_error_;
    row.received_at_ms = received_;
    row.finished_at_ms = finished_;
    if (result_kind_ != 0) {
      domain::EntryResult r;
      r.acked = result_kind_ == 1;
      r.outcome = ParseOutcome(outcome_).value_or(domain::Outcome::kApplied);
      r.reason = ParseReason(reason_).value_or(domain::NackReason::kSystem);
      r.detail = detail_;
      r.retry_after_ms = retry_after_;
      r.checksum = checksum_;
      r.server_timestamp_ms = server_ts_;
      row.result = std::move(r);
    }
    return row;
  }

 private:
  long long seq_ = 0, version_ = 0, client_ts_ = 0, lease_ = 0, next_attempt_ = 0, received_ = 0,
            finished_ = 0, retry_after_ = 0, server_ts_ = 0;
  int attempts_ = 0, result_kind_ = 0;
  std::string tenant_, entry_, type_, entity_id_, op_, data_, state_, last_error_, outcome_,
      reason_, detail_, checksum_;
};

// Finds one queue row by (tenant, entry id); shared by both stores.
class EntryFinder {
 public:
  explicit EntryFinder(soci::session& sql) : find_(Prepare(sql)) {}

  Status Find(std::string_view tenant_id, std::string_view entry_id, std::optional<QueueRow>* row) {
    tenant_.assign(tenant_id);
    entry_.assign(entry_id);
    try {
      row->reset();
      if (find_.execute(true)) *row = columns_.Row();
      ResetStatement(find_);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "find entry");
    }
    return Status::Ok();
  }

 private:
  soci::statement Prepare(soci::session& sql) {
    soci::details::prepare_temp_type p =
        (sql.prepare << std::string("SELECT ") + QueueRowColumns::kColumns +
                            " FROM sync_queue WHERE tenant_id = :t AND entry_id = :e");
    columns_.Bind(p);
    p, soci::use(tenant_), soci::use(entry_);
    return soci::statement(p);
  }

  QueueRowColumns columns_;
  std::string tenant_, entry_;
  soci::statement find_;
};

// Only one process may write a database file: an advisory lock on a file next
// to it, released by the kernel when the process dies (kill -9 included).
class WriterLock {
 public:
  ~WriterLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Acquire(const std::string& db_path) {
    std::string path = db_path + ".lock";
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::Permanent("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return Status::Permanent("database " + db_path + " is in use by another syncd process");
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

// The write side on one SOCI session with prepared statements bound to member
// variables (set the members, execute). Pipeline thread only.
class SqliteWriteStore final : public WriteStore {
 public:
  SqliteWriteStore() = default;
  SqliteWriteStore(const SqliteWriteStore&) = delete;
  SqliteWriteStore& operator=(const SqliteWriteStore&) = delete;

  Status Open(const SqliteOptions& options) {
    Status s = CreateParentFolder(options.path);
    if (!s.ok()) return s;
    s = lock_.Acquire(options.path);
    if (!s.ok()) return s;
    s = OpenSession(options, /*create_schema=*/true, &sql_);
    if (!s.ok()) return s;
    try {
      Prepare();
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "prepare statements");
    }
    finder_ = std::make_unique<EntryFinder>(sql_);
    return Status::Ok();
  }

  Status Begin(TxnKind) override { return Run(*begin_, "begin"); }
  Status Commit() override { return Run(*commit_, "commit"); }
  Status Rollback() override { return Run(*rollback_, "rollback"); }
  Status Savepoint() override { return Run(*savepoint_, "savepoint"); }
  Status ReleaseSavepoint() override { return Run(*release_, "release savepoint"); }
  Status RollbackToSavepoint() override {
    Status s = Run(*rollback_to_, "rollback to savepoint");
    if (!s.ok()) return s;
    return Run(*release_, "release savepoint");
  }

  Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms, EntryState state,
                     int64_t lease_until_ms, int64_t* seq, bool* inserted) override {
    q_tenant_ = entry.tenant_id;
    q_entry_ = entry.id;
    q_type_ = domain::EntityTypeName(entry.entity_type);
    q_entity_ = entry.entity_id;
    q_op_ = domain::OperationName(entry.operation);
    q_data_ = entry.data;
    q_version_ = entry.version_ms;
    q_client_ts_ = entry.client_timestamp_ms;
    q_state_ = EntryStateName(state);
    q_lease_ = lease_until_ms;
    q_received_ = received_at_ms;
    q_attempts_ = state == EntryState::kInFlight ? 1 : 0;  // inserted already claimed
    try {
      insert_entry_->execute(true);
      *inserted = insert_entry_->get_affected_rows() > 0;
      if (*inserted) {
        long long id = 0;
        sql_.get_last_insert_id("sync_queue", id);
        *seq = id;
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "insert entry");
    }
    return Status::Ok();
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    return finder_->Find(tenant_id, entry_id, row);
  }

  Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) override {
    u_seq_ = seq;
    u_attempts_ = attempts;
    u_time_ = lease_until_ms;
    return Run(*claim_, "claim entry");
  }

  Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                       std::string_view last_error) override {
    u_seq_ = seq;
    u_attempts_ = attempts;
    u_time_ = next_attempt_at_ms;
    u_error_.assign(last_error);
    return Run(*retry_, "schedule retry");
  }

  Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                     int64_t finished_at_ms, std::string_view last_error) override {
    f_seq_ = seq;
    f_state_ = EntryStateName(state);
    f_kind_ = result.acked ? 1 : 2;
    f_outcome_ = result.acked ? domain::OutcomeName(result.outcome) : "";
    f_reason_ = result.acked ? "" : domain::NackReasonName(result.reason);
    f_detail_ = result.detail;
    f_retry_after_ = result.retry_after_ms;
    f_checksum_ = result.checksum;
    f_server_ts_ = result.server_timestamp_ms;
    f_finished_ = state == EntryState::kDone ? finished_at_ms : 0;
    f_error_.assign(last_error);
    return Run(*finish_, "finish entry");
  }

  Status RequeueEntry(int64_t seq) override {
    u_seq_ = seq;
    return Run(*requeue_, "requeue entry");
  }

  Status LoadUnfinished(std::vector<QueueRow>* rows) override {
    try {
      QueueRowColumns columns;
      soci::details::prepare_temp_type p =
          (sql_.prepare
           << std::string("SELECT ") + QueueRowColumns::kColumns +
                  " FROM sync_queue WHERE state IN ('pending','in_flight','retry_wait')"
                  " ORDER BY seq");
      columns.Bind(p);
      soci::statement st(p);
      st.execute();
      while (st.fetch()) rows->push_back(columns.Row());
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "load unfinished");
    }
    return Status::Ok();
  }

  Status GetEntity(std::string_view tenant_id, EntityType type, std::string_view entity_id,
                   std::optional<StoredEntity>* entity) override {
    e_tenant_.assign(tenant_id);
    e_type_ = domain::EntityTypeName(type);
    e_id_.assign(entity_id);
    try {
      entity->reset();
      if (get_entity_->execute(true)) {
        StoredEntity out;
        out.tenant_id = e_tenant_;
        out.type = type;
        out.entity_id = e_id_;
        out.version_ms = e_version_;
        out.deleted = e_deleted_ != 0;
        out.data = e_data_;
        out.checksum = e_checksum_;
        out.modified_at_ms = e_modified_;
        out.source_entry_id = e_source_;
        *entity = std::move(out);
      }
      ResetStatement(*get_entity_);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "get entity");
    }
    return Status::Ok();
  }

  Status PutEntity(const StoredEntity& entity) override {
    e_tenant_ = entity.tenant_id;
    e_type_ = domain::EntityTypeName(entity.type);
    e_id_ = entity.entity_id;
    e_version_ = entity.version_ms;
    e_deleted_ = entity.deleted ? 1 : 0;
    e_data_ = entity.data;
    e_checksum_ = entity.checksum;
    e_modified_ = entity.modified_at_ms;
    e_source_ = entity.source_entry_id;
    return Run(*put_entity_, "put entity");
  }

  Status InsertConflict(const ConflictRecord& c) override {
    c_ = c;
    c_type_ = domain::EntityTypeName(c.type);
    c_incoming_ = c.incoming_version_ms;
    c_stored_ = c.stored_version_ms;
    c_detected_ = c.detected_at_ms;
    return Run(*insert_conflict_, "insert conflict");
  }

  Status InsertSyncLog(const SyncLogRecord& r) override {
    l_ = r;
    l_seq_ = r.seq;
    l_type_ = domain::EntityTypeName(r.type);
    l_op_ = domain::OperationName(r.operation);
    l_finished_ = r.finished_at_ms;
    return Run(*insert_log_, "insert sync log");
  }

  Status PutCheckpoint(const Checkpoint& c) override {
    k_ = c;
    k_seq_ = c.last_seq;
    k_time_ = c.last_applied_at_ms;
    return Run(*put_checkpoint_, "put checkpoint");
  }

  Status AddCounters(const CounterMap& deltas) override {
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      n_scope_ = key.first;
      n_name_ = key.second;
      n_value_ = delta;
      Status s = Run(*add_counter_, "add counter");
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status LoadCounters(CounterMap* counters) override { return LoadCountersFrom(sql_, counters); }

  static Status LoadCountersFrom(soci::session& sql, CounterMap* counters) {
    try {
      std::string scope, name;
      long long value = 0;
      soci::statement st = (sql.prepare << "SELECT scope, name, value FROM counters",
                            soci::into(scope), soci::into(name), soci::into(value));
      st.execute();
      while (st.fetch()) (*counters)[{scope, name}] = value;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "load counters");
    }
    return Status::Ok();
  }

  Status DeleteFinishedBefore(int64_t cutoff_ms, int limit, int* deleted) override {
    try {
      long long cutoff = cutoff_ms;
      soci::statement del =
          (sql_.prepare << "DELETE FROM sync_queue WHERE seq IN (SELECT seq FROM sync_queue"
                           " WHERE finished_at_ms > 0 AND finished_at_ms < :c"
                           " ORDER BY finished_at_ms LIMIT :n)",
           soci::use(cutoff), soci::use(limit));
      del.execute(true);
      *deleted = static_cast<int>(del.get_affected_rows());
      sql_ << "DELETE FROM sync_log WHERE id IN (SELECT id FROM sync_log"
              " WHERE finished_at_ms < :c ORDER BY finished_at_ms LIMIT :n)",
          soci::use(cutoff), soci::use(limit);
      sql_ << "DELETE FROM conflicts WHERE id IN (SELECT id FROM conflicts"
              " WHERE detected_at_ms < :c ORDER BY id LIMIT :n)",
          soci::use(cutoff), soci::use(limit);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "delete finished");
    }
    return Status::Ok();
  }

  Status InsertMetricSnapshot(int64_t taken_at_ms, std::string_view body,
                              int64_t delete_before_ms) override {
    try {
      long long taken = taken_at_ms, before = delete_before_ms;
      std::string text(body);
      sql_ << "INSERT INTO metric_snapshots(taken_at_ms, body) VALUES(:t, :b)", soci::use(taken),
          soci::use(text);
      sql_ << "DELETE FROM metric_snapshots WHERE taken_at_ms < :b", soci::use(before);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "metric snapshot");
    }
    return Status::Ok();
  }

 private:
  static Status Run(soci::statement& st, const char* what) {
    try {
      st.execute(true);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, what);
    }
    return Status::Ok();
  }

  using Stmt = std::unique_ptr<soci::statement>;
  Stmt Make(soci::details::prepare_temp_type p) { return std::make_unique<soci::statement>(p); }

  void Prepare() {
    begin_ = Make(sql_.prepare << "BEGIN IMMEDIATE");
    commit_ = Make(sql_.prepare << "COMMIT");
    rollback_ = Make(sql_.prepare << "ROLLBACK");
    savepoint_ = Make(sql_.prepare << "SAVEPOINT entry");
    release_ = Make(sql_.prepare << "RELEASE entry");
    rollback_to_ = Make(sql_.prepare << "ROLLBACK TO entry");
    insert_entry_ = Make(
        (sql_.prepare << "INSERT OR IGNORE INTO sync_queue(tenant_id, entry_id, entity_type,"
                         " entity_id, operation, data, version_ms, client_ts_ms, state,"
                         " lease_until_ms, received_at_ms, attempts)"
                         " VALUES(:t, :e, :ty, :id, :op, :d, :v, :c, :s, :l, :r, :a)",
         soci::use(q_tenant_), soci::use(q_entry_), soci::use(q_type_), soci::use(q_entity_),
         soci::use(q_op_), soci::use(q_data_), soci::use(q_version_), soci::use(q_client_ts_),
         soci::use(q_state_), soci::use(q_lease_), soci::use(q_received_), soci::use(q_attempts_)));
    claim_ = Make((sql_.prepare << "UPDATE sync_queue SET state = 'in_flight', attempts = :a,"
                                   " lease_until_ms = :l WHERE seq = :s",
                   soci::use(u_attempts_), soci::use(u_time_), soci::use(u_seq_)));
    retry_ =
        Make((sql_.prepare << "UPDATE sync_queue SET state = 'retry_wait', attempts = :a,"
                              " next_attempt_at_ms = :n, last_error = :e, lease_until_ms = 0"
                              " WHERE seq = :s",
              soci::use(u_attempts_), soci::use(u_time_), soci::use(u_error_), soci::use(u_seq_)));
    requeue_ = Make((sql_.prepare << "UPDATE sync_queue SET state = 'pending', attempts = 0,"
                                     " lease_until_ms = 0, next_attempt_at_ms = 0, result_kind = 0,"
                                     " result_outcome = '', result_reason = '', result_detail = '',"
                                     " result_retry_after_ms = 0, result_checksum = '',"
                                     " result_server_ts_ms = 0 WHERE seq = :s",
                     soci::use(u_seq_)));
    finish_ = Make(
        (sql_.prepare << "UPDATE sync_queue SET state = :st, result_kind = :k, result_outcome = :o,"
                         " result_reason = :r, result_detail = :d, result_retry_after_ms = :ra,"
                         " result_checksum = :c, result_server_ts_ms = :ts, finished_at_ms = :f,"
                         " last_error = :e, lease_until_ms = 0, next_attempt_at_ms = 0"
                         " WHERE seq = :s",
         soci::use(f_state_), soci::use(f_kind_), soci::use(f_outcome_), soci::use(f_reason_),
         soci::use(f_detail_), soci::use(f_retry_after_), soci::use(f_checksum_),
         soci::use(f_server_ts_), soci::use(f_finished_), soci::use(f_error_), soci::use(f_seq_)));
    get_entity_ =
        Make((sql_.prepare << "SELECT version_ms, deleted, data, checksum, modified_at_ms,"
                              " source_entry_id FROM entities"
                              " WHERE tenant_id = :t AND entity_type = :ty AND entity_id = :id",
              soci::into(e_version_), soci::into(e_deleted_), soci::into(e_data_),
              soci::into(e_checksum_), soci::into(e_modified_), soci::into(e_source_),
              soci::use(e_tenant_), soci::use(e_type_), soci::use(e_id_)));
    put_entity_ =
        Make((sql_.prepare << "INSERT INTO entities(tenant_id, entity_type, entity_id, version_ms,"
                              " deleted, data, checksum, modified_at_ms, source_entry_id)"
                              " VALUES(:t, :ty, :id, :v, :del, :d, :c, :m, :src)"
                              " ON CONFLICT(tenant_id, entity_type, entity_id) DO UPDATE SET"
                              " version_ms = excluded.version_ms, deleted = excluded.deleted,"
                              " data = excluded.data, checksum = excluded.checksum,"
                              " modified_at_ms = excluded.modified_at_ms,"
                              " source_entry_id = excluded.source_entry_id",
              soci::use(e_tenant_), soci::use(e_type_), soci::use(e_id_), soci::use(e_version_),
              soci::use(e_deleted_), soci::use(e_data_), soci::use(e_checksum_),
              soci::use(e_modified_), soci::use(e_source_)));
    insert_conflict_ =
        Make((sql_.prepare << "INSERT INTO conflicts(tenant_id, entity_type, entity_id, entry_id,"
                              " incoming_version_ms, stored_version_ms, incoming_checksum,"
                              " stored_checksum, resolution, detected_at_ms)"
                              " VALUES(:t, :ty, :id, :e, :iv, :sv, :ic, :sc, :r, :d)",
              soci::use(c_.tenant_id), soci::use(c_type_), soci::use(c_.entity_id),
              soci::use(c_.entry_id), soci::use(c_incoming_), soci::use(c_stored_),
              soci::use(c_.incoming_checksum), soci::use(c_.stored_checksum),
              soci::use(c_.resolution), soci::use(c_detected_)));
    insert_log_ = Make(
        (sql_.prepare << "INSERT INTO sync_log(seq, tenant_id, entry_id, entity_type, entity_id,"
                         " operation, result, finished_at_ms)"
                         " VALUES(:s, :t, :e, :ty, :id, :op, :r, :f)",
         soci::use(l_seq_), soci::use(l_.tenant_id), soci::use(l_.entry_id), soci::use(l_type_),
         soci::use(l_.entity_id), soci::use(l_op_), soci::use(l_.result), soci::use(l_finished_)));
    put_checkpoint_ = Make(
        (sql_.prepare << "INSERT OR REPLACE INTO checkpoints(tenant_id, last_seq, last_entry_id,"
                         " last_applied_at_ms) VALUES(:t, :s, :e, :a)",
         soci::use(k_.tenant_id), soci::use(k_seq_), soci::use(k_.last_entry_id),
         soci::use(k_time_)));
    add_counter_ = Make(
        (sql_.prepare << "INSERT INTO counters(scope, name, value) VALUES(:s, :n, :v)"
                         " ON CONFLICT(scope, name) DO UPDATE SET value = value + excluded.value",
         soci::use(n_scope_), soci::use(n_name_), soci::use(n_value_)));
  }

  WriterLock lock_;
  soci::session sql_;
  std::unique_ptr<EntryFinder> finder_;
  Stmt begin_, commit_, rollback_, savepoint_, release_, rollback_to_, insert_entry_, claim_,
      retry_, requeue_, finish_, get_entity_, put_entity_, insert_conflict_, insert_log_,
      put_checkpoint_, add_counter_;

  // Bound values, one group per statement.
  std::string q_tenant_, q_entry_, q_type_, q_entity_, q_op_, q_data_, q_state_;
  long long q_version_ = 0, q_client_ts_ = 0, q_lease_ = 0, q_received_ = 0;
  int q_attempts_ = 0;
  long long u_seq_ = 0, u_time_ = 0;
  int u_attempts_ = 0;
  std::string u_error_;
  std::string f_state_, f_outcome_, f_reason_, f_detail_, f_checksum_, f_error_;
  int f_kind_ = 0;
  long long f_retry_after_ = 0, f_server_ts_ = 0, f_finished_ = 0, f_seq_ = 0;
  std::string e_tenant_, e_type_, e_id_, e_data_, e_checksum_, e_source_;
  long long e_version_ = 0, e_modified_ = 0;
  int e_deleted_ = 0;
  ConflictRecord c_;
  std::string c_type_;
  long long c_incoming_ = 0, c_stored_ = 0, c_detected_ = 0;
  SyncLogRecord l_;
  std::string l_type_, l_op_;
  long long l_seq_ = 0, l_finished_ = 0;
  Checkpoint k_;
  long long k_seq_ = 0, k_time_ = 0;
  std::string n_scope_, n_name_;
  long long n_value_ = 0;
};

// The read side: its own connection, calls serialised by a mutex.
class SqliteReadStore final : public ReadStore {
 public:
  SqliteReadStore() = default;
  SqliteReadStore(const SqliteReadStore&) = delete;
  SqliteReadStore& operator=(const SqliteReadStore&) = delete;

  Status Open(const SqliteOptions& options) {
    Status s = OpenSession(options, /*create_schema=*/true, &sql_);
    if (!s.ok()) return s;
    try {
      finder_ = std::make_unique<EntryFinder>(sql_);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "prepare statements");
    }
    return Status::Ok();
  }

  Status ListEntities(std::string_view tenant_id, const std::vector<EntityType>& types,
                      bool include_deleted, std::vector<StoredEntity>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      std::string tenant(tenant_id), type, id, data, checksum, source;
      long long version = 0, modified = 0;
      int deleted = 0;
      std::string query =
          "SELECT entity_type, entity_id, version_ms, deleted, data, checksum, modified_at_ms,"
          " source_entry_id FROM entities WHERE tenant_id = :t";
      if (!include_deleted) query += " AND deleted = 0";
      query += " ORDER BY entity_type, entity_id";
      soci::statement st =
          (sql_.prepare << query, soci::into(type), soci::into(id), soci::into(version),
           soci::into(deleted), soci::into(data), soci::into(checksum), soci::into(modified),
           soci::into(source), soci::use(tenant));
      st.execute();
      while (st.fetch()) {
        auto parsed = domain::ParseEntityType(type);
        if (!parsed) continue;
        if (!types.empty() && std::find(types.begin(), types.end(), *parsed) == types.end()) {
          continue;
        }
        StoredEntity e;
        e.tenant_id = tenant;
        e.type = *parsed;
        e.entity_id = id;
        e.version_ms = version;
        e.deleted = deleted != 0;
        e.data = data;
        e.checksum = checksum;
        e.modified_at_ms = modified;
        e.source_entry_id = source;
        out->push_back(std::move(e));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "list entities");
    }
    return Status::Ok();
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    std::lock_guard<std::mutex> lock(mu_);
    return finder_->Find(tenant_id, entry_id, row);
  }

  Status ListConflicts(std::string_view tenant_id, int limit,
                       std::vector<ConflictRecord>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      std::string tenant(tenant_id);
      ConflictRecord c;
      std::string type;
      long long incoming = 0, stored = 0, detected = 0;
      soci::statement st =
          (sql_.prepare << "SELECT entity_type, entity_id, entry_id, incoming_version_ms,"
                           " stored_version_ms, incoming_checksum, stored_checksum, resolution,"
                           " detected_at_ms FROM conflicts WHERE tenant_id = :t"
                           " ORDER BY id DESC LIMIT :n",
           soci::into(type), soci::into(c.entity_id), soci::into(c.entry_id), soci::into(incoming),
           soci::into(stored), soci::into(c.incoming_checksum), soci::into(c.stored_checksum),
           soci::into(c.resolution), soci::into(detected), soci::use(tenant), soci::use(limit));
      st.execute();
      while (st.fetch()) {
        ConflictRecord r = c;
        r.tenant_id = tenant;
        r.type = domain::ParseEntityType(type).value_or(EntityType::kAccount);
        r.incoming_version_ms = incoming;
        r.stored_version_ms = stored;
        r.detected_at_ms = detected;
        out->push_back(std::move(r));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "list conflicts");
    }
    return Status::Ok();
  }

  Status GetCheckpoint(std::string_view tenant_id, std::optional<Checkpoint>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      Checkpoint c;
      c.tenant_id = tenant_id;
      long long seq = 0, at = 0;
      soci::statement st =
          (sql_.prepare << "SELECT last_seq, last_entry_id, last_applied_at_ms FROM checkpoints"
                           " WHERE tenant_id = :t",
           soci::into(seq), soci::into(c.last_entry_id), soci::into(at), soci::use(c.tenant_id));
      out->reset();
      if (st.execute(true)) {
        c.last_seq = seq;
        c.last_applied_at_ms = at;
        *out = c;
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "get checkpoint");
    }
    return Status::Ok();
  }

  Status OldestUnfinished(std::string_view tenant_id,
                          std::optional<int64_t>* received_at_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      std::string tenant(tenant_id);
      long long received = 0;
      soci::indicator ind = soci::i_null;
      std::string query =
          "SELECT min(received_at_ms) FROM sync_queue"
          " WHERE state IN ('pending','in_flight','retry_wait')";
      if (!tenant.empty()) {
        query += " AND tenant_id = :t";
        sql_ << query, soci::into(received, ind), soci::use(tenant);
      } else {
        sql_ << query, soci::into(received, ind);
      }
      received_at_ms->reset();
      if (ind == soci::i_ok) *received_at_ms = received;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "oldest unfinished");
    }
    return Status::Ok();
  }

  Status LoadCounters(CounterMap* counters) override {
    std::lock_guard<std::mutex> lock(mu_);
    return SqliteWriteStore::LoadCountersFrom(sql_, counters);
  }

  Status Ping() override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      int one = 0;
      sql_ << "SELECT 1", soci::into(one);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "ping");
    }
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  soci::session sql_;
  std::unique_ptr<EntryFinder> finder_;
};

}  // namespace

std::unique_ptr<WriteStore> OpenSqliteWriteStore(const SqliteOptions& options, Status* status) {
  auto store = std::make_unique<SqliteWriteStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

std::unique_ptr<ReadStore> OpenSqliteReadStore(const SqliteOptions& options, Status* status) {
  auto store = std::make_unique<SqliteReadStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
