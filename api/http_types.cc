#include "http_types.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "syncd/common/percent_decoding.h"
#include "syncd/domain/identifier.h"
#include "syncd/domain/json_limits.h"
#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

namespace {

struct ErrorRow {
  ApiError error;
  int status;
  const char* code;
};

constexpr ErrorRow kErrorTable[] = {
    {ApiError::kInvalidJson, 400, "invalid_json"},
    {ApiError::kValidation, 400, "validation_error"},
    {ApiError::kNotFound, 404, "not_found"},
    {ApiError::kMethodNotAllowed, 405, "method_not_allowed"},
    {ApiError::kConflict, 409, "conflict"},
    {ApiError::kTooLarge, 413, "too_large"},
    {ApiError::kUnsupportedMediaType, 415, "unsupported_media_type"},
    {ApiError::kInternal, 500, "internal_error"},
    {ApiError::kShuttingDown, 503, "shutting_down"},
    {ApiError::kMalformedRequest, 400, "bad_request"},
    {ApiError::kForbiddenOrigin, 403, "forbidden_origin"},
    {ApiError::kRequestTimeout, 408, "request_timeout"},
    {ApiError::kTooManyConnections, 503, "too_many_connections"},
    {ApiError::kLengthRequired, 411, "length_required"},
    {ApiError::kUnauthorized, 401, "unauthorized"},
    {ApiError::kForbidden, 403, "forbidden"},
    {ApiError::kInvalidCredentials, 401, "invalid_credentials"},
    {ApiError::kEmailTaken, 409, "email_taken"},
    {ApiError::kTooManyRequests, 429, "too_many_requests"},
    {ApiError::kForbiddenHost, 403, "forbidden_host"},
    {ApiError::kTenantHasData, 409, "tenant_has_data"},
    {ApiError::kLocalAccountsDisabled, 501, "local_accounts_disabled"},
    {ApiError::kBusy, 503, "busy"},
};

const std::string kInternalMessage = "internal error";

const ErrorRow& RowOf(ApiError error) {
  for (const ErrorRow& row : kErrorTable) {
    if (row.error == error) return row;
  }
  return RowOf(ApiError::kInternal);  // unreachable while the table is complete
}

}  // namespace

int HttpStatusOf(ApiError error) { return RowOf(error).status; }
std::string_view ErrorCodeOf(ApiError error) { return RowOf(error).code; }

ApiResponse ErrorResponse(ApiError error, const std::string& message) {
  // An internal error's detail goes to the log, not to the client; the one
  // stable text a client may see is that the database is unavailable (the
  // caller logged its detail already).
  const bool stable = message == pipeline::kDatabaseUnavailable;
  if (error == ApiError::kInternal && !stable) {
    std::fprintf(stderr, "syncd: api: internal error: %s\n", message.c_str());
  }
  const std::string& shown = error == ApiError::kInternal && !stable ? kInternalMessage : message;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  std::string_view code = ErrorCodeOf(error);
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("message");
  w.String(shown);
  w.EndObject();
  w.EndObject();
  return JsonResponse(JsonText(buf), HttpStatusOf(error));
}

ApiResponse JsonResponse(std::string body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::optional<std::string> PathParam(std::string_view name, std::string_view raw,
                                     std::string* error) {
  std::optional<std::string> decoded = common::PercentDecode(raw);
  if (!decoded) {
    *error = std::string(name) + " has a '%' that is not followed by two hex digits";
    return std::nullopt;
  }
  if (std::optional<std::string> bad = domain::CheckIdentifier(*decoded, name)) {
    *error = std::move(*bad);
    return std::nullopt;
  }
  return decoded;
}

std::optional<int64_t> QueryInt(const ApiRequest& request, const std::string& name, int64_t min,
                                int64_t max, std::string* error) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return std::nullopt;
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    *error =
        name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    return std::nullopt;
  }
  return value;
}

bool ParseJsonBody(const ApiRequest& request, rapidjson::Document* doc, ApiResponse* error) {
  std::string message;
  switch (domain::ParseJsonLimited(request.body, doc, &message)) {
    case domain::JsonParseError::kNone:
      return true;
    case domain::JsonParseError::kTooDeep:
      *error = ErrorResponse(ApiError::kInvalidJson,
                             "JSON nested deeper than " + std::to_string(domain::kMaxJsonDepth));
      return false;
    case domain::JsonParseError::kInvalid:
      break;
  }
  *error = ErrorResponse(ApiError::kInvalidJson, "invalid JSON: " + message);
  return false;
}

std::optional<std::string_view> StringMember(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> IdentifierMember(const rapidjson::Value& obj, const char* name,
                                            ApiResponse* error) {
  std::optional<std::string_view> value = StringMember(obj, name);
  if (!value) {
    const bool present = obj.IsObject() && obj.HasMember(name);
    *error = ErrorResponse(ApiError::kValidation,
                           std::string(name) + (present ? " must be a string" : " is required"));
    return std::nullopt;
  }
  if (std::optional<std::string> bad = domain::CheckIdentifier(*value, name)) {
    *error = ErrorResponse(ApiError::kValidation, *bad);
    return std::nullopt;
  }
  return std::string(*value);
}

int64_t NowEpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace syncd::api
