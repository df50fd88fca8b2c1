// The access checks every route shares (accounts.md, Access rules): which
// tenants a request names, the 401/403 answers, and the tenant decision.
#include <rapidjson/document.h>

#include "handlers.h"

namespace syncd::api {

namespace {

// Bodies name tenants as `tenant_id` (detect-conflicts), entries as
// `tenantId` (protocol.md); either is checked wherever it appears.
void AddTenantOf(const rapidjson::Value& obj, std::vector<std::string>* out) {
  for (const char* name : {"tenant_id", "tenantId"}) {
    if (std::optional<std::string_view> t = StringMember(obj, name)) out->emplace_back(*t);
  }
}

}  // namespace

std::vector<std::string> TenantsNamed(const ApiRequest& req) {
  std::vector<std::string> out;
  if (auto it = req.params.find("tenant_id"); it != req.params.end()) out.push_back(it->second);
  if (auto it = req.query.find("tenant_id"); it != req.query.end()) out.push_back(it->second);
  if (req.body.empty()) return out;
  rapidjson::Document doc;
  ApiResponse ignored;
  if (!ParseJsonBody(req, &doc, &ignored) || !doc.IsObject()) return out;
  AddTenantOf(doc, &out);
  if (doc.HasMember("entries") && doc["entries"].IsArray()) {
    for (const auto& entry : doc["entries"].GetArray()) AddTenantOf(entry, &out);
  }
  return out;
}

ApiResponse Unauthorized() {
  ApiResponse out = ErrorResponse(ApiError::kUnauthorized, "a valid access token is required");
  out.headers.emplace_back("WWW-Authenticate", "Bearer");
  return out;
}

ApiResponse Forbidden() {
  return ErrorResponse(ApiError::kForbidden, "this token may not do that");
}

void RefreshMissingUser(const ApiContext& ctx, const std::string& user_id) {
  if (ctx.directory == nullptr || ctx.accounts == nullptr || user_id.empty() ||
      ctx.directory->UserRole(user_id)) {
    return;
  }
  std::optional<db::UserRow> user;
  if (ctx.accounts->FindUser(user_id, &user).ok() && user) {
    ctx.directory->PutUser(user->uuid, auth::ParseRole(user->role).value_or(auth::Role::kUser));
  }
}

ApiResponse DecisionResponse(auth::Decision decision) {
  return decision == auth::Decision::kUnauthorized ? Unauthorized() : Forbidden();
}

auth::Decision TenantDecision(const ApiContext& ctx, const ApiRequest& req,
                              const std::string& tenant) {
  if (!ctx.auth.required) return auth::Decision::kAllow;
  // Created a moment ago on another instance (PostgreSQL) or by a tool:
  // read before refusing.
  if (ctx.directory != nullptr && ctx.accounts != nullptr && !ctx.directory->OwnerOf(tenant)) {
    std::optional<db::TenantRow> row;
    if (ctx.accounts->FindTenant(tenant, &row).ok() && row) {
      ctx.directory->PutTenant(row->uuid, row->user_id);
    }
  }
  std::optional<std::string> owner =
      ctx.directory != nullptr ? ctx.directory->OwnerOf(tenant) : std::nullopt;
  return auth::CheckTenant(req.caller ? &*req.caller : nullptr, tenant, owner);
}

}  // namespace syncd::api
