// The ConsoleStore over SOCI shared by the SQLite and PostgreSQL engines:
// the engine's statements come in a ConsoleSql, its session from its opener.
#include "soci_console_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "soci_util.h"

namespace syncd::db {

namespace {

using domain::EntityType;

// "a_b%" -> "a\_b\%" for LIKE ... ESCAPE '\'.
std::string LikeEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

class SociConsoleStore final : public ConsoleStore {
 public:
  explicit SociConsoleStore(const ConsoleEngine& engine)
      : sql_(engine.sql),
        history_scan_rows_(engine.history_scan_rows),
        reconnect_when_lost_(engine.reconnect_when_lost) {}
  SociConsoleStore(const SociConsoleStore&) = delete;
  SociConsoleStore& operator=(const SociConsoleStore&) = delete;

  Status Open(const ConsoleSessionOpener& open) { return open(session_); }

  Status ListDead(const DeadLetterFilter& f, std::vector<QueueRow>* out, int64_t* total) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      std::string where = sql_.dead_from;
      std::string tenant = f.tenant_id, type = f.entity_type,
                  error = "%" + LikeEscaped(f.error) + "%";
      if (!tenant.empty()) where += sql_.and_tenant_is;
      if (!type.empty()) where += sql_.and_entity_type_is;
      if (!f.error.empty()) where += sql_.and_last_error_like;
      auto bind = [&](soci::details::prepare_temp_type& p) {
        if (!tenant.empty()) p, soci::use(tenant, "t");
        if (!type.empty()) p, soci::use(type, "ty");
        if (!f.error.empty()) p, soci::use(error, "e");
      };
      long long count = 0;
      {
        soci::details::prepare_temp_type p = (session_.prepare << sql_.select_count + where);
        p, soci::into(count);
        bind(p);
        soci::statement st(p);
        st.execute(true);
      }
      *total = count;
      long long seq = 0, version = 0, client_ts = 0, received = 0, server_ts = 0;
      int attempts = 0, limit = f.limit, offset = f.offset;
      std::string t, entry, ty, entity, op, data, last_error, reason, detail;
      soci::details::prepare_temp_type p =
          (session_.prepare << sql_.select_dead_columns + where + sql_.dead_page);
      p, soci::into(seq), soci::into(t), soci::into(entry), soci::into(ty), soci::into(entity),
          soci::into(op), soci::into(data), soci::into(version), soci::into(client_ts),
          soci::into(attempts), soci::into(last_error), soci::into(received), soci::into(reason),
          soci::into(detail), soci::into(server_ts);
      bind(p);
      p, soci::use(limit, "n"), soci::use(offset, "o");
      soci::statement st(p);
      st.execute();
      while (st.fetch()) {
        QueueRow row;
        row.seq = seq;
        row.entry.tenant_id = t;
        row.entry.id = entry;
        row.entry.entity_type = domain::ParseEntityType(ty).value_or(EntityType::kAccount);
        row.entry.entity_id = entity;
        row.entry.operation = domain::ParseOperation(op).value_or(domain::Operation::kUpdate);
        row.entry.data = data;
        row.entry.version_ms = version;
        row.entry.client_timestamp_ms = client_ts;
        row.state = EntryState::kDead;
        row.attempts = attempts;
        row.last_error = last_error;
        row.received_at_ms = received;
        domain::EntryResult r;
        r.acked = false;
        r.detail = detail;
        r.server_timestamp_ms = server_ts;
        row.result = r;
        out->push_back(std::move(row));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "list dead entries");
    }
    return Status::Ok();
  }

  Status ListConflicts(const ConflictFilter& f, std::vector<ConsoleConflict>* out,
                       int64_t* total) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    std::string where = sql_.conflicts_from;
    std::string tenant = f.tenant_id;
    if (!tenant.empty()) where += sql_.and_tenant_is;
    if (f.status == "open") where += sql_.and_conflict_open;
    if (f.status == "resolved") where += sql_.and_conflict_resolved;
    try {
      long long count = 0;
      {
        soci::details::prepare_temp_type p = (session_.prepare << sql_.select_count + where);
        p, soci::into(count);
        if (!tenant.empty()) p, soci::use(tenant, "t");
        soci::statement st(p);
        st.execute(true);
      }
      *total = count;
      return SelectConflicts(where + sql_.conflict_page, tenant, 0, f.limit, f.offset, out);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "list conflicts");
    }
  }

  Status GetConflict(int64_t id, std::optional<ConsoleConflict>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    std::vector<ConsoleConflict> rows;
    try {
      Status s = SelectConflicts(sql_.conflict_by_id, "", id, 0, 0, &rows);
      if (!s.ok()) return s;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "get conflict");
    }
    out->reset();
    if (!rows.empty()) *out = std::move(rows.front());
    return Status::Ok();
  }

  Status ResolveConflict(int64_t id, const std::string& action, const std::string& resolved_by,
                         int64_t at_ms, const std::string& entry_id, bool* changed) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      long long key = id, at = at_ms;
      std::string how = action, by = resolved_by, entry = entry_id;
      soci::statement st =
          (session_.prepare << sql_.resolve_conflict, soci::use(how, "r"), soci::use(by, "b"),
           soci::use(at, "a"), soci::use(entry, "e"), soci::use(key, "id"));
      st.execute(true);
      *changed = st.get_affected_rows() > 0;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "resolve conflict");
    }
    return Status::Ok();
  }

  Status ReopenConflict(int64_t id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      long long key = id;
      session_ << sql_.reopen_conflict, soci::use(key);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "reopen conflict");
    }
    return Status::Ok();
  }

  Status ListTenants(std::vector<TenantSummaryRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    std::map<std::string, TenantSummaryRow> by_id;
    auto row = [&](const std::string& id) -> TenantSummaryRow& {
      TenantSummaryRow& r = by_id[id];
      r.tenant_id = id;
      return r;
    };
    try {
      std::string tenant, type;
      long long n = 0;
      {
        soci::statement st = (session_.prepare << sql_.count_live_entities_by_tenant_and_type,
                              soci::into(tenant), soci::into(type), soci::into(n));
        st.execute();
        while (st.fetch()) row(tenant).entities_by_type.emplace_back(type, n);
      }
      {
        soci::statement st = (session_.prepare << sql_.tenants_with_counters, soci::into(tenant));
        st.execute();
        while (st.fetch()) row(tenant);
      }
      {
        soci::statement st =
            (session_.prepare << sql_.count_dead_by_tenant, soci::into(tenant), soci::into(n));
        st.execute();
        while (st.fetch()) row(tenant).dead = n;
      }
      {
        soci::statement st = (session_.prepare << sql_.count_open_conflicts_by_tenant,
                              soci::into(tenant), soci::into(n));
        st.execute();
        while (st.fetch()) row(tenant).open_conflicts = n;
      }
      {
        soci::statement st =
            (session_.prepare << sql_.last_applied_by_tenant, soci::into(tenant), soci::into(n));
        st.execute();
        while (st.fetch()) row(tenant).last_applied_at_ms = n;
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "list tenants");
    }
    for (auto& [id, r] : by_id) out->push_back(std::move(r));
    return Status::Ok();
  }

  Status SearchEntities(const std::string& tenant_id, const std::string& entity_type,
                        const std::string& query, int limit, int offset,
                        std::vector<StoredEntity>* out, int64_t* total) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      std::string tenant = tenant_id, type = entity_type, like = "%" + LikeEscaped(query) + "%";
      std::string where = sql_.entities_of_tenant_from;
      if (!type.empty()) where += sql_.and_entity_type_is;
      if (!query.empty()) where += sql_.and_entity_matches;
      auto bind = [&](soci::details::prepare_temp_type& p) {
        p, soci::use(tenant, "t");
        if (!type.empty()) p, soci::use(type, "ty");
        if (!query.empty()) p, soci::use(like, "q");
      };
      long long count = 0;
      {
        soci::details::prepare_temp_type p = (session_.prepare << sql_.select_count + where);
        p, soci::into(count);
        bind(p);
        soci::statement st(p);
        st.execute(true);
      }
      *total = count;
      StoredEntity e;
      std::string ty;
      long long version = 0, modified = 0;
      int deleted = 0;
      soci::details::prepare_temp_type p =
          (session_.prepare << sql_.select_entity_columns + where + sql_.entity_page);
      p, soci::into(ty), soci::into(e.entity_id), soci::into(version), soci::into(deleted),
          soci::into(e.data), soci::into(e.checksum), soci::into(modified),
          soci::into(e.source_entry_id);
      bind(p);
      p, soci::use(limit, "n"), soci::use(offset, "o");
      soci::statement st(p);
      st.execute();
      while (st.fetch()) {
        StoredEntity r = e;
        r.tenant_id = tenant;
        r.type = domain::ParseEntityType(ty).value_or(EntityType::kAccount);
        r.version_ms = version;
        r.deleted = deleted != 0;
        r.modified_at_ms = modified;
        out->push_back(std::move(r));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "search entities");
    }
    return Status::Ok();
  }

  Status GetEntity(const std::string& tenant_id, const std::string& entity_type,
                   const std::string& entity_id, std::optional<StoredEntity>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      StoredEntity e;
      long long version = 0, modified = 0;
      int deleted = 0;
      std::string t = tenant_id, ty = entity_type, id = entity_id;
      soci::statement st =
          (session_.prepare << sql_.console_get_entity, soci::into(version), soci::into(deleted),
           soci::into(e.data), soci::into(e.checksum), soci::into(modified),
           soci::into(e.source_entry_id), soci::use(t), soci::use(ty), soci::use(id));
      out->reset();
      if (st.execute(true)) {
        e.tenant_id = t;
        e.type = domain::ParseEntityType(ty).value_or(EntityType::kAccount);
        e.entity_id = id;
        e.version_ms = version;
        e.deleted = deleted != 0;
        e.modified_at_ms = modified;
        *out = std::move(e);
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "get entity");
    }
    return Status::Ok();
  }

  Status EntityHistory(const std::string& tenant_id, const std::string& entity_type,
                       const std::string& entity_id, int limit,
                       std::vector<HistoryRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    // SQLite's sync_log has no index by entity (one more index write per
    // applied entry cost ~10% of the write path's rate): scan the newest
    // history_scan_rows rows backwards by rowid instead, on this reader's own
    // connection. PostgreSQL's (tenant_id, id) primary key serves the
    // tenant's newest rows first: no floor.
    long long floor = 0;
    if (sql_.max_sync_log_id != nullptr) {
      try {
        soci::indicator ind = soci::i_null;
        session_ << sql_.max_sync_log_id, soci::into(floor, ind);
        floor = ind == soci::i_ok ? floor - history_scan_rows_ : 0;
      } catch (const soci::soci_error& e) {
        return StatusFromSociError(e, "entity history");
      }
    }
    HistoryQuery q;
    q.tenant = tenant_id;
    q.type = entity_type;
    q.entity = entity_id;
    q.floor = floor;
    Status s = SelectHistory(sql_.entity_history_where + std::to_string(limit), q, out);
    if (!s.ok()) return s;
    // Newest first by time: an operator's row is stamped when it was asked,
    // before the effects the pipeline logged.
    std::stable_sort(out->begin(), out->end(), [](const HistoryRow& a, const HistoryRow& b) {
      return a.record.finished_at_ms > b.record.finished_at_ms;
    });
    return Status::Ok();
  }

  Status EntryHistory(const std::string& tenant_id, const std::string& entry_id,
                      std::vector<HistoryRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    // The entry's rows were written after it was received: a range of the
    // sync_log_finished index, filtered by tenant and entry id.
    HistoryQuery q;
    q.tenant = tenant_id;
    q.entry = entry_id;
    try {
      std::string t = tenant_id, e = entry_id;
      soci::indicator ind = soci::i_null;
      long long received = 0;
      session_ << sql_.entry_received_at, soci::into(received, ind), soci::use(t), soci::use(e);
      if (ind != soci::i_ok) return Status::Ok();
      q.since = received;
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "entry history");
    }
    return SelectHistory(sql_.entry_history_where, q, out);
  }

  Status EntryAttempts(const std::string& tenant_id, const std::string& entry_id,
                       std::vector<AttemptRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      std::string t = tenant_id, e = entry_id;
      AttemptRow row;
      long long at = 0, next = 0;
      soci::statement st =
          (session_.prepare << sql_.entry_attempts, soci::into(row.attempt), soci::into(row.state),
           soci::into(row.error), soci::into(at), soci::into(next), soci::use(t), soci::use(e));
      st.execute();
      while (st.fetch()) {
        AttemptRow r = row;
        r.at_ms = at;
        r.next_attempt_at_ms = next;
        out->push_back(std::move(r));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "entry attempts");
    }
    return Status::Ok();
  }

  Status AppendOperatorLog(const SyncLogRecord& r, const std::string& actor) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      long long seq = r.seq, at = r.finished_at_ms;
      std::string t = r.tenant_id, entry = r.entry_id, type(domain::EntityTypeName(r.type)),
                  entity = r.entity_id, op(domain::OperationName(r.operation)), result = r.result,
                  who = actor;
      session_ << sql_.insert_operator_log, soci::use(seq), soci::use(t), soci::use(entry),
          soci::use(type), soci::use(entity), soci::use(op), soci::use(result), soci::use(at),
          soci::use(who);
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "operator log");
    }
    return Status::Ok();
  }

  Status MetricSnapshotsSince(int64_t since_ms, std::vector<MetricSnapshotRow>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status c = EnsureConnected(); !c.ok()) return c;
    try {
      long long since = since_ms, at = 0;
      std::string body;
      soci::statement st = (session_.prepare << sql_.metric_snapshots_since, soci::into(at),
                            soci::into(body), soci::use(since));
      st.execute();
      while (st.fetch()) out->push_back({at, body});
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "metric snapshots");
    }
    return Status::Ok();
  }

 private:
  // `tail` starts with " FROM conflicts WHERE ..." and may bind :t, :id, :n, :o.
  Status SelectConflicts(const std::string& tail, std::string tenant, int64_t id, int limit,
                         int offset, std::vector<ConsoleConflict>* out) {
    ConsoleConflict c;
    std::string type;
    long long key = id, row_id = 0, incoming = 0, stored = 0, detected = 0, resolved = 0;
    soci::details::prepare_temp_type p =
        (session_.prepare << sql_.select_console_conflict_columns + tail);
    p, soci::into(row_id), soci::into(c.record.tenant_id), soci::into(type),
        soci::into(c.record.entity_id), soci::into(c.record.entry_id), soci::into(incoming),
        soci::into(stored), soci::into(c.record.incoming_checksum),
        soci::into(c.record.stored_checksum), soci::into(c.record.resolution), soci::into(detected),
        soci::into(resolved), soci::into(c.resolved_by), soci::into(c.resolution_entry_id),
        soci::into(c.incoming_operation), soci::into(c.incoming_data), soci::into(c.stored_data),
        soci::into(c.resolved_action);
    if (tail.find(":t") != std::string::npos) p, soci::use(tenant, "t");
    if (tail.find(":id") != std::string::npos) p, soci::use(key, "id");
    if (tail.find(":n") != std::string::npos) p, soci::use(limit, "n"), soci::use(offset, "o");
    soci::statement st(p);
    st.execute();
    while (st.fetch()) {
      ConsoleConflict r = c;
      r.id = row_id;
      r.record.type = domain::ParseEntityType(type).value_or(EntityType::kAccount);
      r.record.incoming_version_ms = incoming;
      r.record.stored_version_ms = stored;
      r.record.detected_at_ms = detected;
      r.resolved_at_ms = resolved;
      out->push_back(std::move(r));
    }
    return Status::Ok();
  }

  struct HistoryQuery {
    std::string tenant, type, entity, entry;
    long long floor = 0, since = 0;
  };

  // `tail` starts with " WHERE ..." and may bind :t, :ty, :id, :e, :floor, :since.
  Status SelectHistory(const std::string& tail, HistoryQuery q, std::vector<HistoryRow>* out) {
    try {
      std::string entry, type, entity, op, result, actor;
      long long seq = 0, at = 0;
      soci::details::prepare_temp_type p = (session_.prepare << sql_.select_history_from + tail);
      p, soci::into(seq), soci::into(entry), soci::into(type), soci::into(entity), soci::into(op),
          soci::into(result), soci::into(at), soci::into(actor);
      p, soci::use(q.tenant, "t");
      if (tail.find(":ty") != std::string::npos) p, soci::use(q.type, "ty");
      if (tail.find(":id") != std::string::npos) p, soci::use(q.entity, "id");
      if (tail.find(":e ") != std::string::npos) p, soci::use(q.entry, "e");
      if (tail.find(":floor") != std::string::npos) p, soci::use(q.floor, "floor");
      if (tail.find(":since") != std::string::npos) p, soci::use(q.since, "since");
      soci::statement st(p);
      st.execute();
      while (st.fetch()) {
        HistoryRow r;
        r.record.seq = seq;
        r.record.tenant_id = q.tenant;
        r.record.entry_id = entry;
        r.record.type = domain::ParseEntityType(type).value_or(EntityType::kAccount);
        r.record.entity_id = entity;
        r.record.operation = domain::ParseOperation(op).value_or(domain::Operation::kUpdate);
        r.record.result = result;
        r.record.finished_at_ms = at;
        r.actor = actor;
        out->push_back(std::move(r));
      }
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "history");
    }
    return Status::Ok();
  }

  // Reopens a session that broke, where the engine asks for it.
  Status EnsureConnected() {
    if (!reconnect_when_lost_ || session_.is_connected()) return Status::Ok();
    try {
      session_.reconnect();
    } catch (const soci::soci_error& e) {
      return StatusFromSociError(e, "reconnect console store");
    }
    return Status::Ok();
  }

  const ConsoleSql sql_;
  const long long history_scan_rows_;
  const bool reconnect_when_lost_;
  std::mutex mu_;
  soci::session session_;
};

}  // namespace

std::unique_ptr<ConsoleStore> OpenSociConsoleStore(const ConsoleEngine& engine,
                                                   const ConsoleSessionOpener& open,
                                                   Status* status) {
  auto store = std::make_unique<SociConsoleStore>(engine);
  *status = store->Open(open);
  if (!status->ok()) return nullptr;
  return store;
}

}  // namespace syncd::db
