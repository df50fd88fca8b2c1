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
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syncd::api {

// One request, decoded: path parameters and query values are percent-decoded.
struct ApiRequest {
  std::map<std::string, std::string> params;  // {tenant_id} -> value
  std::map<std::string, std::string> query;
  std::string body;
  std::map<std::string, std::string> headers;  // untyped headers, names in lower case
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;                                         // the Allow header of a 405
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Location, Cache-Control
};

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
};

// The one table: HTTP status and `error.code` of each ApiError.
int HttpStatusOf(ApiError error);
std::string_view ErrorCodeOf(ApiError error);

// {"error":{"code":…,"message":…}} with the status of `error`.
ApiResponse ErrorResponse(ApiError error, const std::string& message);
ApiResponse JsonResponse(std::string body, int status = 200);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
inline std::string JsonText(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

// "%41" -> "A"; '+' is kept (RFC 3986 paths and openapi-fetch queries use %20).
// Malformed escapes are kept as they are.
std::string PercentDecode(std::string_view text);

// A query parameter as an integer in [min, max]: nullopt when absent, and
// *error set when present but not such an integer.
std::optional<int64_t> QueryInt(const ApiRequest& request, const std::string& name, int64_t min,
                                int64_t max, std::string* error);

// Parses the body with the depth limit (domain/json_limits.h). On failure
// *error is the 400 invalid_json answer.
bool ParseJsonBody(const ApiRequest& request, rapidjson::Document* doc, ApiResponse* error);

// A member of `obj` as a non-empty string, or nullptr.
const rapidjson::Value* NonEmptyString(const rapidjson::Value& obj, const char* name);

int64_t NowEpochMs();

}  // namespace syncd::api

#endif  // SYNCD_API_HTTP_TYPES_H_
