// The accounts routes (accounts.md): ping, register, login with its
// throttle, refresh-token rotation, logout, and users. The JSON shapes are
// the ones the web frontend already uses (camelCase times as ISO-8601 UTC).
// Passwords are hashed here (auth/password.h) and never logged or returned.
#include <cctype>
#include <ctime>

#include "handlers.h"
#include "syncd/auth/account_rules.h"
#include "syncd/auth/password.h"
#include "syncd/auth/tokens.h"

namespace syncd::api {

namespace {

using auth::LooksLikeEmail;
using auth::NameProblem;
using auth::PasswordProblem;
constexpr size_t kMaxPasswordBytes = auth::kMaxPasswordBytes;

ApiResponse NoAccounts() {
  return ErrorResponse(ApiError::kInternal, "the accounts store is not configured");
}

ApiResponse StoreError(ApiContext& ctx, const char* what, const common::Status& s) {
  return DatabaseError(ctx, what, s);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A required string member, else *error is the 400.
std::optional<std::string> RequiredString(const rapidjson::Value& doc, const char* name,
                                          ApiResponse* error) {
  std::optional<std::string_view> v = StringMember(doc, name);
  if (!v) {
    *error = ErrorResponse(ApiError::kValidation, std::string(name) + " is required (a string)");
    return std::nullopt;
  }
  return std::string(*v);
}

// 503 busy: every password slot is taken (a burst of registrations or logins).
ApiResponse PasswordBusy() {
  ApiResponse out =
      ErrorResponse(ApiError::kBusy, "too many password checks at once; try again shortly");
  out.headers.emplace_back("Retry-After", "1");
  return out;
}

ApiResponse RetryLater(ApiError error, const char* message, int64_t wait_ms) {
  ApiResponse out = ErrorResponse(error, message);
  out.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
  return out;
}

// Token mode with only an external provider's key: syncd issues no tokens,
// so its own accounts cannot sign in (security.md). nullopt otherwise.
std::optional<ApiResponse> LocalAccountsDisabled(const ApiContext& ctx) {
  if (!ctx.auth.keys.hmac_secret.empty()) return std::nullopt;
  return ErrorResponse(ApiError::kLocalAccountsDisabled,
                       "syncd's own accounts are disabled: this server only accepts tokens of "
                       "its external identity provider (no --jwt-secret-file)");
}

ApiResponse PlainStatus(int status) {
  ApiResponse out;
  out.status = status;
  out.content_type = "text/plain";
  return out;
}

void WriteUserMembers(JsonWriter& w, const db::UserRow& user) {
  w.Key("uuid");
  w.String(user.uuid);
  w.Key("name");
  w.String(user.name);
  w.Key("email");
  w.String(user.email);
  w.Key("createdAt");
  w.String(IsoTime(user.created_at_ms));
  w.Key("updatedAt");
  w.String(IsoTime(user.updated_at_ms));
}

ApiResponse UserAnswer(const db::UserRow& user, int status = 200) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteUserMembers(w, user);
  w.EndObject();
  return JsonResponse(JsonText(buf), status);
}

// A new access token and refresh token (a new chain) for `user`.
bool IssueTokens(ApiContext& ctx, const db::UserRow& user, std::string* access,
                 std::string* refresh, common::Status* s) {
  const int64_t now_ms = NowEpochMs();
  const auth::Role role = auth::ParseRole(user.role).value_or(auth::Role::kUser);
  *access =
      auth::IssueAccessToken(ctx.auth.keys, user.uuid, role, now_ms / 1000, ctx.auth.access_ttl_s);
  *refresh = auth::NewRefreshToken();
  if (access->empty() || refresh->empty()) return false;
  *s =
      ctx.accounts->InsertRefreshToken(auth::HashRefreshToken(*refresh), user.uuid, auth::NewUuid(),
                                       now_ms + ctx.auth.refresh_ttl_s * 1000, now_ms);
  return s->ok();
}

// Validates and writes a new user (register and POST /users).
ApiResponse CreateUser(ApiContext& ctx, db::UserRow user,
                       const std::optional<std::string>& password) {
  if (auto bad = NameProblem(user.name)) return ErrorResponse(ApiError::kValidation, *bad);
  if (!LooksLikeEmail(user.email)) {
    return ErrorResponse(ApiError::kValidation, "email must look like name@example.org");
  }
  if (password) {
    if (auto bad = PasswordProblem(*password)) return ErrorResponse(ApiError::kValidation, *bad);
    auth::PasswordSlots::Slot slot(&ctx.password_slots);
    if (!slot.ok()) return PasswordBusy();
    user.password_hash = auth::HashPassword(*password);
    if (user.password_hash.empty()) return ErrorResponse(ApiError::kInternal, "hashing failed");
  }
  user.created_at_ms = user.updated_at_ms = NowEpochMs();
  db::WriteOutcome outcome = db::WriteOutcome::kDone;
  common::Status s = ctx.accounts->CreateUser(user, &outcome);
  if (!s.ok()) return StoreError(ctx, "create user", s);
  if (outcome == db::WriteOutcome::kEmailTaken) {
    return ErrorResponse(ApiError::kEmailTaken, "an account with this email exists");
  }
  if (outcome == db::WriteOutcome::kIdTaken) {
    return ErrorResponse(ApiError::kConflict, "a user with this uuid exists");
  }
  if (ctx.directory != nullptr) ctx.directory->PutUser(user.uuid, auth::Role::kUser);
  return UserAnswer(user, 201);
}

}  // namespace

std::string IsoTime(int64_t epoch_ms) {
  auto secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buf;
}

ApiResponse HandlePing(ApiContext&, const ApiRequest&) {
  return JsonResponse(R"({"status":"ok","message":"pong"})");
}

ApiResponse HandleRegister(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  if (auto disabled = LocalAccountsDisabled(ctx)) return *disabled;
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> name = RequiredString(doc, "name", &error);
  if (!name) return error;
  std::optional<std::string> email = RequiredString(doc, "email", &error);
  if (!email) return error;
  std::optional<std::string> password = RequiredString(doc, "password", &error);
  if (!password) return error;
  // Each registration costs an Argon2id hash: a bounded number per client
  // address (security.md).
  if (int64_t wait = ctx.register_limit.Take(req.client_address, NowEpochMs()); wait > 0) {
    return RetryLater(ApiError::kTooManyRequests, "too many registrations; try again later", wait);
  }
  db::UserRow user;
  user.uuid = auth::NewUuid();
  user.name = *name;
  user.email = *email;
  return CreateUser(ctx, std::move(user), password);
}

ApiResponse HandleLogin(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  if (auto disabled = LocalAccountsDisabled(ctx)) return *disabled;
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> login = RequiredString(doc, "username_or_email", &error);
  if (!login) return error;
  std::optional<std::string> password = RequiredString(doc, "password", &error);
  if (!password) return error;
  // The account's bucket is the user's id when the login names one (by
  // name or by email: both reach the same 5 tries), else the login text.
  std::optional<db::UserRow> user;
  common::Status s = ctx.accounts->FindLogin(*login, &user);
  if (!s.ok()) return StoreError(ctx, "login read", s);
  const std::string account = user ? "id:" + user->uuid : "login:" + Lower(*login);
  const int64_t now_ms = NowEpochMs();
  if (int64_t wait = ctx.login_throttle.RetryAfterMs(account, req.client_address, now_ms);
      wait > 0) {
    return RetryLater(ApiError::kTooManyRequests, "too many failed logins; try again later", wait);
  }
  auth::PasswordSlots::Slot slot(&ctx.password_slots);
  if (!slot.ok()) return PasswordBusy();
  // The same work and the same answer for an unknown account, an account
  // without a password and a wrong password: neither the text nor the time
  // tells which.
  const bool ok =
      password->size() <= kMaxPasswordBytes &&
      (user && !user->password_hash.empty() ? auth::VerifyPassword(user->password_hash, *password)
                                            : auth::VerifyAgainstDummy(*password));
  if (!ok) {
    ctx.login_throttle.RecordFailure(account, req.client_address, now_ms);
    return ErrorResponse(ApiError::kInvalidCredentials, "wrong account or password");
  }
  ctx.login_throttle.RecordSuccess(account);
  // An account made by `syncd user add` while this process runs is known
  // from its first login on (the directory was loaded at start).
  if (ctx.directory != nullptr) {
    ctx.directory->PutUser(user->uuid, auth::ParseRole(user->role).value_or(auth::Role::kUser));
  }
  std::string access, refresh;
  if (!IssueTokens(ctx, *user, &access, &refresh, &s)) {
    if (!s.ok()) return StoreError(ctx, "refresh token write", s);
    return ErrorResponse(ApiError::kInternal, "could not issue a token");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteUserMembers(w, *user);
  w.Key("accessToken");
  w.String(access);
  w.Key("refreshToken");
  w.String(refresh);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

// 401 of POST /token/refresh: it is the refresh token that is refused.
ApiResponse RefreshRefused() {
  return ErrorResponse(ApiError::kUnauthorized,
                       "the refresh token is unknown, expired or revoked; sign in again");
}

ApiResponse HandleRefresh(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  if (auto disabled = LocalAccountsDisabled(ctx)) return *disabled;
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> token = RequiredString(doc, "refreshToken", &error);
  if (!token) return error;
  const int64_t now_ms = NowEpochMs();
  const std::string next = auth::NewRefreshToken();
  if (next.empty()) return ErrorResponse(ApiError::kInternal, "could not make a token");
  db::RefreshOutcome outcome = db::RefreshOutcome::kUnknown;
  std::string user_id;
  common::Status s = ctx.accounts->RotateRefreshToken(
      auth::HashRefreshToken(*token), auth::HashRefreshToken(next),
      now_ms + ctx.auth.refresh_ttl_s * 1000, now_ms, &outcome, &user_id);
  if (!s.ok()) return StoreError(ctx, "refresh token rotation", s);
  if (outcome != db::RefreshOutcome::kRotated) return RefreshRefused();
  std::optional<db::UserRow> user;
  s = ctx.accounts->FindUser(user_id, &user);
  if (!s.ok()) return StoreError(ctx, "refresh user read", s);
  if (!user) return RefreshRefused();
  const auth::Role role = auth::ParseRole(user->role).value_or(auth::Role::kUser);
  std::string access =
      auth::IssueAccessToken(ctx.auth.keys, user->uuid, role, now_ms / 1000, ctx.auth.access_ttl_s);
  if (access.empty()) return ErrorResponse(ApiError::kInternal, "could not issue a token");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("accessToken");
  w.String(access);
  w.Key("refreshToken");
  w.String(next);
  w.EndObject();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleLogout(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> token = RequiredString(doc, "refreshToken", &error);
  if (!token) return error;
  common::Status s = ctx.accounts->RevokeRefreshToken(auth::HashRefreshToken(*token));
  if (!s.ok()) return StoreError(ctx, "logout", s);
  return PlainStatus(204);
}

ApiResponse HandleUsersMe(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  if (!req.caller) return Unauthorized();  // in none mode too: "me" needs a token
  std::optional<db::UserRow> user;
  common::Status s = ctx.accounts->FindUser(req.caller->user_id, &user);
  if (!s.ok()) return StoreError(ctx, "user read", s);
  if (!user) return ErrorResponse(ApiError::kNotFound, "no such user");
  return UserAnswer(*user);
}

ApiResponse HandleListUsers(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  std::vector<db::UserRow> users;
  common::Status s = ctx.accounts->ListUsers(&users);
  if (!s.ok()) return StoreError(ctx, "user list", s);
  const bool all = !ctx.auth.required || req.caller->role == auth::Role::kOperator;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const db::UserRow& user : users) {
    if (!all && user.uuid != req.caller->user_id) continue;
    w.StartObject();
    WriteUserMembers(w, user);
    w.EndObject();
  }
  w.EndArray();
  return JsonResponse(JsonText(buf));
}

ApiResponse HandleCreateUser(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  std::optional<std::string> uuid = IdentifierMember(doc, "uuid", &error);
  if (!uuid) return error;
  std::optional<std::string> name = RequiredString(doc, "name", &error);
  if (!name) return error;
  std::optional<std::string> email = RequiredString(doc, "email", &error);
  if (!email) return error;
  std::optional<std::string> password;
  if (doc.HasMember("password") && !doc["password"].IsNull()) {
    password = RequiredString(doc, "password", &error);
    if (!password) return error;
  }
  db::UserRow user;
  user.uuid = *uuid;
  user.name = *name;
  user.email = *email;
  return CreateUser(ctx, std::move(user), password);
}

ApiResponse HandleUpdateUser(ApiContext& ctx, const ApiRequest& req) {
  if (ctx.accounts == nullptr) return NoAccounts();
  const std::string& uuid = req.params.at("uuid");
  if (ctx.auth.required) {
    auth::Decision d = auth::CheckUser(req.caller ? &*req.caller : nullptr, uuid);
    if (d != auth::Decision::kAllow) return DecisionResponse(d);
  }
  rapidjson::Document doc;
  ApiResponse error;
  if (!ParseJsonBody(req, &doc, &error)) return error;
  if (!doc.IsObject()) return ErrorResponse(ApiError::kValidation, "body must be an object");
  std::optional<db::UserRow> user;
  common::Status s = ctx.accounts->FindUser(uuid, &user);
  if (!s.ok()) return StoreError(ctx, "user read", s);
  if (!user) return ErrorResponse(ApiError::kNotFound, "no such user");
  // An operator's email and password are its way into every tenant: only
  // an operator token changes them, in none mode too (security.md).
  auto changes = [&](const char* member) { return doc.HasMember(member) && !doc[member].IsNull(); };
  if (user->role == auth::RoleName(auth::Role::kOperator) &&
      (changes("email") || changes("password"))) {
    if (!req.caller) return Unauthorized();
    if (req.caller->role != auth::Role::kOperator)
      return DecisionResponse(auth::Decision::kForbidden);
  }
  bool password_changed = false;
  for (const char* member : {"name", "email", "password"}) {
    if (!doc.HasMember(member) || doc[member].IsNull()) continue;
    std::optional<std::string> value = RequiredString(doc, member, &error);
    if (!value) return error;
    if (std::string_view(member) == "name") {
      if (auto bad = NameProblem(*value)) return ErrorResponse(ApiError::kValidation, *bad);
      user->name = *value;
    } else if (std::string_view(member) == "email") {
      if (!LooksLikeEmail(*value)) {
        return ErrorResponse(ApiError::kValidation, "email must look like name@example.org");
      }
      user->email = *value;
    } else {
      if (auto bad = PasswordProblem(*value)) return ErrorResponse(ApiError::kValidation, *bad);
      auth::PasswordSlots::Slot slot(&ctx.password_slots);
      if (!slot.ok()) return PasswordBusy();
      user->password_hash = auth::HashPassword(*value);
      if (user->password_hash.empty()) return ErrorResponse(ApiError::kInternal, "hashing failed");
      password_changed = true;
    }
  }
  user->updated_at_ms = NowEpochMs();
  db::WriteOutcome outcome = db::WriteOutcome::kDone;
  s = ctx.accounts->UpdateUser(*user, &outcome);
  if (!s.ok()) return StoreError(ctx, "update user", s);
  if (outcome == db::WriteOutcome::kEmailTaken) {
    return ErrorResponse(ApiError::kEmailTaken, "an account with this email exists");
  }
  if (outcome == db::WriteOutcome::kNotFound) {
    return ErrorResponse(ApiError::kNotFound, "no such user");
  }
  if (password_changed) {
    // Whoever knew the old password may hold a refresh token: end them all
    // (access tokens still run out within their short lifetime).
    s = ctx.accounts->RevokeUserRefreshTokens(user->uuid);
    if (!s.ok()) return StoreError(ctx, "refresh token revocation", s);
  }
  return UserAnswer(*user);
}

}  // namespace syncd::api
