#include "syncd/db/sqlite_store.h"

#include <fcntl.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "checkpointer.h"
#include "file_identity.h"
#include "native_statement.h"
#include "schema.h"
#include "soci_util.h"

namespace syncd::db {

namespace {

using domain::EntityType;

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
    // A larger page cache and memory-mapped reads: the write path re-reads
    // index and entity pages of recent batches (pread + copy otherwise).
    *sql << "PRAGMA cache_size=-" + std::to_string(options.cache_kib);
    *sql << "PRAGMA mmap_size=" + std::to_string(options.mmap_bytes);
    *sql << "PRAGMA temp_store=MEMORY";
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
      if (r.acked) r.outcome = domain::ParseOutcome(outcome_);
      r.reason = domain::ParseNackReason(reason_).value_or(domain::NackReason::kSystem);
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

// The write side: one SOCI session (schema, recovery, maintenance) whose
// per-entry statements run as native prepared statements on the same
// connection (native_statement.h says why). Pipeline thread only.
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
    // The files this store writes, for CheckFiles() after each commit. The
    // WAL exists from the first read in OpenSession until the last
    // connection closes.
    bool exists = false;
    s = db_file_.Remember(options.path, &exists);
    if (s.ok() && !exists) s = Status::Permanent("database " + options.path + " not found");
    if (s.ok()) s = wal_file_.Remember(options.path + "-wal", &exists);
    if (!s.ok()) return s;
    // Checkpoints run on their own thread: the hook replaces SQLite's
    // automatic checkpoint in the committing (pipeline) thread.
    s = checkpointer_.Start(options.path, options.synchronous);
    if (!s.ok()) return s;
    auto* backend = static_cast<soci::sqlite3_session_backend*>(sql_.get_backend());
    sqlite_api::sqlite3_wal_hook(
        backend->conn_,
        [](void* arg, sqlite_api::sqlite3*, const char*, int pages) {
          static_cast<Checkpointer*>(arg)->Notify(pages);
          return SQLITE_OK;
        },
        &checkpointer_);
    return Prepare();
  }

  Status Begin(TxnKind) override {
    if (!lost_.ok()) return lost_;
    return begin_->Run("begin");
  }
  // A commit is only reported ok once the files it went to are still the
  // database's: what was written to a deleted or replaced file must never be
  // acknowledged.
  Status Commit() override {
    if (!lost_.ok()) return lost_;
    Status s = commit_->Run("commit");
    if (!s.ok()) return s;
    return CheckFiles();
  }
  Status Rollback() override { return rollback_->Run("rollback"); }
  Status Savepoint() override { return savepoint_->Run("savepoint"); }
  Status ReleaseSavepoint() override { return release_->Run("release savepoint"); }
  Status RollbackToSavepoint() override {
    Status s = rollback_to_->Run("rollback to savepoint");
    if (!s.ok()) return s;
    return release_->Run("release savepoint");
  }

  Status InsertEntry(const domain::SyncEntry& entry, int64_t received_at_ms, EntryState state,
                     int64_t lease_until_ms, int64_t* seq, bool* inserted) override {
    NativeStatement& st = *insert_entry_;
    st.Text(1, entry.tenant_id)
        .Text(2, entry.id)
        .Text(3, domain::EntityTypeName(entry.entity_type))
        .Text(4, entry.entity_id)
        .Text(5, domain::OperationName(entry.operation))
        .Text(6, entry.data)
        .Int(7, entry.version_ms)
        .Int(8, entry.client_timestamp_ms)
        .Text(9, EntryStateName(state))
        .Int(10, lease_until_ms)
        .Int(11, received_at_ms)
        .Int(12, state == EntryState::kInFlight ? 1 : 0);  // inserted already claimed
    Status s = st.Run("insert entry");
    if (!s.ok()) return s;
    *inserted = st.Changes() > 0;
    if (*inserted) *seq = st.LastInsertRowid();
    return Status::Ok();
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    return finder_->Find(tenant_id, entry_id, row);
  }

  Status ClaimEntry(int64_t seq, int attempts, int64_t lease_until_ms) override {
    return claim_->Int(1, attempts).Int(2, lease_until_ms).Int(3, seq).Run("claim entry");
  }

  Status ScheduleRetry(int64_t seq, int attempts, int64_t next_attempt_at_ms,
                       std::string_view last_error) override {
    return retry_->Int(1, attempts)
        .Int(2, next_attempt_at_ms)
        .Text(3, last_error)
        .Int(4, seq)
        .Run("schedule retry");
  }

  Status FinishEntry(int64_t seq, EntryState state, const domain::EntryResult& result,
                     int64_t finished_at_ms, std::string_view last_error) override {
    return finish_->Text(1, EntryStateName(state))
        .Int(2, result.acked ? 1 : 2)
        .Text(3, result.acked && result.outcome ? domain::OutcomeName(*result.outcome)
                                                : std::string_view())
        .Text(4, result.acked ? std::string_view() : domain::NackReasonName(result.reason))
        .Text(5, result.detail)
        .Int(6, result.retry_after_ms)
        .Text(7, result.checksum)
        .Int(8, result.server_timestamp_ms)
        .Int(9, state == EntryState::kDone ? finished_at_ms : 0)
        .Text(10, last_error)
        .Int(11, seq)
        .Run("finish entry");
  }

  Status RequeueEntry(int64_t seq) override { return requeue_->Int(1, seq).Run("requeue entry"); }

  Status LoadUnfinished(std::vector<QueueRow>* rows) override {
    try {
      QueueRowColumns columns;
      soci::details::prepare_temp_type p =
          (sql_.prepare << std::string("SELECT ") + QueueRowColumns::kColumns +
                               " FROM sync_queue WHERE finished_at_ms = 0 AND state <> 'dead'"
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
    NativeStatement& st = *get_entity_;
    st.Text(1, tenant_id).Text(2, domain::EntityTypeName(type)).Text(3, entity_id);
    bool found = false;
    Status s = st.Step("get entity", &found);
    if (!s.ok()) return s;
    entity->reset();
    if (found) {
      StoredEntity& out = entity->emplace();
      out.tenant_id.assign(tenant_id);
      out.type = type;
      out.entity_id.assign(entity_id);
      out.version_ms = st.ColumnInt(0);
      out.deleted = st.ColumnInt(1) != 0;
      out.data.assign(st.ColumnText(2));
      out.checksum.assign(st.ColumnText(3));
      out.modified_at_ms = st.ColumnInt(4);
      out.source_entry_id.assign(st.ColumnText(5));
    }
    st.Reset();
    return Status::Ok();
  }

  Status PutEntity(const StoredEntity& entity) override {
    return put_entity_->Text(1, entity.tenant_id)
        .Text(2, domain::EntityTypeName(entity.type))
        .Text(3, entity.entity_id)
        .Int(4, entity.version_ms)
        .Int(5, entity.deleted ? 1 : 0)
        .Text(6, entity.data)
        .Text(7, entity.checksum)
        .Int(8, entity.modified_at_ms)
        .Text(9, entity.source_entry_id)
        .Run("put entity");
  }

  Status InsertConflict(const ConflictRecord& c) override {
    return insert_conflict_->Text(1, c.tenant_id)
        .Text(2, domain::EntityTypeName(c.type))
        .Text(3, c.entity_id)
        .Text(4, c.entry_id)
        .Int(5, c.incoming_version_ms)
        .Int(6, c.stored_version_ms)
        .Text(7, c.incoming_checksum)
        .Text(8, c.stored_checksum)
        .Text(9, c.resolution)
        .Int(10, c.detected_at_ms)
        .Run("insert conflict");
  }

  Status InsertSyncLog(const SyncLogRecord& r) override {
    return insert_log_->Int(1, r.seq)
        .Text(2, r.tenant_id)
        .Text(3, r.entry_id)
        .Text(4, domain::EntityTypeName(r.type))
        .Text(5, r.entity_id)
        .Text(6, domain::OperationName(r.operation))
        .Text(7, r.result)
        .Int(8, r.finished_at_ms)
        .Run("insert sync log");
  }

  Status PutCheckpoint(const Checkpoint& c) override {
    return put_checkpoint_->Text(1, c.tenant_id)
        .Int(2, c.last_seq)
        .Text(3, c.last_entry_id)
        .Int(4, c.last_applied_at_ms)
        .Run("put checkpoint");
  }

  Status AddCounters(const CounterMap& deltas) override {
    for (const auto& [key, delta] : deltas) {
      if (delta == 0) continue;
      Status s =
          add_counter_->Text(1, key.first).Text(2, key.second).Int(3, delta).Run("add counter");
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
  using Stmt = std::unique_ptr<NativeStatement>;

  // After a commit: do the paths still name the files this connection
  // writes? If not, the store is lost for this process: every later Begin
  // and Commit returns the same Unavailable status (reopening an empty
  // database at the path would acknowledge entries into a database that lost
  // its history). Before giving up, a copy of the open database (everything
  // committed, which includes everything acknowledged) is written back to
  // the path if nothing is there, for the restart.
  Status CheckFiles() {
    Status s = db_file_.Check();
    if (s.ok()) s = wal_file_.Check();
    if (s.ok()) return s;
    std::string copy = RescueCopy();
    std::string message = s.message() + "; nothing more is written or acknowledged until syncd ";
    if (copy == db_file_.path()) {
      message += "restarts (the open database was copied back to " + copy + ")";
    } else if (!copy.empty()) {
      message += "restarts (the open database was copied to " + copy + "; move it to " +
                 db_file_.path() + " before the restart)";
    } else {
      message += "restarts (no copy of the open database could be written)";
    }
    std::fprintf(stderr, "syncd: database lost: %s\n", message.c_str());
    lost_ = Status::Unavailable(message);
    return lost_;
  }

  // A consistent copy of the open database (SQLite's online backup, read
  // through this connection, so it sees the deleted file and its WAL) at
  // <db>.rescued-<pid>, then hard-linked to the database path if that names
  // nothing (link(2) never replaces a file). Returns where the copy is, or
  // "" if it could not be written.
  std::string RescueCopy() {
    const std::string& path = db_file_.path();
    std::string copy = path + ".rescued-" + std::to_string(::getpid());
    auto* backend = static_cast<soci::sqlite3_session_backend*>(sql_.get_backend());
    sqlite_api::sqlite3* dest = nullptr;
    int rc = sqlite_api::sqlite3_open_v2(copy.c_str(), &dest,
                                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc == SQLITE_OK) {
      sqlite_api::sqlite3_backup* backup =
          sqlite_api::sqlite3_backup_init(dest, "main", backend->conn_, "main");
      if (backup != nullptr) {
        rc = sqlite_api::sqlite3_backup_step(backup, -1);
        sqlite_api::sqlite3_backup_finish(backup);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
      } else {
        rc = sqlite_api::sqlite3_errcode(dest);
      }
    }
    sqlite_api::sqlite3_close(dest);
    if (rc != SQLITE_OK) {
      ::unlink(copy.c_str());
      return "";
    }
    if (::link(copy.c_str(), path.c_str()) == 0) {
      ::unlink(copy.c_str());
      return path;
    }
    return copy;
  }

  Status Prepare() {
    struct {
      Stmt* target;
      const char* sql;
    } const statements[] = {
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&savepoint_, "SAVEPOINT entry"},
        {&release_, "RELEASE entry"},
        {&rollback_to_, "ROLLBACK TO entry"},
        {&insert_entry_,
         "INSERT OR IGNORE INTO sync_queue(tenant_id, entry_id, entity_type, entity_id, operation,"
         " data, version_ms, client_ts_ms, state, lease_until_ms, received_at_ms, attempts)"
         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
        {&claim_,
         "UPDATE sync_queue SET state = 'in_flight', attempts = ?1, lease_until_ms = ?2"
         " WHERE seq = ?3"},
        {&retry_,
         "UPDATE sync_queue SET state = 'retry_wait', attempts = ?1, next_attempt_at_ms = ?2,"
         " last_error = ?3, lease_until_ms = 0 WHERE seq = ?4"},
        {&requeue_,
         "UPDATE sync_queue SET state = 'pending', attempts = 0, lease_until_ms = 0,"
         " next_attempt_at_ms = 0, result_kind = 0, result_outcome = '', result_reason = '',"
         " result_detail = '', result_retry_after_ms = 0, result_checksum = '',"
         " result_server_ts_ms = 0 WHERE seq = ?1"},
        {&finish_,
         "UPDATE sync_queue SET state = ?1, result_kind = ?2, result_outcome = ?3,"
         " result_reason = ?4, result_detail = ?5, result_retry_after_ms = ?6,"
         " result_checksum = ?7, result_server_ts_ms = ?8, finished_at_ms = ?9,"
         " last_error = ?10, lease_until_ms = 0, next_attempt_at_ms = 0,"
         // A finished entry keeps its result, not its payload (the entity has
         // it): the queue stays small over the retention period.
         " data = CASE WHEN ?1 = 'done' THEN '' ELSE data END WHERE seq = ?11"},
        {&get_entity_,
         "SELECT version_ms, deleted, data, checksum, modified_at_ms, source_entry_id"
         " FROM entities WHERE tenant_id = ?1 AND entity_type = ?2 AND entity_id = ?3"},
        {&put_entity_,
         "INSERT INTO entities(tenant_id, entity_type, entity_id, version_ms, deleted, data,"
         " checksum, modified_at_ms, source_entry_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
         " ON CONFLICT(tenant_id, entity_type, entity_id) DO UPDATE SET"
         " version_ms = excluded.version_ms, deleted = excluded.deleted, data = excluded.data,"
         " checksum = excluded.checksum, modified_at_ms = excluded.modified_at_ms,"
         " source_entry_id = excluded.source_entry_id"},
        {&insert_conflict_,
         "INSERT INTO conflicts(tenant_id, entity_type, entity_id, entry_id, incoming_version_ms,"
         " stored_version_ms, incoming_checksum, stored_checksum, resolution, detected_at_ms)"
         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
        {&insert_log_,
         "INSERT INTO sync_log(seq, tenant_id, entry_id, entity_type, entity_id, operation,"
         " result, finished_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        {&put_checkpoint_,
         "INSERT OR REPLACE INTO checkpoints(tenant_id, last_seq, last_entry_id,"
         " last_applied_at_ms) VALUES(?1, ?2, ?3, ?4)"},
        {&add_counter_,
         "INSERT INTO counters(scope, name, value) VALUES(?1, ?2, ?3)"
         " ON CONFLICT(scope, name) DO UPDATE SET value = value + excluded.value"},
    };
    for (const auto& [target, sql] : statements) {
      *target = std::make_unique<NativeStatement>(sql_, sql);
      if (!(*target)->ok()) return (*target)->status();
    }
    try {
      finder_ = std::make_unique<EntryFinder>(sql_);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "prepare statements");
    }
    return Status::Ok();
  }

  WriterLock lock_;
  FileIdentity db_file_, wal_file_;
  Status lost_;                // Unavailable once the database files were found deleted or replaced
  Checkpointer checkpointer_;  // destroyed after the session (members in reverse)
  soci::session sql_;
  std::unique_ptr<EntryFinder> finder_;
  Stmt begin_, commit_, rollback_, savepoint_, release_, rollback_to_, insert_entry_, claim_,
      retry_, requeue_, finish_, get_entity_, put_entity_, insert_conflict_, insert_log_,
      put_checkpoint_, add_counter_;
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
      if (!tenant.empty()) {
        // Arrival order is seq order: the first row of the tenant in the
        // sync_queue_open index (tenant_id, seq), without scanning the rest.
        sql_ << "SELECT received_at_ms FROM sync_queue"
                " WHERE tenant_id = :t AND finished_at_ms = 0 AND state <> 'dead'"
                " ORDER BY seq LIMIT 1",
            soci::into(received, ind), soci::use(tenant);
      } else {
        sql_ << "SELECT min(received_at_ms) FROM sync_queue"
                " WHERE finished_at_ms = 0 AND state <> 'dead'",
            soci::into(received, ind);
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

namespace {
// Each connection is used by one thread at a time (the write store by the
// pipeline thread, each read store under its own mutex), so SQLite's
// per-call connection mutexes are not needed. Must precede any connection.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD); });
}
}  // namespace

std::unique_ptr<WriteStore> OpenSqliteWriteStore(const SqliteOptions& options, Status* status) {
  ConfigureSqliteOnce();
  auto store = std::make_unique<SqliteWriteStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

std::unique_ptr<ReadStore> OpenSqliteReadStore(const SqliteOptions& options, Status* status) {
  ConfigureSqliteOnce();
  auto store = std::make_unique<SqliteReadStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
