// The PostgreSQL read side: ReadStore over its own libpq connection, calls
// serialised by a mutex, plus the factory OpenPostgresReadStore. Its SQL is
// in postgres/sql.h.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "postgres/pg_connection.h"
#include "postgres/rows.h"
#include "postgres/schema.h"
#include "postgres/sql.h"
#include "syncd/db/postgres_store.h"

namespace syncd::db {
namespace {

using domain::EntityType;

// The read side: its own connection (reconnected when it broke), calls
// serialised by a mutex. Each read is one statement in autocommit: a
// consistent snapshot of its own.
class PostgresReadStore final : public ReadStore {
 public:
  PostgresReadStore() = default;
  PostgresReadStore(const PostgresReadStore&) = delete;
  PostgresReadStore& operator=(const PostgresReadStore&) = delete;

  Status Open(const PostgresOptions& options) {
    instance_timeout_ms_ = options.instance_timeout_ms;
    Status s = conn_.Open(options.url, options.connect_timeout_s, RedactedUrl(options.url));
    if (s.ok()) s = EnsureSchema(&conn_);
    if (!s.ok()) return s;
    struct {
      const char* name;
      const char* sql;
    } const statements[] = {
        {"find_entry", postgres::kFindEntry},
        {"list_entities", postgres::kListEntities},
        {"list_live_entities", postgres::kListLiveEntities},
        {"list_conflicts", postgres::kListConflicts},
        {"get_checkpoint", postgres::kGetCheckpoint},
        {"oldest_of_tenant", postgres::kOldestUnfinishedOfTenant},
        {"oldest", postgres::kOldestUnfinished},
        {"load_counters", postgres::kLoadCounters},
        {"ping", postgres::kPing},
        {"list_instances", postgres::kListInstances},
        {"get_change_position", postgres::kGetChangePosition},
        {"load_live", postgres::kLoadLiveOfType},
        {"load_changed", postgres::kLoadChangedOfType},
    };
    for (const auto& [name, sql] : statements) {
      s = conn_.Prepare(name, sql);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status GetChangePosition(std::string_view tenant_id, ChangePosition* out) override {
    PgParams p;
    p.Text(tenant_id);
    PgResult r;
    Status s = Run("get_change_position", p, "change position", &r);
    if (!s.ok()) return s;
    *out = ChangePosition{};
    if (r.rows() > 0) {
      out->seq = r.Int(0, 0);
      out->epoch = r.Int(0, 1);
    }
    return Status::Ok();
  }

  // One REPEATABLE READ transaction, so that the position and the rows are
  // of one snapshot (other instances commit meanwhile without disturbing
  // it); rows come in pages (sql.h kLoadPage), so a load holds one page.
  Status ReadLoad(std::string_view tenant_id, int64_t since_seq, ChangePosition* at,
                  const LoadVisitor& visit) override {
    std::lock_guard<std::mutex> lock(mu_);
    Status s = conn_.broken() ? conn_.Reconnect() : Status::Ok();
    if (s.ok()) s = conn_.Exec(postgres::kBeginLoad, "begin load");
    if (!s.ok()) return s;
    try {
      PgParams p;
      p.Text(tenant_id);
      PgResult r;
      s = conn_.Run("get_change_position", p, "change position", &r);
      if (s.ok()) {
        *at = ChangePosition{};
        if (r.rows() > 0) {
          at->seq = r.Int(0, 0);
          at->epoch = r.Int(0, 1);
        }
      }
      for (EntityType type : domain::AllEntityTypes()) {
        if (!s.ok()) break;
        s = VisitType(tenant_id, type, since_seq, visit);
      }
    } catch (...) {
      // The visitor failed (out of memory): end the snapshot, then rethrow.
      conn_.Exec(postgres::kRollback, "end load");
      throw;
    }
    if (!s.ok()) {
      if (!conn_.broken()) conn_.Exec(postgres::kRollback, "end load");
      return s;
    }
    return conn_.Exec(postgres::kCommit, "end load");
  }

  Status ListEntities(std::string_view tenant_id, const std::vector<EntityType>& types,
                      bool include_deleted, std::vector<StoredEntity>* out) override {
    PgParams p;
    p.Text(tenant_id);
    PgResult r;
    Status s =
        Run(include_deleted ? "list_entities" : "list_live_entities", p, "list entities", &r);
    if (!s.ok()) return s;
    for (int i = 0; i < r.rows(); ++i) {
      auto parsed = domain::ParseEntityType(r.Text(i, 0));
      if (!parsed) continue;
      if (!types.empty() && std::find(types.begin(), types.end(), *parsed) == types.end()) {
        continue;
      }
      StoredEntity e;
      e.tenant_id.assign(tenant_id);
      e.type = *parsed;
      e.entity_id.assign(r.Text(i, 1));
      e.version_ms = r.Int(i, 2);
      e.deleted = r.Int(i, 3) != 0;
      e.data.assign(r.Text(i, 4));
      e.checksum.assign(r.Text(i, 5));
      e.modified_at_ms = r.Int(i, 6);
      e.source_entry_id.assign(r.Text(i, 7));
      out->push_back(std::move(e));
    }
    return Status::Ok();
  }

  Status FindEntry(std::string_view tenant_id, std::string_view entry_id,
                   std::optional<QueueRow>* row) override {
    PgParams p;
    p.Text(tenant_id).Text(entry_id);
    PgResult r;
    Status s = Run("find_entry", p, "find entry", &r);
    if (!s.ok()) return s;
    row->reset();
    if (r.rows() > 0) *row = QueueRowAt(r, 0);
    return Status::Ok();
  }

  Status ListConflicts(std::string_view tenant_id, int limit,
                       std::vector<ConflictRecord>* out) override {
    PgParams p;
    p.Text(tenant_id).Int(limit);
    PgResult r;
    Status s = Run("list_conflicts", p, "list conflicts", &r);
    if (!s.ok()) return s;
    for (int i = 0; i < r.rows(); ++i) {
      ConflictRecord c;
      c.tenant_id.assign(tenant_id);
      c.type = domain::ParseEntityType(r.Text(i, 0)).value_or(EntityType::kAccount);
      c.entity_id.assign(r.Text(i, 1));
      c.entry_id.assign(r.Text(i, 2));
      c.incoming_version_ms = r.Int(i, 3);
      c.stored_version_ms = r.Int(i, 4);
      c.incoming_checksum.assign(r.Text(i, 5));
      c.stored_checksum.assign(r.Text(i, 6));
      c.resolution.assign(r.Text(i, 7));
      c.detected_at_ms = r.Int(i, 8);
      out->push_back(std::move(c));
    }
    return Status::Ok();
  }

  Status GetCheckpoint(std::string_view tenant_id, std::optional<Checkpoint>* out) override {
    PgParams p;
    p.Text(tenant_id);
    PgResult r;
    Status s = Run("get_checkpoint", p, "get checkpoint", &r);
    if (!s.ok()) return s;
    out->reset();
    if (r.rows() > 0) {
      Checkpoint c;
      c.tenant_id.assign(tenant_id);
      c.last_seq = r.Int(0, 0);
      c.last_entry_id.assign(r.Text(0, 1));
      c.last_applied_at_ms = r.Int(0, 2);
      *out = std::move(c);
    }
    return Status::Ok();
  }

  Status OldestUnfinished(std::string_view tenant_id,
                          std::optional<int64_t>* received_at_ms) override {
    PgParams p;
    if (!tenant_id.empty()) p.Text(tenant_id);
    PgResult r;
    Status s = Run(tenant_id.empty() ? "oldest" : "oldest_of_tenant", p, "oldest unfinished", &r);
    if (!s.ok()) return s;
    received_at_ms->reset();
    if (r.rows() > 0 && !PQgetisnull(r.get(), 0, 0)) *received_at_ms = r.Int(0, 0);
    return Status::Ok();
  }

  Status LoadCounters(CounterMap* counters) override {
    PgParams p;
    PgResult r;
    Status s = Run("load_counters", p, "load counters", &r);
    if (!s.ok()) return s;
    for (int i = 0; i < r.rows(); ++i) {
      (*counters)[{std::string(r.Text(i, 0)), std::string(r.Text(i, 1))}] = r.Int(i, 2);
    }
    return Status::Ok();
  }

  Status Ping() override {
    PgParams p;
    return Run("ping", p, "ping", nullptr);
  }

  Status ListInstances(std::vector<InstanceRow>* out) override {
    PgParams p;
    p.Int(instance_timeout_ms_);
    PgResult r;
    Status s = Run("list_instances", p, "list instances", &r);
    if (!s.ok()) return s;
    for (int i = 0; i < r.rows(); ++i) {
      InstanceRow row;
      row.id.assign(r.Text(i, 0));
      row.connections = r.Int(i, 1);
      row.last_heartbeat_ms = r.Int(i, 2);
      row.in_flight = r.Int(i, 3);
      out->push_back(std::move(row));
    }
    return Status::Ok();
  }

 private:
  // Pages of one type, after the last entity id (full loads) or change_seq
  // (incremental loads) of the page before.
  Status VisitType(std::string_view tenant_id, EntityType type, int64_t since_seq,
                   const LoadVisitor& visit) {
    const bool full = since_seq == kFullLoad;
    std::string after_id;
    int64_t after_seq = since_seq;
    LoadRow row;
    row.type = type;
    for (;;) {
      PgParams p;
      p.Text(tenant_id).Text(domain::EntityTypeName(type));
      if (full) {
        p.Text(after_id);
      } else {
        p.Int(after_seq);
      }
      p.Int(postgres::kLoadPage);
      PgResult r;
      Status s = conn_.Run(full ? "load_live" : "load_changed", p, "load entities", &r);
      if (!s.ok()) return s;
      for (int i = 0; i < r.rows(); ++i) {
        row.entity_id = r.Text(i, 0);
        row.data = r.Text(i, 1);
        row.deleted = r.Int(i, 2) != 0;
        visit(row);
      }
      if (r.rows() < postgres::kLoadPage) return Status::Ok();
      if (full) {
        after_id.assign(r.Text(r.rows() - 1, 0));
      } else {
        after_seq = r.Int(r.rows() - 1, 3);
      }
    }
  }

  // One statement. A connection found broken (before, or by this very
  // statement: libpq notices only when a call fails) is reconnected and the
  // read tried once more; it fails transiently while the server is away.
  Status Run(const char* name, PgParams& params, const char* what, PgResult* out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int attempt = 0;; ++attempt) {
      Status s = conn_.broken() ? conn_.Reconnect() : Status::Ok();
      if (s.ok()) s = conn_.Run(name, params, what, out);
      if (s.ok() || attempt == 1 || !conn_.broken()) return s;
    }
  }

  std::mutex mu_;
  PgConnection conn_;
  int64_t instance_timeout_ms_ = 10000;
};

}  // namespace

std::unique_ptr<ReadStore> OpenPostgresReadStore(const PostgresOptions& options, Status* status) {
  auto store = std::make_unique<PostgresReadStore>();
  *status = store->Open(options);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
