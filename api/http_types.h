// Plain request/response types between the Pistache wiring (http_server.cc)
// and the handlers, so handlers know no Pistache type and can be read (and
// changed) without the framework in mind. Also the one table from API error
// to HTTP status (STYLE.md 4).
#ifndef SYNCD_API_HTTP_TYPES_H_
#define SYNCD_API_HTTP_TYPES_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syncd/auth/access.h"

namespace syncd::api {

// One request, decoded: path parameters and query values are percent-decoded.
struct ApiRequest {
  std::map<std::string, std::string> params;  // {tenant_id} -> value
  std::map<std::string, std::string> query;
  std::string body;
  std::map<std::string, std::string> headers;  // untyped headers, names in lower case
  // The caller, when the request carried a token that verified (any mode).
  std::optional<auth::Principal> caller;
  std::string client_address;  // the peer's IP address (login throttling)
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // the Allow header of a 405
  // Set by a handler that answers later, when the pipeline has (it waits for
  // results): the server calls it once with a function that sends the answer,
  // which may be called from any thread, exactly once. Then no Pistache thread
  // waits (ARCHITECTURE.md); status and body of this ApiResponse are unused.
  std::function<void(std::function<void(ApiResponse)>)> deferred;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Location, Cache-Control
  // Set by GET /api/v1/events: the server opens a Server-Sent Events stream
  // (event_streams.h) whose first `overview` event carries `body`, instead
  // of sending `body` as the answer. Only with status 200.
  bool event_stream = false;
};

// Sends the answer of a deferred ApiResponse (see ApiResponse::deferred).
using Reply = std::function<void(ApiResponse)>;

// Every error the API answers (openapi.yaml, the table in info.description).
enum class ApiError {
  kInvalidJson,
  kValidation,
  kNotFound,
  kMethodNotAllowed,
  kConflict,
  kTooLarge,
  kUnsupportedMediaType,
  kInternal,
  kShuttingDown,
  kMalformedRequest,       // not HTTP we can read (bad request line, header or length)
  kForbiddenOrigin,        // a state-changing request from a browser origin not allowed
  kRequestTimeout,         // the request did not arrive in time
  kTooManyConnections,     // --max-connections reached
  kLengthRequired,         // a body sent with Transfer-Encoding (chunked) instead of a length
  kUnauthorized,           // no valid access token (token mode); WWW-Authenticate: Bearer
  kForbidden,              // a valid token that may not do this
  kInvalidCredentials,     // POST /login: unknown account or wrong password (one answer for both)
  kEmailTaken,             // POST /register, /users, PUT /users/{uuid}: the email has an account
  kTooManyRequests,        // POST /login, /register throttled; Retry-After
  kForbiddenHost,          // none mode: a Host header that names no allowed host (DNS rebinding)
  kTenantHasData,          // token mode: POST /tenants for an id with sync data and no owner
  kLocalAccountsDisabled,  // token mode with only an external key: no syncd accounts to sign in
  kBusy,                   // too many password hashes at once; Retry-After
};

// The one table: HTTP status and `error.code` of each ApiError.
int HttpStatusOf(ApiError error);
std::string_view ErrorCodeOf(ApiError error);

// {"error":{"code":…,"message":…}} with the status of `error`. For kInternal
// the message goes to the log and the body says only "internal error": a
// database or exception text is no business of the client's.
ApiResponse ErrorResponse(ApiError error, const std::string& message);
ApiResponse JsonResponse(std::string body, int status = 200);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
inline std::string JsonText(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

// A path parameter ({tenant_id}, {entry_id}) as sent in the URL: strictly
// percent-decoded (common::PercentDecode), then an identifier
// (domain::CheckIdentifier). nullopt and *error (the 400 message) otherwise.
std::optional<std::string> PathParam(std::string_view name, std::string_view raw,
                                     std::string* error);

// A query parameter as an integer in [min, max]: nullopt when absent, and
// *error set when present but not such an integer.
std::optional<int64_t> QueryInt(const ApiRequest& request, const std::string& name, int64_t min,
                                int64_t max, std::string* error);

// Parses the body with the depth limit (domain/json_limits.h). On failure
// *error is the 400 invalid_json answer.
bool ParseJsonBody(const ApiRequest& request, rapidjson::Document* doc, ApiResponse* error);

// A member of `obj` as a string with its length (it may hold a NUL), or
// nullopt when `obj` is not an object or the member is absent or no string.
std::optional<std::string_view> StringMember(const rapidjson::Value& obj, const char* name);

// A member of `obj` that names a tenant, entry or entity: a string passing
// domain::CheckIdentifier. nullopt and *error (a 400 validation_error) otherwise.
std::optional<std::string> IdentifierMember(const rapidjson::Value& obj, const char* name,
                                            ApiResponse* error);

int64_t NowEpochMs();

}  // namespace syncd::api

#endif  // SYNCD_API_HTTP_TYPES_H_
