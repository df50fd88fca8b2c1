// The tenants of users (accounts.md): create (idempotent), list, rename,
// delete with all its sync data, and reset. A tenant belongs to the user
// that created it; in token mode only that user, a token whose `tenants`
// claim names it, or an operator may touch it. The directory (owners in
// memory) is updated after each store write.
#include <chrono>
#include <future>
#include <memory>

#include "handlers.h"

namespace syncd::api {

namespace {

ApiResponse NoAccounts() {
  return ErrorResponse(ApiError::kInternal, "the accounts store is not configured");
}

const auth::Principal* CallerOf(const ApiRequest& req) {
  return req.caller ? &*req.caller : nullptr;
}

ApiResponse TenantAnswer(const db::TenantRow& t, int status = 200) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("uuid");
  w.String(t.uuid);
  w.Key("name");
  w.String(t.name);
  w.Key("user_id");
  w.String(t.user_id);
  w.Key("createdAt");
  w.String(IsoTime(t.created_at_ms));
  w.Key("updatedAt");
  w.String(IsoTime(t.updated_at_ms));
  w.EndObject();
  return JsonResponse(JsonText(buf), status);
}

// 403/401 unless the caller may use the tenant {uuid}; none mode allows.
std::optional<ApiResponse> RefuseTenant(const ApiContext& ctx, const ApiRequest& req,
                                        const std::string& tenant) {
  auth::Decision d = TenantDecision(ctx, req, tenant);
  if (d == auth::Decision::kAllow) return std::nullopt;
  return DecisionResponse(d);
}

// How long a purge may wait for the pipeline's worker (it runs between two
// transactions, so normally within a batch's time).
constexpr auto kPurgeTimeout = std::chrono::seconds(10);

ApiResponse PurgeAnswer(const db::TenantPurge& purged) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("deleted");
  w.StartObject();
  w.Key("entities");
  w.Int64(purged.entities);
  w.Key("queue_entries");
  w.Int64(purged.queue_entries);
  w.Key("conflicts");
  w.Int64(purged.conflicts);
  w.Key("sync_log");
  w.Int64(purged.sync_log);
  w.EndObject();
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

// Delete (`remove_tenant`) or reset: the pipeline's worker drops the
// tenant's entries it holds (answering them) and removes every row of the
// tenant's sync data in one transaction (Pipeline::PurgeTenant); the answer
// waits for it without holding a Pistache thread. After a delete the
// tenant's WebSocket connections are closed with 1000; after a reset they
// stay (docs/design.md "Tenant delete and reset").
ApiResponse Purge(ApiContext& ctx, const ApiRequest& req, bool remove_tenant) {
  if (ctx.accounts == nullptr) return NoAccounts();
  const std::string& tenant = req.params.at("uuid");
  if (auto refused = RefuseTenant(ctx, req, tenant)) return *refused;
  auto future = std::make_shared<std::future<pipeline::OperatorResult>>(
      ctx.pipeline->PurgeTenant(tenant, remove_tenant));
  auto deadline = std::chrono::steady_clock::now() + kPurgeTimeout;
  ApiResponse later;
  later.deferred = [&ctx, future, deadline, tenant, remove_tenant](const Reply& reply) {
    ctx.waiters.WaitFuture(
        std::move(*future), deadline,
        [&ctx, reply, tenant, remove_tenant](std::optional<pipeline::OperatorResult> r) {
          if (!r) {
            reply(ctx.shutting_down
                      ? ErrorResponse(ApiError::kShuttingDown, "server is shutting down")
                      : ErrorResponse(ApiError::kInternal, "the pipeline did not answer in time"));
            return;
          }
          if (r->code != pipeline::OperatorResult::Code::kOk || !r->purged) {
            reply(ErrorResponse(ApiError::kInternal, r->message));
            return;
          }
          if (remove_tenant && ctx.directory != nullptr) ctx.directory->RemoveTenant(tenant);
          reply(PurgeAnswer(*r->purged));
          if (remove_tenant && ctx.tenant_closed) ctx.tenant_closed(tenant);
        });
  };
  return later;
}

}  // namespace

ApiResponse HandleCreateTenant(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> uuid = IdentifierMember(doc, "uuid", &error);
  if (!uuid) return error;
  std::optional<std::string> user_id = IdentifierMember(doc, "user_id", &error);
  if (!user_id) return error;
  std::optional<std::string_view> name = StringMember(doc, "name");
  if (!name || name->empty() || name->size() > 200) {
    return ErrorResponse(ApiError::kValidation, "name must be a string of 1 to 200 bytes");
  }
  if (ctx.auth.required) {
    // For yourself; an operator for anyone.
    auth::Decision d = auth::CheckUser(CallerOf(req), *user_id);
    if (d != auth::Decision::kAllow) return DecisionResponse(d);
  }
  db::TenantRow tenant;
  tenant.uuid = *uuid;
  tenant.name = std::string(*name);
  tenant.user_id = *user_id;
  tenant.created_at_ms = tenant.updated_at_ms = NowEpochMs();
  // Token mode: sync data under this id without an owner (written in none
  // mode) is not for whoever claims the id first. An operator assigns it
  // (accounts.md, migrating from none mode); an external token whose
  // `tenants` claim names the id was granted it by its provider.
  const auth::Principal* caller = CallerOf(req);
  const bool refuse_existing_data =
      ctx.auth.required && caller != nullptr && caller->role != auth::Role::kOperator &&
      !(caller->tenants &&
        auth::CheckTenant(caller, *uuid, std::nullopt) == auth::Decision::kAllow);
  db::WriteOutcome outcome = db::WriteOutcome::kDone;
  db::TenantRow stored;
  common::Status s = ctx.accounts->CreateTenant(tenant, refuse_existing_data, &outcome, &stored);
  if (!s.ok()) return DatabaseError(ctx, "create tenant", s);
  if (outcome == db::WriteOutcome::kIdTaken) {
    return ErrorResponse(ApiError::kConflict, "this tenant uuid belongs to another user");
  }
  if (outcome == db::WriteOutcome::kHasData) {
    return ErrorResponse(ApiError::kTenantHasData,
                         "this tenant uuid already has sync data and no owner; an operator can "
                         "create the tenant for its owner");
  }
  if (ctx.directory != nullptr) ctx.directory->PutTenant(stored.uuid, stored.user_id);
  return TenantAnswer(stored, outcome == db::WriteOutcome::kDone ? 201 : 200);
}

ApiResponse HandleListUserTenants(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  std::string user_id;
  if (auto it = req.query.find("user_id"); it != req.query.end() && !it->second.empty()) {
    user_id = it->second;
  } else if (req.caller) {
    user_id = req.caller->user_id;
  } else {
    return ErrorResponse(ApiError::kValidation, "user_id is required");
  }
  if (ctx.auth.required) {
    auth::Decision d = auth::CheckUser(CallerOf(req), user_id);
    if (d != auth::Decision::kAllow) return DecisionResponse(d);
  }
  std::vector<db::TenantRow> tenants;
  common::Status s = ctx.accounts->ListTenants(user_id, &tenants);
  if (!s.ok()) return DatabaseError(ctx, "tenant list", s);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const db::TenantRow& t : tenants) {
    ApiResponse one = TenantAnswer(t);
    w.RawValue(one.body.data(), one.body.size(), rapidjson::kObjectType);
  }
  w.EndArray();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleRenameTenant(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  const std::string& uuid = req.params.at("uuid");
  if (auto refused = RefuseTenant(ctx, req, uuid)) return *refused;
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string_view> name = StringMember(doc, "name");
  if (!name || name->empty() || name->size() > 200) {
    return ErrorResponse(ApiError::kValidation, "name must be a string of 1 to 200 bytes");
  }
  std::optional<db::TenantRow> tenant;
  common::Status s = ctx.accounts->FindTenant(uuid, &tenant);
  if (!s.ok()) return DatabaseError(ctx, "tenant read", s);
  auto query_user = req.query.find("user_id");
  if (!tenant || (query_user != req.query.end() && query_user->second != tenant->user_id)) {
    return ErrorResponse(ApiError::kNotFound, "no such tenant");
  }
  db::WriteOutcome outcome = db::WriteOutcome::kDone;
  tenant->name = std::string(*name);
  tenant->updated_at_ms = NowEpochMs();
  s = ctx.accounts->RenameTenant(uuid, tenant->name, tenant->updated_at_ms, &outcome);
  if (!s.ok()) return DatabaseError(ctx, "tenant rename", s);
  if (outcome == db::WriteOutcome::kNotFound) {
    return ErrorResponse(ApiError::kNotFound, "no such tenant");
  }
  return TenantAnswer(*tenant);
}

ApiResponse HandleDeleteTenant(ApiContext& ctx, const ApiRequest& req) {
  return Purge(ctx, req, /*remove_tenant=*/true);
}

ApiResponse HandleResetTenant(ApiContext& ctx, const ApiRequest& req) {
  return Purge(ctx, req, /*remove_tenant=*/false);
}

}  // namespace syncd::api
