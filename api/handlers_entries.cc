// POST /api/v1/sync/entries, GET /api/v1/sync/entries/{tenant_id}/{entry_id},
// POST /api/v1/sync/acknowledge.
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "handlers.h"
#include "json_out.h"
#include "syncd/common/clock.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/identifier.h"
#include "syncd/wire/entry_results.h"

namespace syncd::api {

namespace {

constexpr size_t kMaxEntries = 1000;
constexpr int64_t kDefaultWaitMs = 5000;
constexpr int64_t kMaxWaitMs = 60000;
constexpr auto kOperateTimeout = std::chrono::seconds(10);

// One request entry on its way through the handler.
struct Pending {
  std::optional<std::string> id;              // null when none could be read
  std::optional<domain::EntryResult> failed;  // refused before the pipeline
  bool repeated = false;                      // the same id earlier in this request
};

// Reads one entry; its tenant is its own tenantId (REST has no connection
// tenant). ParseSyncEntry checks that it is an identifier (so never empty).
domain::ParsedEntry ParseRestEntry(const rapidjson::Value& value) {
  const std::string tenant(StringMember(value, "tenantId").value_or(std::string_view()));
  return domain::ParseSyncEntry(value, tenant);
}

// The tenant a refused entry is counted under: its tenantId when that is an
// identifier. Without one there is no scope to count it in (as before: a
// tenantId with a NUL must not create a counter row of its own).
std::optional<std::string> RejectedTenant(const rapidjson::Value& value) {
  std::optional<std::string_view> tenant = StringMember(value, "tenantId");
  if (!tenant || domain::CheckIdentifier(*tenant, "tenantId")) return std::nullopt;
  return std::string(*tenant);
}

// The answer of POST /api/v1/sync/entries once the wait is over.
ApiResponse SubmitAnswer(ApiContext& ctx, const std::vector<Pending>& items,
                         const ResultWaiters::Results& results) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  int64_t now_us = common::MonotonicMicros();
  for (size_t i = 0; i < items.size(); ++i) {
    const Pending& item = items[i];
    if (item.failed) {
      wire::WriteEntryResult(w, item.id, *item.failed, false);
    } else if (results[i]) {
      const pipeline::Delivery& d = *results[i];
      if (d.received_us > 0) ctx.pipeline->metrics().RecordAck(now_us - d.received_us);
      wire::WriteEntryResult(w, item.id, d.result, d.duplicate || item.repeated);
    } else {
      wire::WritePendingResult(w, *item.id);
    }
  }
  w.EndArray();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

// The answer of POST /api/v1/sync/acknowledge once the pipeline answered.
ApiResponse AcknowledgeAnswer(const pipeline::OperatorResult& result, const std::string& tenant,
                              const std::string& entry_id) {
  switch (result.code) {
    case pipeline::OperatorResult::Code::kOk:
      break;
    case pipeline::OperatorResult::Code::kNotFound:
      return ErrorResponse(ApiError::kNotFound, result.message);
    case pipeline::OperatorResult::Code::kNotDead:
      return ErrorResponse(ApiError::kConflict, result.message);
    case pipeline::OperatorResult::Code::kError:
      return ErrorResponse(ApiError::kInternal, result.message);
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("success");
  w.Bool(true);
  w.Key("message");
  w.String(result.message);
  w.Key("tenant_id");
  w.String(tenant);
  w.Key("entry_id");
  w.String(entry_id);
  w.Key("state");
  w.String(result.state);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

}  // namespace

ApiResponse HandleSubmitEntries(ApiContext& ctx, const ApiRequest& req) {
  std::string bad_query;
  int64_t wait_ms = QueryInt(req, "wait_ms", 0, kMaxWaitMs, &bad_query).value_or(kDefaultWaitMs);
  if (!bad_query.empty()) return ErrorResponse(ApiError::kValidation, bad_query);
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  if (!doc.IsObject() || !doc.HasMember("entries") || !doc["entries"].IsArray()) {
    return ErrorResponse(ApiError::kValidation, "body must be {\"entries\":[…]}");
  }
  const rapidjson::Value& entries = doc["entries"];
  if (entries.Size() > kMaxEntries) {
    return ErrorResponse(ApiError::kValidation,
                         "at most " + std::to_string(kMaxEntries) + " entries per request");
  }

  // Register every slot before its Submit, so a fast result is never missed.
  auto group = std::make_shared<ResultWaiters::Group>(entries.Size());
  std::vector<Pending> items(entries.Size());
  std::set<std::pair<std::string, std::string>> seen;
  for (rapidjson::SizeType i = 0; i < entries.Size(); ++i) {
    Pending& item = items[i];
    domain::ParsedEntry parsed = ParseRestEntry(entries[i]);
    if (auto* err = std::get_if<domain::EntryError>(&parsed)) {
      item.id = err->id;
      item.failed = pipeline::results::EntryRefused(*err, NowEpochMs());
      // Answered now (a REST result has no server_timestamp to differ), and
      // remembered as on the WebSocket (protocol.md) when its tenant and id
      // are readable: a resend of the id gets this NACK marked duplicate.
      // Every NACK is counted: under its tenant when that is an identifier,
      // otherwise only globally.
      std::optional<std::string> tenant = RejectedTenant(entries[i]);
      if (tenant && err->id) {
        ctx.pipeline->SubmitRefused(*tenant, std::move(*err), common::MonotonicMicros());
      } else {
        ctx.pipeline->CountRejected(tenant.value_or(""));
      }
      continue;
    }
    auto& entry = std::get<domain::SyncEntry>(parsed);
    item.id = entry.id;
    item.repeated = !seen.emplace(entry.tenant_id, entry.id).second;
    ctx.waiters.Expect(group, i, entry.tenant_id, entry.id);
    pipeline::SubmitOutcome submitted =
        ctx.pipeline->Submit(std::move(entry), common::MonotonicMicros());
    // Refused (queue full, shutting down): the pipeline's NACK, counted there.
    if (!submitted.accepted()) ctx.waiters.Fill(group, i, std::move(*submitted.refused));
  }
  // Answer when the results are in (or at wait_ms), on the waiters' thread:
  // no Pistache thread waits for the pipeline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  ApiResponse later;
  later.deferred =
      [&ctx, group, deadline,
       items = std::make_shared<std::vector<Pending>>(std::move(items))](const Reply& reply) {
        ctx.waiters.WaitAsync(group, deadline,
                              [&ctx, items, reply](const ResultWaiters::Results& results) {
                                reply(SubmitAnswer(ctx, *items, results));
                              });
      };
  return later;
}

std::optional<OperatorRequest> ParseOperatorRequest(const rapidjson::Value& body,
                                                    ApiResponse* error) {
  OperatorRequest out;
  out.name = std::string(StringMember(body, "action").value_or(std::string_view()));
  if (out.name == "retry") {
    out.op = pipeline::OperatorAction::kRetry;
  } else if (out.name == "ack") {
    out.op = pipeline::OperatorAction::kAck;
  } else if (out.name == "nack") {
    out.op = pipeline::OperatorAction::kNack;
  } else {
    *error = ErrorResponse(ApiError::kValidation, "action must be retry, ack or nack");
    return std::nullopt;
  }
  if (body.IsObject() && body.HasMember("detail")) {
    std::optional<std::string_view> text = StringMember(body, "detail");
    if (!text) {
      *error = ErrorResponse(ApiError::kValidation, "detail must be a string");
      return std::nullopt;
    }
    out.detail = std::string(*text);
  }
  return out;
}

ApiResponse HandleGetEntry(ApiContext& ctx, const ApiRequest& req) {
  const std::string& tenant = req.params.at("tenant_id");
  const std::string& entry_id = req.params.at("entry_id");
  std::optional<db::QueueRow> row;
  common::Status s = ctx.reads->FindEntry(tenant, entry_id, &row);
  if (!s.ok()) return DatabaseError(ctx, "entry read", s);
  if (!row) {
    return ErrorResponse(ApiError::kNotFound, "no entry " + entry_id + " for tenant " + tenant);
  }
  return JsonResponse(wire::EntryStateJson(*row));
}

ApiResponse HandleAcknowledge(ApiContext& ctx, const ApiRequest& req) {
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  if (!doc.IsObject()) return ErrorResponse(ApiError::kValidation, "body must be an object");
  // Every string with its length: "ack\u0000" is not "ack", and an entry_id
  // "x\u0000ATTACKER" must not reach entry "x".
  std::optional<std::string> tenant = IdentifierMember(doc, "tenant_id", &error);
  if (!tenant) return error;
  std::optional<std::string> entry_id = IdentifierMember(doc, "entry_id", &error);
  if (!entry_id) return error;
  std::optional<OperatorRequest> action = ParseOperatorRequest(doc, &error);
  if (!action) return error;
  const pipeline::OperatorAction* op = &action->op;
  const std::string& detail = action->detail;

  auto future = std::make_shared<std::future<pipeline::OperatorResult>>(
      ctx.pipeline->Operate(*tenant, *entry_id, *op, detail));
  auto deadline = std::chrono::steady_clock::now() + kOperateTimeout;
  ApiResponse later;
  later.deferred = [&ctx, future, deadline, tenant_id = *tenant,
                    entry = *entry_id](const Reply& reply) {
    ctx.waiters.WaitFuture(
        std::move(*future), deadline,
        [&ctx, reply, tenant_id, entry](std::optional<pipeline::OperatorResult> r) {
          if (!r) {
            reply(ctx.shutting_down
                      ? ErrorResponse(ApiError::kShuttingDown, "server is shutting down")
                      : ErrorResponse(ApiError::kInternal, "the pipeline did not answer in time"));
            return;
          }
          reply(AcknowledgeAnswer(*r, tenant_id, entry));
        });
  };
  return later;
}

}  // namespace syncd::api
