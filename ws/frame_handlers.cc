#include "frame_handlers.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>
#include <variant>

#include "initial_data.h"
#include "syncd/domain/entry.h"
#include "syncd/domain/json_limits.h"
#include "syncd/wire/entry_results.h"
#include "syncd/wire/initial_data_load.h"
#include "syncd/wire/ws_messages.h"

namespace syncd::ws {

namespace {

// A tenant_id that is not the connection's → permission_error, nothing else.
bool TenantMatches(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink) {
  auto it = doc.FindMember("tenant_id");
  if (it == doc.MemberEnd() || it->value.IsNull()) return true;
  if (it->value.IsString() &&
      std::string_view(it->value.GetString(), it->value.GetStringLength()) == ctx.tenant) {
    return true;
  }
  sink.Send(
      wire::ErrorJson("permission_error", "tenant_id does not match this connection's tenant"));
  return false;
}

void Dispatch(const FrameContext& ctx, std::string_view text, ReplySink& sink) {
  rapidjson::Document doc;
  std::string error;
  switch (domain::ParseJsonLimited(text, &doc, &error)) {
    case domain::JsonParseError::kTooDeep:
      sink.Send(wire::ErrorJson(
          "invalid_json",
          "JSON nested deeper than " + std::to_string(domain::kMaxJsonDepth) + " levels"));
      return;
    case domain::JsonParseError::kInvalid:
      sink.Send(wire::ErrorJson("invalid_json", "invalid JSON: " + error));
      return;
    case domain::JsonParseError::kNone:
      break;
  }
  if (!doc.IsObject()) {
    sink.Send(wire::ErrorJson("invalid_message", "a message must be a JSON object"));
    return;
  }
  auto type_it = doc.FindMember("type");
  if (type_it == doc.MemberEnd() || !type_it->value.IsString()) {
    sink.Send(wire::ErrorJson("invalid_message", "a message needs a string \"type\""));
    return;
  }
  std::string type(type_it->value.GetString(), type_it->value.GetStringLength());
  // Every message acts on the connection's tenant only.
  if (!TenantMatches(ctx, doc, sink)) return;
  if (type == "ping") {
    HandlePing(ctx, doc, sink);
  } else if (type == "process_sync_entry") {
    auto payload = doc.FindMember("payload");
    rapidjson::Value null_value;
    HandleEntry(ctx, payload == doc.MemberEnd() ? null_value : payload->value, sink);
  } else if (type == "process_sync_batch") {
    HandleBatch(ctx, doc, sink);
  } else if (type == "request_initial_data") {
    HandleInitialData(ctx, doc, sink);
  } else if (type == "data_status_request" || type == "request_data_status") {
    HandleDataStatus(ctx, type, doc, sink);
  } else if (type == "connection_status_request") {
    HandleConnectionStatus(ctx, sink);
  } else if (type == "tenant_disconnect") {
    HandleTenantDisconnect(ctx, sink);
  } else {
    sink.Send(wire::ErrorJson("unknown_type", "unknown message type", &type));
  }
}

}  // namespace

ReadAnswer OneMessage(std::string json) {
  std::vector<std::string> messages;
  messages.push_back(std::move(json));
  return std::make_shared<const std::vector<std::string>>(std::move(messages));
}

void HandleFrame(const FrameContext& ctx, std::string_view text, ReplySink& sink) {
  try {
    Dispatch(ctx, text, sink);
  } catch (const std::exception& e) {
    sink.Send(
        wire::ErrorJson("invalid_message", std::string("could not handle message: ") + e.what()));
  }
}

void HandlePing(const FrameContext&, const rapidjson::Document& doc, ReplySink& sink) {
  auto ts = doc.FindMember("timestamp");
  sink.Send(wire::PongJson(ts == doc.MemberEnd() ? nullptr : &ts->value));
}

void HandleEntry(const FrameContext& ctx, const rapidjson::Value& value, ReplySink& sink) {
  pipeline::Pipeline* pipeline = ctx.services->pipeline;
  ResultRouter* router = ctx.services->router;
  domain::ParsedEntry parsed = domain::ParseSyncEntry(value, ctx.tenant);
  if (auto* error = std::get_if<domain::EntryError>(&parsed)) {
    // A permanent refusal of a readable id is remembered (protocol.md): the
    // NACK comes once it is durable, and a resend of the id gets it again
    // marked duplicate. Otherwise the pipeline's refusal is the answer now.
    std::optional<std::string> id = error->id;
    if (id) router->Wait(ctx.tenant, *id, ctx.connection);
    pipeline::SubmitOutcome refused =
        pipeline->SubmitRefused(ctx.tenant, std::move(*error), ctx.received_us);
    if (refused.accepted()) return;
    if (id) router->CancelWait(ctx.tenant, *id, ctx.connection);
    sink.Send(wire::SyncReplyJson(*refused.refused));
    return;
  }
  auto& entry = std::get<domain::SyncEntry>(parsed);
  const std::string entry_tenant = entry.tenant_id;
  const std::string entry_id = entry.id;
  router->Wait(entry_tenant, entry_id, ctx.connection);
  pipeline::SubmitOutcome submitted = pipeline->Submit(std::move(entry), ctx.received_us);
  if (submitted.accepted()) return;
  // Not queued: answer now with the pipeline's refusal and forget this waiter.
  router->CancelWait(entry_tenant, entry_id, ctx.connection);
  sink.Send(wire::SyncReplyJson(*submitted.refused));
}

void HandleBatch(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink) {
  auto entries = doc.FindMember("entries");
  if (entries == doc.MemberEnd() || !entries->value.IsArray()) {
    sink.Send(wire::ErrorJson("invalid_message", "process_sync_batch needs an \"entries\" array"));
    return;
  }
  if (entries->value.Size() > kMaxBatchEntries) {
    sink.Send(wire::ErrorJson("too_large", "process_sync_batch takes at most 1000 entries"));
    return;
  }
  for (const rapidjson::Value& value : entries->value.GetArray()) HandleEntry(ctx, value, sink);
}

void HandleInitialData(const FrameContext& ctx, const rapidjson::Document& doc, ReplySink& sink) {
  // page_size: absent or null for one message, else 1..10000.
  int page_size = 0;
  auto size_it = doc.FindMember("page_size");
  if (size_it != doc.MemberEnd() && !size_it->value.IsNull()) {
    const rapidjson::Value& v = size_it->value;
    if (!v.IsInt() || v.GetInt() < wire::kMinPageSize || v.GetInt() > wire::kMaxPageSize) {
      sink.Send(wire::ErrorJson("invalid_message", "page_size must be an integer from " +
                                                       std::to_string(wire::kMinPageSize) + " to " +
                                                       std::to_string(wire::kMaxPageSize)));
      return;
    }
    page_size = v.GetInt();
  }
  // since: a cursor of an earlier load. Anything else (garbage, another
  // tenant's, a number) is not an error: it gets a full load.
  std::optional<std::string> since;
  auto since_it = doc.FindMember("since");
  if (since_it != doc.MemberEnd() && since_it->value.IsString()) {
    since.emplace(since_it->value.GetString(), since_it->value.GetStringLength());
  }
  const FrameServices* services = ctx.services;
  sink.StartRead("request_initial_data", "initial_data",
                 [services, tenant = ctx.tenant, since, page_size] {
                   return ReadInitialData(*services, tenant, since, page_size);
                 });
}

void HandleDataStatus(const FrameContext& ctx, const std::string& type,
                      const rapidjson::Document& doc, ReplySink& sink) {
  std::vector<domain::EntityType> types;
  auto it = doc.FindMember("entity_types");
  if (it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsArray()) {
      sink.Send(wire::ErrorJson("invalid_message",
                                "entity_types must be an array of type names or null"));
      return;
    }
    for (const rapidjson::Value& v : it->value.GetArray()) {
      std::optional<domain::EntityType> parsed;
      if (v.IsString()) {
        parsed = domain::ParseEntityType(std::string_view(v.GetString(), v.GetStringLength()));
      }
      if (!parsed) {
        sink.Send(wire::ErrorJson("invalid_message", "entity_types names an unknown entity type"));
        return;
      }
      if (std::find(types.begin(), types.end(), *parsed) == types.end()) {
        types.push_back(*parsed);
      }
    }
  }
  const FrameServices* services = ctx.services;
  if (!services->data_status_body) {
    sink.Send(wire::ErrorJson("internal_error", "data status is not available"));
    return;
  }
  sink.StartRead(type, "data_status", [services, tenant = ctx.tenant, types] {
    return OneMessage(services->data_status_body(tenant, types));
  });
}

void HandleConnectionStatus(const FrameContext& ctx, ReplySink& sink) {
  const ResultRouter& router = *ctx.services->router;
  int64_t healthy = sink.HealthyConnections();
  sink.Send(wire::ConnectionStatusJson(ctx.tenant, sink.Healthy(), router.connections(), healthy,
                                       router.tenants()));
}

void HandleTenantDisconnect(const FrameContext& ctx, ReplySink& sink) {
  sink.Send(wire::TenantDisconnectAckJson(ctx.tenant));
  sink.Close("tenant disconnect");
}

}  // namespace syncd::ws
