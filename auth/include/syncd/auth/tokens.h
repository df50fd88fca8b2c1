// Access and refresh tokens (accounts.md, Tokens). Access tokens are JWTs
// made and checked by libjwt: HS256 with syncd's own secret, or RS256/ES256
// under an external identity provider's public key. Refresh tokens are
// opaque random strings; only their SHA-256 is stored. Plain functions over
// plain types; libjwt and OpenSSL stay inside tokens.cc. Any thread.
// Keys and tokens are never logged or put in an error text.
#ifndef SYNCD_AUTH_TOKENS_H_
#define SYNCD_AUTH_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syncd/auth/access.h"

namespace syncd::auth {

// The keys tokens are checked with. Either may be empty (not configured).
struct TokenKeys {
  std::string hmac_secret;     // HS256: syncd's own tokens (≥ 32 bytes)
  std::string public_key_pem;  // RS256 or ES256: an external provider's tokens
};

// A token past `exp` by more than this is refused, and one whose `nbf` is
// further than this ahead (clock skew between hosts).
inline constexpr int64_t kExpiryLeewayS = 30;
// The issuer of syncd's own tokens.
inline constexpr const char* kIssuer = "syncd";

enum class TokenError {
  kNone,
  kMalformed,    // not a JWT libjwt can read
  kAlgorithm,    // alg none, or an algorithm no configured key is for
  kSignature,    // signature does not verify under the key of its algorithm
  kExpired,      // past exp + leeway
  kNotYetValid,  // before nbf - leeway (a token with an nbf claim)
  kClaims,       // sub/exp missing, wrong iss, unknown role, bad tenants claim
};

// An HS256 access token for `user_id` with `role`, issued at `now_s` and
// valid for `ttl_s`. "" when no secret is configured or libjwt failed.
std::string IssueAccessToken(const TokenKeys& keys, const std::string& user_id, Role role,
                             int64_t now_s, int64_t ttl_s);

// Checks `token` at `now_s`; on kNone *caller holds its claims (external
// tokens: `tenants` when they carry that claim).
TokenError VerifyAccessToken(const TokenKeys& keys, std::string_view token, int64_t now_s,
                             Principal* caller);

// A random UUID (version 4), lower-case: new users' ids, refresh chains.
std::string NewUuid();

// A new refresh token: 32 random bytes, base64url. "" if the RNG failed.
std::string NewRefreshToken();
// What is stored of a refresh token: its SHA-256, lower-case hex.
std::string HashRefreshToken(std::string_view token);

// The bearer token of an `Authorization` header value ("Bearer …",
// case-insensitive scheme), or "" when it has none.
std::string BearerToken(std::string_view authorization);

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_TOKENS_H_
