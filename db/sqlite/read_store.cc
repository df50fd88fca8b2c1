// The SQLite read side: ReadStore over its own SOCI session, calls serialised
// by a mutex, plus the factory OpenSqliteReadStore. Its SQL is in sql.h.
#include <soci/soci.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include "soci_util.h"
#include "sqlite/connection.h"
#include "sqlite/native_statement.h"
#include "sqlite/row_mapping.h"
#include "sqlite/sql.h"
#include "syncd/db/sqlite_store.h"

namespace syncd::db {
namespace {

using domain::EntityType;

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
    // Loads stream rows as views into SQLite's own buffers: native
    // statements (native_statement.h), prepared once.
    struct {
      Stmt* target;
      const char* sql;
    } const statements[] = {
        {&begin_, sqlite::kBeginRead},          {&commit_, sqlite::kCommit},
        {&rollback_, sqlite::kRollback},        {&change_position_, sqlite::kGetChangePosition},
        {&load_live_, sqlite::kLoadLiveOfType}, {&load_changed_, sqlite::kLoadChangedOfType},
    };
    for (const auto& [target, sql] : statements) {
      *target = std::make_unique<NativeStatement>(sql_, sql);
      if (!(*target)->ok()) return (*target)->status();
    }
    return Status::Ok();
  }

  Status GetChangePosition(std::string_view tenant_id, ChangePosition* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    return ChangePositionLocked(tenant_id, out);
  }

  // One read transaction, so that the position and the rows are of the same
  // snapshot (the pipeline commits meanwhile without disturbing it: WAL).
  Status ReadLoad(std::string_view tenant_id, int64_t since_seq, ChangePosition* at,
                  const LoadVisitor& visit) override {
    std::lock_guard<std::mutex> lock(mu_);
    Status s = begin_->Run("begin load");
    if (!s.ok()) return s;
    try {
      s = ChangePositionLocked(tenant_id, at);
      for (EntityType type : domain::AllEntityTypes()) {
        if (!s.ok()) break;
        s = VisitType(tenant_id, type, since_seq, visit);
      }
    } catch (...) {
      // The visitor failed (out of memory): end the snapshot, then rethrow.
      rollback_->Run("end load");
      throw;
    }
    Status end = s.ok() ? commit_->Run("end load") : rollback_->Run("end load");
    return s.ok() ? end : s;
  }

  Status ListEntities(std::string_view tenant_id, const std::vector<EntityType>& types,
                      bool include_deleted, std::vector<StoredEntity>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      std::string tenant(tenant_id), type, id, data, checksum, source;
      long long version = 0, modified = 0;
      int deleted = 0;
      const char* query = include_deleted ? sqlite::kListEntities : sqlite::kListLiveEntities;
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
          (sql_.prepare << sqlite::kListConflicts, soci::into(type), soci::into(c.entity_id),
           soci::into(c.entry_id), soci::into(incoming), soci::into(stored),
           soci::into(c.incoming_checksum), soci::into(c.stored_checksum), soci::into(c.resolution),
           soci::into(detected), soci::use(tenant), soci::use(limit));
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
      soci::statement st = (sql_.prepare << sqlite::kGetCheckpoint, soci::into(seq),
                            soci::into(c.last_entry_id), soci::into(at), soci::use(c.tenant_id));
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
        sql_ << sqlite::kOldestUnfinishedOfTenant, soci::into(received, ind), soci::use(tenant);
      } else {
        sql_ << sqlite::kOldestUnfinished, soci::into(received, ind);
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
    return LoadCountersFrom(sql_, counters);
  }

  Status Ping() override {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      int one = 0;
      sql_ << sqlite::kPing, soci::into(one);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "ping");
    }
    return Status::Ok();
  }

 private:
  using Stmt = std::unique_ptr<NativeStatement>;

  Status ChangePositionLocked(std::string_view tenant_id, ChangePosition* out) {
    NativeStatement& st = *change_position_;
    st.Text(1, tenant_id);
    bool found = false;
    Status s = st.Step("change position", &found);
    if (!s.ok()) return s;
    *out = ChangePosition{};
    if (found) {
      out->seq = st.ColumnInt(0);
      out->epoch = st.ColumnInt(1);
    }
    st.Reset();
    return Status::Ok();
  }

  Status VisitType(std::string_view tenant_id, EntityType type, int64_t since_seq,
                   const LoadVisitor& visit) {
    const bool full = since_seq == kFullLoad;
    NativeStatement& st = full ? *load_live_ : *load_changed_;
    st.Text(1, tenant_id).Text(2, domain::EntityTypeName(type));
    if (!full) st.Int(3, since_seq);
    LoadRow row;
    row.type = type;
    for (;;) {
      bool found = false;
      Status s = st.Step("load entities", &found);
      if (!s.ok()) return s;
      if (!found) break;
      row.entity_id = st.ColumnText(0);
      row.data = st.ColumnText(1);
      row.deleted = st.ColumnInt(2) != 0;
      try {
        visit(row);
      } catch (...) {
        st.Reset();
        throw;
      }
    }
    st.Reset();
    return Status::Ok();
  }

  std::mutex mu_;
  soci::session sql_;
  std::unique_ptr<EntryFinder> finder_;
  Stmt begin_, commit_, rollback_, change_position_, load_live_, load_changed_;
};

}  // namespace

std::unique_ptr<ReadStore> OpenSqliteReadStore(const SqliteOptions& options, Status* status) {
  ConfigureSqliteOnce();
  auto store = std::make_unique<SqliteReadStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
