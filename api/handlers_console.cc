// The operator console's API (console.md): overview and metric history,
// dead letters with bulk operator actions, conflicts across tenants with
// their resolution, tenants and their entities, and one entry's timeline.
// Every queue or entity change goes through the pipeline: operator actions
// through Pipeline::Operate (as POST /api/v1/sync/acknowledge), "take
// incoming" as a new entry through Pipeline::Submit. The console store only
// marks conflicts resolved and writes the audit rows naming the operator.
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "handlers.h"
#include "json_out.h"
#include "syncd/common/clock.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/version.h"
#include "syncd/wire/entry_results.h"

namespace syncd::api {

// One sample of the numbers the overview charts.
struct StatsPoint {
  int64_t t_ms = 0;
  double received_per_s = 0, acked_per_s = 0;
  double ack_p50_ms = 0, ack_p95_ms = 0, ack_p99_ms = 0;
  double batch_size = 0;  // entries per apply transaction since the previous sample
  int64_t pending = 0, in_flight = 0, retry_wait = 0, dead = 0;
  int64_t connections = 0, tenants = 0;
};

// The console's in-memory state: a ring of the last 15 minutes of stats,
// sampled every 2 s by its own thread (finer than the database's one-minute
// metric snapshots). Owned by ApiContext; the thread stops in the destructor.
class ConsoleState {
 public:
  static constexpr int64_t kIntervalMs = 2000;
  static constexpr size_t kPoints = int64_t{15} * 60 * 1000 / kIntervalMs;

  explicit ConsoleState(ApiContext* ctx) : ctx_(ctx), thread_([this] { Run(); }) {}
  ~ConsoleState() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  ConsoleState(const ConsoleState&) = delete;
  ConsoleState& operator=(const ConsoleState&) = delete;

  std::vector<StatsPoint> Points() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {points_.begin(), points_.end()};
  }

  // The numbers now (any thread); batch_size over the last sample interval.
  StatsPoint Sample() const {
    StatsPoint p;
    p.t_ms = NowEpochMs();
    pipeline::QueueCounts c = ctx_->pipeline->GlobalCounts();
    pipeline::Metrics::Snapshot m = ctx_->pipeline->metrics().Take();
    p.received_per_s = m.received_per_s;
    p.acked_per_s = m.acked_per_s;
    p.ack_p50_ms = m.ack_p50_ms;
    p.ack_p95_ms = m.ack_p95_ms;
    p.ack_p99_ms = m.ack_p99_ms;
    p.pending = c.pending;
    p.in_flight = c.in_flight;
    p.retry_wait = c.retry_wait;
    p.dead = c.dead;
    p.connections = ctx_->ws.connections ? ctx_->ws.connections() : 0;
    p.tenants = ctx_->ws.tenants ? ctx_->ws.tenants() : 0;
    std::lock_guard<std::mutex> lock(mu_);
    int64_t batches = m.batch_count - last_batch_count_;
    int64_t entries = m.batch_entries - last_batch_entries_;
    p.batch_size = batches > 0 ? static_cast<double>(entries) / static_cast<double>(batches) : 0;
    return p;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      StatsPoint p = Sample();
      pipeline::Metrics::Snapshot m = ctx_->pipeline->metrics().Take();
      lock.lock();
      last_batch_count_ = m.batch_count;
      last_batch_entries_ = m.batch_entries;
      points_.push_back(p);
      if (points_.size() > kPoints) points_.pop_front();
      cv_.wait_for(lock, std::chrono::milliseconds(kIntervalMs), [this] { return stop_; });
    }
  }

  ApiContext* ctx_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StatsPoint> points_;
  int64_t last_batch_count_ = 0, last_batch_entries_ = 0;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Idempotent; every handler that reads ctx.console calls it first (the lock
// orders the creation before those reads).
void StartConsole(ApiContext& ctx) {
  std::lock_guard<std::mutex> lock(ctx.console_mu);
  if (!ctx.console) ctx.console = std::make_shared<ConsoleState>(&ctx);
}

namespace {

// The members of a paged answer, "total", "limit", "offset", then opens
// "items": [ (the caller writes the items and closes the array and object).
void StartPageItems(JsonWriter& w, int64_t total, int limit, int offset) {
  w.Key("total");
  w.Int64(total);
  w.Key("limit");
  w.Int(limit);
  w.Key("offset");
  w.Int(offset);
  w.Key("items");
  w.StartArray();
}

constexpr int64_t kDefaultPage = 50;
constexpr int64_t kMaxPage = 500;
constexpr size_t kMaxActionEntries = 500;
constexpr auto kOperateTimeout = std::chrono::seconds(10);
constexpr int64_t kTakeIncomingWaitMs = 5000;

ApiResponse DatabaseError(const common::Status& s) {
  // The database's own text is for the log; clients get the stable one.
  std::fprintf(stderr, "syncd: console: database: %s\n", s.ToString().c_str());
  return ErrorResponse(ApiError::kInternal, pipeline::kDatabaseUnavailable);
}

ApiResponse NoConsoleStore() {
  return ErrorResponse(ApiError::kInternal, "the console store is not configured");
}

// The operator: the token's user when the request has one (token mode
// always: the console routes are operator-only there), else X-User-Id when
// present (auth mode `none` has no login), else "operator".
bool OperatorOf(const ApiRequest& req, std::string* actor, ApiResponse* error) {
  if (req.caller) {
    *actor = req.caller->user_id;
    return true;
  }
  auto it = req.headers.find("x-user-id");
  if (it == req.headers.end()) {
    *actor = "operator";
    return true;
  }
  const std::string& id = it->second;
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_' || c == '@');
  }
  if (!ok) {
    *error = ErrorResponse(ApiError::kValidation,
                           "X-User-Id must be 1-64 characters of letters, digits and . - _ @");
    return false;
  }
  *actor = id;
  return true;
}

// limit/offset query values: *error set when malformed.
bool Page(const ApiRequest& req, int* limit, int* offset, ApiResponse* error) {
  std::string bad;
  *limit = static_cast<int>(QueryInt(req, "limit", 1, kMaxPage, &bad).value_or(kDefaultPage));
  if (bad.empty()) {
    *offset = static_cast<int>(QueryInt(req, "offset", 0, 1000000000, &bad).value_or(0));
  }
  if (!bad.empty()) {
    *error = ErrorResponse(ApiError::kValidation, bad);
    return false;
  }
  return true;
}

std::string Query(const ApiRequest& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

// Stored JSON as a JSON value (it is canonical JSON); null when empty.
void RawJson(JsonWriter& w, const std::string& json) {
  if (json.empty()) {
    w.Null();
    return;
  }
  rapidjson::Document check;
  check.Parse(json.c_str(), json.size());
  if (check.HasParseError()) {
    w.String(json);
  } else {
    w.RawValue(json.c_str(), json.size(), check.GetType());
  }
}

void Num(JsonWriter& w, double v) { wire::Rounded3(w, v); }

void WritePoint(JsonWriter& w, const StatsPoint& p) {
  w.StartObject();
  w.Key("t_ms");
  w.Int64(p.t_ms);
  w.Key("received_per_s");
  Num(w, p.received_per_s);
  w.Key("acked_per_s");
  Num(w, p.acked_per_s);
  w.Key("ack_p50_ms");
  Num(w, p.ack_p50_ms);
  w.Key("ack_p95_ms");
  Num(w, p.ack_p95_ms);
  w.Key("ack_p99_ms");
  Num(w, p.ack_p99_ms);
  w.Key("batch_size");
  Num(w, p.batch_size);
  w.Key("pending");
  w.Int64(p.pending);
  w.Key("in_flight");
  w.Int64(p.in_flight);
  w.Key("retry_wait");
  w.Int64(p.retry_wait);
  w.Key("dead");
  w.Int64(p.dead);
  w.Key("connections");
  w.Int64(p.connections);
  w.Key("tenants");
  w.Int64(p.tenants);
  w.EndObject();
}

// What one operator action in a bulk request came to.
struct BulkItem {
  std::string tenant, entry;
  std::optional<db::QueueRow> row;
  int64_t asked_at_ms = 0;
  pipeline::OperatorResult result;
};

// A bulk request's items while their actions complete on the waiters' thread.
struct BulkState {
  std::mutex mu;
  std::vector<BulkItem> items;
  size_t remaining = 0;
};
const char* OperatorResultCode(pipeline::OperatorResult::Code code) {
  switch (code) {
    case pipeline::OperatorResult::Code::kOk:
      return "ok";
    case pipeline::OperatorResult::Code::kNotFound:
      return "not_found";
    case pipeline::OperatorResult::Code::kNotDead:
      return "conflict";
    case pipeline::OperatorResult::Code::kError:
      return "internal_error";
  }
  return "internal_error";
}

void WriteConflict(JsonWriter& w, const db::ConsoleConflict& c) {
  const db::ConflictRecord& r = c.record;
  w.StartObject();
  w.Key("id");
  w.Int64(c.id);
  w.Key("tenant_id");
  w.String(r.tenant_id);
  w.Key("entity_type");
  w.String(std::string(domain::EntityTypeName(r.type)));
  w.Key("entity_id");
  w.String(r.entity_id);
  w.Key("entry_id");
  w.String(r.entry_id);
  w.Key("incoming_version");
  w.Int64(r.incoming_version_ms);
  w.Key("stored_version");
  w.Int64(r.stored_version_ms);
  w.Key("incoming_checksum");
  w.String(r.incoming_checksum);
  w.Key("stored_checksum");
  w.String(r.stored_checksum);
  w.Key("incoming_operation");
  if (c.incoming_operation.empty()) {
    w.Null();
  } else {
    w.String(c.incoming_operation);
  }
  w.Key("incoming_data");
  RawJson(w, c.incoming_data);
  w.Key("stored_data");
  RawJson(w, c.stored_data);
  w.Key("detected_at_ms");
  w.Int64(r.detected_at_ms);
  w.Key("status");
  w.String(c.resolved_at_ms != 0 ? "resolved" : "open");
  w.Key("resolution");
  w.String(r.resolution);
  w.Key("resolved_at_ms");
  if (c.resolved_at_ms != 0) {
    w.Int64(c.resolved_at_ms);
  } else {
    w.Null();
  }
  w.Key("resolved_action");
  if (c.resolved_action.empty()) {
    w.Null();
  } else {
    w.String(c.resolved_action);
  }
  w.Key("resolved_by");
  if (c.resolved_by.empty()) {
    w.Null();
  } else {
    w.String(c.resolved_by);
  }
  w.Key("resolution_entry_id");
  if (c.resolution_entry_id.empty()) {
    w.Null();
  } else {
    w.String(c.resolution_entry_id);
  }
  w.EndObject();
}

void WriteHistory(JsonWriter& w, const std::vector<db::HistoryRow>& rows) {
  w.StartArray();
  for (const db::HistoryRow& h : rows) {
    w.StartObject();
    w.Key("entry_id");
    w.String(h.record.entry_id);
    w.Key("operation");
    w.String(std::string(domain::OperationName(h.record.operation)));
    w.Key("result");
    w.String(h.record.result);
    w.Key("at_ms");
    w.Int64(h.record.finished_at_ms);
    w.Key("actor");
    if (h.actor.empty()) {
      w.Null();
    } else {
      w.String(h.actor);
    }
    w.EndObject();
  }
  w.EndArray();
}

// The health of GET /health with a reason an operator can act on.
void WriteHealth(JsonWriter& w, ApiContext& ctx) {
  bool ping_ok = ctx.reads->Ping().ok();
  bool pipeline_ok = ctx.pipeline->health() == pipeline::Health::kOk;
  bool ws_up = ctx.ws.up && ctx.ws.up();
  std::string reason;
  if (!ping_ok) reason = "the database does not answer reads";
  if (ping_ok && !pipeline_ok) reason = "database writes are failing; entries wait for retries";
  if (reason.empty() && !ws_up) reason = "the WebSocket server is not listening";
  if (reason.empty() && !ctx.http_up) reason = "the REST server is not listening";
  w.Key("health");
  w.StartObject();
  w.Key("status");
  w.String(ctx.shutting_down ? "shutting_down" : (reason.empty() ? "ok" : "degraded"));
  w.Key("reason");
  if (reason.empty()) {
    w.Null();
  } else {
    w.String(reason);
  }
  w.EndObject();
}

}  // namespace

ApiResponse HandleOverview(ApiContext& ctx, const ApiRequest&) {
  StartConsole(ctx);
  StatsPoint p = ctx.console->Sample();
  pipeline::QueueCounts c = ctx.pipeline->GlobalCounts();
  pipeline::Metrics::Snapshot m = ctx.pipeline->metrics().Take();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteHealth(w, ctx);
  w.Key("server_time_ms");
  w.Int64(p.t_ms);
  w.Key("uptime_s");
  w.Int64(ctx.UptimeS());
  w.Key("version");
  w.String(ctx.options.version);
  w.Key("queue");
  w.StartObject();
  WriteDepthMembers(w, c);
  w.EndObject();
  w.Key("totals");
  w.StartObject();
  WriteTotalsMembers(w, c);
  w.EndObject();
  w.Key("batch");
  w.StartObject();
  w.Key("count");
  w.Int64(m.batch_count);
  w.Key("avg_size");
  Num(w, m.batch_count > 0
             ? static_cast<double>(m.batch_entries) / static_cast<double>(m.batch_count)
             : 0);
  w.Key("max_size");
  w.Int64(m.batch_max_size);
  w.Key("avg_commit_ms");
  Num(w, m.batch_avg_commit_ms);
  w.EndObject();
  w.Key("event_streams");
  w.Int(ctx.event_streams.load());
  w.Key("point");
  WritePoint(w, p);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleEvents(ApiContext& ctx, const ApiRequest& req) {
  ApiResponse out = HandleOverview(ctx, req);
  out.content_type = "text/event-stream";
  out.event_stream = true;
  return out;
}

ApiResponse HandleMetricsHistory(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  std::string bad;
  int64_t minutes = QueryInt(req, "minutes", 1, 60, &bad).value_or(15);
  if (!bad.empty()) return ErrorResponse(ApiError::kValidation, bad);
  StartConsole(ctx);
  int64_t now = NowEpochMs();
  int64_t since = now - minutes * 60 * 1000;
  std::vector<StatsPoint> ring = ctx.console->Points();
  int64_t ring_start = ring.empty() ? now : ring.front().t_ms;
  // Older than the ring (a restart, or minutes > 15): the one-minute snapshots.
  std::vector<db::MetricSnapshotRow> snapshots;
  common::Status s = ctx.console_store->MetricSnapshotsSince(since, &snapshots);
  if (!s.ok()) return DatabaseError(s);
  std::vector<std::pair<const char*, StatsPoint>> points;
  for (const db::MetricSnapshotRow& row : snapshots) {
    if (row.taken_at_ms >= ring_start) break;
    rapidjson::Document doc;
    doc.Parse(row.body.c_str(), row.body.size());
    if (doc.HasParseError() || !doc.IsObject()) continue;
    StatsPoint p;
    p.t_ms = row.taken_at_ms;
    auto get = [&doc](const char* group, const char* name) -> double {
      if (!doc.HasMember(group) || !doc[group].IsObject()) return 0;
      const rapidjson::Value& g = doc[group];
      return g.HasMember(name) && g[name].IsNumber() ? g[name].GetDouble() : 0;
    };
    p.pending = static_cast<int64_t>(get("depth", "pending"));
    p.in_flight = static_cast<int64_t>(get("depth", "in_flight"));
    p.retry_wait = static_cast<int64_t>(get("depth", "retry_wait"));
    p.dead = static_cast<int64_t>(get("depth", "dead"));
    p.received_per_s = get("rates", "received_per_s");
    p.acked_per_s = get("rates", "acked_per_s");
    p.ack_p50_ms = get("latency_ms", "ack_p50");
    p.ack_p99_ms = get("latency_ms", "ack_p99");
    points.emplace_back("snapshot", p);
  }
  for (const StatsPoint& p : ring) {
    if (p.t_ms >= since) points.emplace_back("live", p);
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("minutes");
  w.Int64(minutes);
  w.Key("interval_ms");
  w.Int64(ConsoleState::kIntervalMs);
  w.Key("points");
  w.StartArray();
  for (const auto& [source, p] : points) {
    (void)source;
    WritePoint(w, p);
  }
  w.EndArray();
  w.Key("snapshot_points");
  w.Int64(static_cast<int64_t>(std::count_if(points.begin(), points.end(), [](const auto& p) {
    return std::string(p.first) == "snapshot";
  })));
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleListDeadLetters(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  db::DeadLetterFilter f;
  ApiResponse error;
  if (!Page(req, &f.limit, &f.offset, &error)) return error;
  f.tenant_id = Query(req, "tenant_id");
  f.error = Query(req, "error");
  std::string type = Query(req, "entity_type");
  if (!type.empty()) {
    std::optional<domain::EntityType> parsed = domain::ParseEntityType(type);
    if (!parsed) return ErrorResponse(ApiError::kValidation, "unknown entity type " + type);
    f.entity_type = std::string(domain::EntityTypeName(*parsed));
  }
  std::vector<db::QueueRow> rows;
  int64_t total = 0;
  common::Status s = ctx.console_store->ListDead(f, &rows, &total);
  if (!s.ok()) return DatabaseError(s);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  StartPageItems(w, total, f.limit, f.offset);
  for (const db::QueueRow& r : rows) {
    w.StartObject();
    w.Key("tenant_id");
    w.String(r.entry.tenant_id);
    w.Key("entry_id");
    w.String(r.entry.id);
    w.Key("entity_type");
    w.String(std::string(domain::EntityTypeName(r.entry.entity_type)));
    w.Key("entity_id");
    w.String(r.entry.entity_id);
    w.Key("operation");
    w.String(std::string(domain::OperationName(r.entry.operation)));
    w.Key("payload");
    RawJson(w, r.entry.data);
    w.Key("version");
    w.Int64(r.entry.version_ms);
    w.Key("attempts");
    w.Int(r.attempts);
    w.Key("last_error");
    w.String(r.last_error);
    w.Key("received_at_ms");
    w.Int64(r.received_at_ms);
    w.Key("dead_at_ms");
    if (r.result && r.result->server_timestamp_ms > 0) {
      w.Int64(r.result->server_timestamp_ms);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleDeadLetterActions(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  std::string actor;
  ApiResponse error;
  if (!OperatorOf(req, &actor, &error)) return error;
  rapidjson::Document doc;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  if (!doc.IsObject()) return ErrorResponse(ApiError::kValidation, "body must be an object");
  std::optional<OperatorRequest> action = ParseOperatorRequest(doc, &error);
  if (!action) return error;
  const std::string& action_name = action->name;
  const pipeline::OperatorAction* op = &action->op;
  const std::string& detail = action->detail;
  if (!doc.HasMember("entries") || !doc["entries"].IsArray() || doc["entries"].Empty()) {
    return ErrorResponse(ApiError::kValidation,
                         "entries must be a non-empty array of {tenant_id, entry_id}");
  }
  const rapidjson::Value& entries = doc["entries"];
  if (entries.Size() > kMaxActionEntries) {
    return ErrorResponse(ApiError::kValidation,
                         "at most " + std::to_string(kMaxActionEntries) + " entries per request");
  }
  auto state = std::make_shared<BulkState>();
  for (const rapidjson::Value& e : entries.GetArray()) {
    BulkItem item;
    std::optional<std::string> tenant = IdentifierMember(e, "tenant_id", &error);
    if (!tenant) return error;
    std::optional<std::string> entry = IdentifierMember(e, "entry_id", &error);
    if (!entry) return error;
    item.tenant = std::move(*tenant);
    item.entry = std::move(*entry);
    state->items.push_back(std::move(item));
  }
  // Start every action now; answer from the waiters' thread when all are
  // done, so no Pistache thread waits for the pipeline (a stalled pipeline
  // must not starve /health).
  auto futures = std::make_shared<std::vector<std::future<pipeline::OperatorResult>>>();
  futures->resize(state->items.size());
  for (size_t i = 0; i < state->items.size(); ++i) {
    BulkItem& item = state->items[i];
    // The audit row carries the time the operator asked (before the action's
    // own effects, e.g. a retried entry's `applied` row).
    item.asked_at_ms = NowEpochMs();
    common::Status s = ctx.reads->FindEntry(item.tenant, item.entry, &item.row);
    if (!s.ok()) {
      std::fprintf(stderr, "syncd: console: entry read failed: %s\n", s.ToString().c_str());
      item.result.code = pipeline::OperatorResult::Code::kError;
      item.result.message = pipeline::kDatabaseUnavailable;
      continue;
    }
    (*futures)[i] = ctx.pipeline->Operate(item.tenant, item.entry, *op, detail);
    ++state->remaining;
  }
  auto finish = [&ctx, state, action_name, actor]() {
    int64_t succeeded = 0;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("action");
    w.String(action_name);
    w.Key("actor");
    w.String(actor);
    w.Key("results");
    w.StartArray();
    for (BulkItem& item : state->items) {
      pipeline::OperatorResult& result = item.result;
      bool ok = result.code == pipeline::OperatorResult::Code::kOk;
      if (ok && item.row) {
        db::SyncLogRecord log;
        log.seq = item.row->seq;
        log.tenant_id = item.tenant;
        log.entry_id = item.entry;
        log.type = item.row->entry.entity_type;
        log.entity_id = item.row->entry.entity_id;
        log.operation = item.row->entry.operation;
        log.result = "operator_" + action_name;
        log.finished_at_ms = item.asked_at_ms;
        common::Status s = ctx.console_store->AppendOperatorLog(log, actor);
        if (!s.ok()) {
          std::fprintf(stderr, "syncd: console: audit row: %s\n", s.ToString().c_str());
          result.message += " (the audit row could not be written)";
        }
      }
      if (ok) ++succeeded;
      w.StartObject();
      w.Key("tenant_id");
      w.String(item.tenant);
      w.Key("entry_id");
      w.String(item.entry);
      w.Key("success");
      w.Bool(ok);
      w.Key("code");
      w.String(OperatorResultCode(result.code));
      w.Key("message");
      w.String(result.message);
      w.Key("state");
      if (result.state.empty()) {
        w.Null();
      } else {
        w.String(result.state);
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("succeeded");
    w.Int64(succeeded);
    w.Key("failed");
    w.Int64(static_cast<int64_t>(state->items.size()) - succeeded);
    w.EndObject();
    return JsonResponse(JsonText(buf));
  };
  if (state->remaining == 0) return finish();
  ApiResponse later;
  later.deferred = [&ctx, state, futures, finish](const Reply& reply) {
    auto deadline = std::chrono::steady_clock::now() + kOperateTimeout;
    for (size_t i = 0; i < futures->size(); ++i) {
      if (!(*futures)[i].valid()) continue;
      ctx.waiters.WaitFuture(
          std::move((*futures)[i]), deadline,
          [state, i, finish, reply](std::optional<pipeline::OperatorResult> r) {
            bool last = false;
            {
              std::lock_guard<std::mutex> lock(state->mu);
              if (r) {
                state->items[i].result = std::move(*r);
              } else {
                state->items[i].result.code = pipeline::OperatorResult::Code::kError;
                state->items[i].result.message = "the pipeline did not answer in time";
              }
              last = --state->remaining == 0;
            }
            if (last) reply(finish());
          });
    }
  };
  return later;
}

ApiResponse HandleListAllConflicts(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  db::ConflictFilter f;
  ApiResponse error;
  if (!Page(req, &f.limit, &f.offset, &error)) return error;
  f.tenant_id = Query(req, "tenant_id");
  f.status = Query(req, "status");
  if (f.status == "all") f.status.clear();
  if (!f.status.empty() && f.status != "open" && f.status != "resolved") {
    return ErrorResponse(ApiError::kValidation, "status must be open, resolved or all");
  }
  std::vector<db::ConsoleConflict> rows;
  int64_t total = 0;
  common::Status s = ctx.console_store->ListConflicts(f, &rows, &total);
  if (!s.ok()) return DatabaseError(s);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  StartPageItems(w, total, f.limit, f.offset);
  for (const db::ConsoleConflict& c : rows) WriteConflict(w, c);
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

namespace {

// One recorded state of `c` (`data`, `operation`) as a new entry: a newer
// version (now, or just past the stored version when that lies in the
// future), so the normal LWW path stores it and fans it out.
bool ConflictStateEntry(const db::ConsoleConflict& c, const std::string& data,
                        const std::string& operation, int64_t version_ms, const std::string& id,
                        domain::SyncEntry* out, std::string* error) {
  rapidjson::Document payload;
  payload.Parse(data.c_str(), data.size());
  if (payload.HasParseError() || !payload.IsObject()) {
    *error = "the recorded state is not a JSON object";
    return false;
  }
  rapidjson::Document entry(rapidjson::kObjectType);
  auto& a = entry.GetAllocator();
  payload.RemoveMember("updated_at");
  payload.RemoveMember("updatedAt");
  std::string iso = domain::FormatIso8601Ms(version_ms);
  payload.AddMember("updated_at", rapidjson::Value(iso.c_str(), a), a);
  entry.AddMember("id", rapidjson::Value(id.c_str(), a), a);
  entry.AddMember("tenantId", rapidjson::Value(c.record.tenant_id.c_str(), a), a);
  std::string type(domain::EntityTypeName(c.record.type));
  entry.AddMember("entityType", rapidjson::Value(type.c_str(), a), a);
  entry.AddMember("entityId", rapidjson::Value(c.record.entity_id.c_str(), a), a);
  entry.AddMember("operationType", rapidjson::Value(operation.c_str(), a), a);
  entry.AddMember("timestamp", rapidjson::Value(static_cast<int64_t>(version_ms)), a);
  rapidjson::Value copy(payload, a);
  entry.AddMember("payload", copy, a);
  domain::ParsedEntry parsed = domain::ParseSyncEntry(entry, c.record.tenant_id);
  if (auto* bad = std::get_if<domain::EntryError>(&parsed)) {
    *error = "the recorded state is not a valid entry: " + bad->detail;
    return false;
  }
  *out = std::move(std::get<domain::SyncEntry>(parsed));
  if (out->operation == domain::Operation::kDelete) out->version_ms = version_ms;
  return true;
}

// The operator's actions on a conflict, by its kind (docs/console.md):
// - server_wins (the incoming change lost; the stored state is still stored):
//   take_incoming sends the incoming state as a newer change; keep_stored
//   marks it resolved.
// - client_wins_tie (the incoming change won a tie and is stored; the
//   conflict recorded the state it replaced): keep_stored keeps what is
//   stored now and marks it resolved; restore_replaced sends the replaced
//   state as a newer change. take_incoming has nothing to do (409).
// Returns the 409 text when `action` does not fit the kind, else "".
std::string ActionRefusal(const db::ConsoleConflict& c, const std::string& action) {
  const bool tie = c.record.resolution == db::kClientWinsTie;
  if (action == "take_incoming" && tie) {
    return "the incoming state won this tie and is stored already: keep_stored marks the "
           "conflict resolved, restore_replaced brings back the state it replaced";
  }
  if (action == "restore_replaced" && !tie) {
    return "only a client_wins_tie conflict has a replaced state to restore; the stored state "
           "of this conflict is still stored";
  }
  const std::string& data = action == "take_incoming" ? c.incoming_data : c.stored_data;
  if (action != "keep_stored" && data.empty()) {
    return "the state to send was not recorded for this conflict (detected before the "
           "console's schema migration)";
  }
  if (action == "take_incoming" && c.incoming_operation.empty()) {
    return "the incoming state of this conflict was not recorded (detected before the "
           "console's schema migration)";
  }
  return "";
}

}  // namespace

ApiResponse HandleResolveConflict(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  std::string actor;
  ApiResponse error;
  if (!OperatorOf(req, &actor, &error)) return error;
  std::string bad;
  ApiRequest id_query;
  id_query.query["conflict_id"] = req.params.at("conflict_id");
  std::optional<int64_t> id = QueryInt(id_query, "conflict_id", 1, INT64_MAX, &bad);
  if (!id) return ErrorResponse(ApiError::kNotFound, "no conflict " + req.params.at("conflict_id"));
  rapidjson::Document doc;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  const std::string how(StringMember(doc, "resolution").value_or(std::string_view()));
  if (how != "take_incoming" && how != "keep_stored" && how != "restore_replaced") {
    return ErrorResponse(ApiError::kValidation,
                         "resolution must be take_incoming, keep_stored or restore_replaced");
  }
  std::optional<db::ConsoleConflict> conflict;
  common::Status s = ctx.console_store->GetConflict(*id, &conflict);
  if (!s.ok()) return DatabaseError(s);
  if (!conflict) return ErrorResponse(ApiError::kNotFound, "no conflict " + std::to_string(*id));
  if (conflict->resolved_at_ms != 0) {
    return ErrorResponse(
        ApiError::kConflict,
        "conflict " + std::to_string(*id) + " was already resolved by " + conflict->resolved_by);
  }
  std::string refusal = ActionRefusal(*conflict, how);
  if (!refusal.empty()) return ErrorResponse(ApiError::kConflict, refusal);
  int64_t now = NowEpochMs();
  std::string entry_id;
  domain::SyncEntry entry;
  const bool sends = how != "keep_stored";
  if (sends) {
    std::optional<db::StoredEntity> current;
    s = ctx.console_store->GetEntity(conflict->record.tenant_id,
                                     std::string(domain::EntityTypeName(conflict->record.type)),
                                     conflict->record.entity_id, &current);
    if (!s.ok()) return DatabaseError(s);
    int64_t version = std::max(now, current ? current->version_ms + 1 : now);
    entry_id = "console-" + std::to_string(*id) + "-" + std::to_string(now);
    std::string why;
    bool made = false;
    if (how == "take_incoming") {
      made = ConflictStateEntry(*conflict, conflict->incoming_data, conflict->incoming_operation,
                                version, entry_id, &entry, &why);
    } else {
      // The replaced state: a tombstone (no checksum) comes back as a delete.
      made = ConflictStateEntry(*conflict, conflict->stored_data,
                                conflict->record.stored_checksum.empty() ? "delete" : "update",
                                version, entry_id, &entry, &why);
    }
    if (!made) return ErrorResponse(ApiError::kConflict, why);
  }
  // Claim the conflict first, so two operators cannot both apply it.
  bool changed = false;
  s = ctx.console_store->ResolveConflict(*id, how, actor, now, entry_id, &changed);
  if (!s.ok()) return DatabaseError(s);
  if (!changed) {
    return ErrorResponse(ApiError::kConflict,
                         "conflict " + std::to_string(*id) + " was already resolved");
  }
  // The rest of the answer, once the new change's result is in (or not).
  auto finish = [&ctx, id = *id, how, entry_id, sends, operation = entry.operation,
                 conflict = *conflict, actor,
                 now](std::optional<pipeline::Delivery> delivered) -> ApiResponse {
    common::Status s;
    db::SyncLogRecord log;
    log.tenant_id = conflict.record.tenant_id;
    log.entry_id = sends ? entry_id : conflict.record.entry_id;
    log.type = conflict.record.type;
    log.entity_id = conflict.record.entity_id;
    log.operation = sends ? operation
                          : domain::ParseOperation(conflict.incoming_operation)
                                .value_or(domain::Operation::kUpdate);
    log.result = "conflict_" + how;
    log.finished_at_ms = now;
    std::string audit_error;
    s = ctx.console_store->AppendOperatorLog(log, actor);
    if (!s.ok()) {
      std::fprintf(stderr, "syncd: console: audit row: %s\n", s.ToString().c_str());
      audit_error = "the audit row could not be written";
    }

    std::optional<db::ConsoleConflict> after;
    s = ctx.console_store->GetConflict(id, &after);
    if (!s.ok()) return DatabaseError(s);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("conflict");
    WriteConflict(w, after ? *after : conflict);
    w.Key("entry_id");
    if (entry_id.empty()) {
      w.Null();
    } else {
      w.String(entry_id);
    }
    w.Key("result");
    if (!sends) {
      w.Null();
    } else if (delivered) {
      wire::WriteEntryResult(w, entry_id, delivered->result, delivered->duplicate);
    } else {
      wire::WritePendingResult(w, entry_id);
    }
    if (!audit_error.empty()) {
      w.Key("warning");
      w.String(audit_error);
    }
    w.EndObject();
    return JsonResponse(JsonText(buf));
  };
  if (!sends) return finish(std::nullopt);
  auto group = std::make_shared<ResultWaiters::Group>(1);
  ctx.waiters.Expect(group, 0, entry.tenant_id, entry.id);
  pipeline::SubmitOutcome submitted = ctx.pipeline->Submit(entry, common::MonotonicMicros());
  if (!submitted.accepted()) {
    ctx.waiters.Fill(group, 0, pipeline::Delivery());
    ctx.console_store->ReopenConflict(*id);
    // The pipeline's refusal text (queue full, shutting down), as on every route.
    return ErrorResponse(ApiError::kShuttingDown, submitted.refused->result.detail);
  }
  // The answer comes from the waiters' thread: no Pistache thread waits.
  ApiResponse later;
  later.deferred = [&ctx, group, finish](const Reply& reply) {
    ctx.waiters.WaitAsync(
        group, std::chrono::steady_clock::now() + std::chrono::milliseconds(kTakeIncomingWaitMs),
        [reply, finish](ResultWaiters::Results results) { reply(finish(results[0])); });
  };
  return later;
}

ApiResponse HandleListTenants(ApiContext& ctx, const ApiRequest&) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  std::vector<db::TenantSummaryRow> rows;
  common::Status s = ctx.console_store->ListTenants(&rows);
  if (!s.ok()) return DatabaseError(s);
  std::map<std::string, int64_t> connections;
  if (ctx.tenant_connections) connections = ctx.tenant_connections();
  for (const auto& [tenant, n] : connections) {
    // A lambda may not capture a structured binding before C++20 (clang refuses).
    const std::string& name = tenant;
    if (std::none_of(rows.begin(), rows.end(),
                     [&name](const db::TenantSummaryRow& r) { return r.tenant_id == name; })) {
      db::TenantSummaryRow r;
      r.tenant_id = tenant;
      rows.push_back(r);
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.tenant_id < b.tenant_id; });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const db::TenantSummaryRow& r : rows) {
    pipeline::QueueCounts c = ctx.pipeline->TenantCounts(r.tenant_id);
    w.StartObject();
    w.Key("tenant_id");
    w.String(r.tenant_id);
    w.Key("entities");
    w.StartObject();
    int64_t total = 0;
    for (const auto& [type, n] : r.entities_by_type) {
      w.Key(type.c_str());
      w.Int64(n);
      total += n;
    }
    w.EndObject();
    w.Key("entity_total");
    w.Int64(total);
    w.Key("queue_depth");
    w.Int64(c.pending + c.in_flight + c.retry_wait);
    w.Key("dead");
    w.Int64(std::max(c.dead, r.dead));
    w.Key("open_conflicts");
    w.Int64(r.open_conflicts);
    w.Key("connections");
    auto it = connections.find(r.tenant_id);
    w.Int64(it == connections.end() ? 0 : it->second);
    w.Key("last_sync_ms");
    if (r.last_applied_at_ms > 0) {
      w.Int64(r.last_applied_at_ms);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleTenantEntities(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  const std::string& tenant = req.params.at("tenant_id");
  int limit = 0, offset = 0;
  ApiResponse error;
  if (!Page(req, &limit, &offset, &error)) return error;
  std::string type = Query(req, "entity_type");
  if (!type.empty()) {
    std::optional<domain::EntityType> parsed = domain::ParseEntityType(type);
    if (!parsed) return ErrorResponse(ApiError::kValidation, "unknown entity type " + type);
    type = std::string(domain::EntityTypeName(*parsed));
  }
  std::vector<db::StoredEntity> rows;
  int64_t total = 0;
  common::Status s = ctx.console_store->SearchEntities(tenant, type, Query(req, "q"), limit, offset,
                                                       &rows, &total);
  if (!s.ok()) return DatabaseError(s);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tenant_id");
  w.String(tenant);
  StartPageItems(w, total, limit, offset);
  for (const db::StoredEntity& e : rows) {
    w.StartObject();
    w.Key("entity_type");
    w.String(std::string(domain::EntityTypeName(e.type)));
    w.Key("entity_id");
    w.String(e.entity_id);
    w.Key("name");
    rapidjson::Document data;
    data.Parse(e.data.c_str(), e.data.size());
    if (!data.HasParseError() && data.IsObject() && data.HasMember("name") &&
        data["name"].IsString()) {
      w.String(data["name"].GetString(), data["name"].GetStringLength());
    } else {
      w.Null();
    }
    w.Key("version");
    w.Int64(e.version_ms);
    w.Key("deleted");
    w.Bool(e.deleted);
    w.Key("modified_at_ms");
    w.Int64(e.modified_at_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleTenantEntity(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  const std::string& tenant = req.params.at("tenant_id");
  const std::string& type_text = req.params.at("entity_type");
  const std::string& entity_id = req.params.at("entity_id");
  std::optional<domain::EntityType> type = domain::ParseEntityType(type_text);
  if (!type) return ErrorResponse(ApiError::kValidation, "unknown entity type " + type_text);
  std::string type_name(domain::EntityTypeName(*type));
  std::optional<db::StoredEntity> entity;
  common::Status s = ctx.console_store->GetEntity(tenant, type_name, entity_id, &entity);
  if (!s.ok()) return DatabaseError(s);
  if (!entity) {
    return ErrorResponse(ApiError::kNotFound,
                         "no " + type_name + " " + entity_id + " for tenant " + tenant);
  }
  std::vector<db::HistoryRow> history;
  s = ctx.console_store->EntityHistory(tenant, type_name, entity_id, 200, &history);
  if (!s.ok()) return DatabaseError(s);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tenant_id");
  w.String(tenant);
  w.Key("entity_type");
  w.String(type_name);
  w.Key("entity_id");
  w.String(entity_id);
  w.Key("version");
  w.Int64(entity->version_ms);
  w.Key("deleted");
  w.Bool(entity->deleted);
  w.Key("checksum");
  w.String(entity->checksum);
  w.Key("modified_at_ms");
  w.Int64(entity->modified_at_ms);
  w.Key("source_entry_id");
  w.String(entity->source_entry_id);
  w.Key("data");
  RawJson(w, entity->data);
  w.Key("history");
  WriteHistory(w, history);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleEntryTimeline(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.console_store == nullptr) return NoConsoleStore();
  const std::string& tenant = req.params.at("tenant_id");
  const std::string& entry_id = req.params.at("entry_id");
  std::optional<db::QueueRow> row;
  common::Status s = ctx.reads->FindEntry(tenant, entry_id, &row);
  if (!s.ok()) return DatabaseError(s);
  if (!row) {
    return ErrorResponse(ApiError::kNotFound, "no entry " + entry_id + " for tenant " + tenant);
  }
  std::vector<db::HistoryRow> history;
  s = ctx.console_store->EntryHistory(tenant, entry_id, &history);
  if (!s.ok()) return DatabaseError(s);

  // The queue keeps one row per entry (attempt count, last error, times) and
  // the sync log one row per finish or operator action: the timeline is
  // what those say, in time order.
  struct Event {
    int64_t at;
    std::string kind, detail, actor;
  };
  std::vector<db::AttemptRow> attempts;
  s = ctx.console_store->EntryAttempts(tenant, entry_id, &attempts);
  if (!s.ok()) return DatabaseError(s);
  std::vector<Event> events;
  events.push_back({row->received_at_ms, "received", "", ""});
  if (row->attempts > 0) {
    std::string detail = std::to_string(row->attempts) + " attempt(s)";
    events.push_back({0, "claimed", detail, ""});
  }
  // Each failed attempt when recorded (entry_attempts); else the last error.
  for (const db::AttemptRow& a : attempts) {
    std::string detail = "attempt " + std::to_string(a.attempt) + ": " + a.error;
    if (a.state == "retry_wait" && a.next_attempt_at_ms > 0) {
      detail += " (next attempt at " + domain::FormatIso8601Ms(a.next_attempt_at_ms) + ")";
    }
    events.push_back({a.at_ms, a.state == "dead" ? "dead_lettered" : "attempt_failed", detail, ""});
  }
  // A dead entry's last attempt is logged when an operator re-queues it;
  // while it is dead it comes from the queue row.
  if (row->state == common::EntryState::kDead && row->result) {
    events.push_back({row->result->server_timestamp_ms, "dead_lettered",
                      "attempt " + std::to_string(row->attempts) + ": " + row->last_error, ""});
  } else if (attempts.empty() && !row->last_error.empty()) {
    events.push_back({0, "attempt_failed", row->last_error, ""});
  }
  for (const db::HistoryRow& h : history) {
    events.push_back({h.record.finished_at_ms, h.actor.empty() ? "finished" : "operator",
                      h.record.result, h.actor});
  }
  // Events without a time of their own (attempts) stay right after receipt.
  int64_t received = row->received_at_ms;
  std::stable_sort(events.begin(), events.end(), [received](const Event& a, const Event& b) {
    return (a.at != 0 ? a.at : received) < (b.at != 0 ? b.at : received);
  });

  std::string state_json = wire::EntryStateJson(*row);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("entry");
  w.RawValue(state_json.c_str(), state_json.size(), rapidjson::kObjectType);
  w.Key("entity_type");
  w.String(std::string(domain::EntityTypeName(row->entry.entity_type)));
  w.Key("entity_id");
  w.String(row->entry.entity_id);
  w.Key("operation");
  w.String(std::string(domain::OperationName(row->entry.operation)));
  w.Key("received_at_ms");
  w.Int64(row->received_at_ms);
  w.Key("finished_at_ms");
  if (row->finished_at_ms > 0) {
    w.Int64(row->finished_at_ms);
  } else {
    w.Null();
  }
  w.Key("timeline");
  w.StartArray();
  for (const Event& e : events) {
    w.StartObject();
    w.Key("at_ms");
    if (e.at > 0) {
      w.Int64(e.at);
    } else {
      w.Null();
    }
    w.Key("event");
    w.String(e.kind);
    w.Key("detail");
    w.String(e.detail);
    w.Key("actor");
    if (e.actor.empty()) {
      w.Null();
    } else {
      w.String(e.actor);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

}  // namespace syncd::api
