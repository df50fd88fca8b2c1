#include "syncd/auth/tokens.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

namespace syncd::auth {

namespace {

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct StrFree {
  void operator()(char* s) const { free(s); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using JwtString = std::unique_ptr<char, StrFree>;

const unsigned char* KeyBytes(const std::string& key) {
  return reinterpret_cast<const unsigned char*>(key.data());
}

// The `tenants` claim: absent (nullopt, ok) or an array of strings.
bool ReadTenants(jwt_t* jwt, std::optional<std::vector<std::string>>* out) {
  JwtString json(jwt_get_grants_json(jwt, "tenants"));
  if (!json) return true;
  rapidjson::Document doc;
  doc.Parse(json.get());
  if (doc.HasParseError() || !doc.IsArray()) return false;
  std::vector<std::string> names;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsString()) return false;
    names.emplace_back(v.GetString(), v.GetStringLength());
  }
  *out = std::move(names);
  return true;
}

}  // namespace

std::string IssueAccessToken(const TokenKeys& keys, const std::string& user_id, Role role,
                             int64_t now_s, int64_t ttl_s) {
  if (keys.hmac_secret.empty()) return "";
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return "";
  JwtPtr jwt(raw);
  if (jwt_add_grant(jwt.get(), "sub", user_id.c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "iss", kIssuer) != 0 ||
      jwt_add_grant(jwt.get(), "role", RoleName(role)) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now_s)) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now_s + ttl_s)) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, KeyBytes(keys.hmac_secret),
                  static_cast<int>(keys.hmac_secret.size())) != 0) {
    return "";
  }
  JwtString text(jwt_encode_str(jwt.get()));
  return text ? std::string(text.get()) : std::string();
}

TokenError VerifyAccessToken(const TokenKeys& keys, std::string_view token, int64_t now_s,
                             Principal* caller) {
  const std::string text(token);
  if (text.empty() || text.find('\0') != std::string::npos) return TokenError::kMalformed;
  // First read the header's algorithm (libjwt, no key: nothing is trusted
  // yet), then verify with the one key meant for that algorithm. A token
  // whose algorithm has no key here (none, HS384, RS256 without a public
  // key, HS256 without a secret) is refused before any verification, so
  // the public key is never used as an HMAC secret.
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), nullptr, 0) != 0) return TokenError::kMalformed;
  // Without a key libjwt reports every token as alg none; the header it
  // parsed still names the algorithm.
  const char* alg_name = jwt_get_header(raw, "alg");
  const jwt_alg_t alg = alg_name != nullptr ? jwt_str_alg(alg_name) : JWT_ALG_INVAL;
  jwt_free(raw);
  const std::string* key = nullptr;
  bool external = false;
  if (alg == JWT_ALG_HS256 && !keys.hmac_secret.empty()) {
    key = &keys.hmac_secret;
  } else if ((alg == JWT_ALG_RS256 || alg == JWT_ALG_ES256) && !keys.public_key_pem.empty()) {
    key = &keys.public_key_pem;
    external = true;
  } else {
    return TokenError::kAlgorithm;
  }
  raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), KeyBytes(*key), static_cast<int>(key->size())) != 0) {
    return TokenError::kSignature;
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != alg) return TokenError::kAlgorithm;

  const char* sub = jwt_get_grant(jwt.get(), "sub");
  errno = 0;
  const long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno != 0 || sub == nullptr || *sub == '\0') return TokenError::kClaims;
  if (now_s > exp + kExpiryLeewayS) return TokenError::kExpired;
  // `nbf` is optional (RFC 7519 4.1.5); an external provider may set it.
  errno = 0;
  const long nbf = jwt_get_grant_int(jwt.get(), "nbf");
  if (errno == 0 && now_s + kExpiryLeewayS < nbf) return TokenError::kNotYetValid;
  const char* iss = jwt_get_grant(jwt.get(), "iss");
  if (!external && (iss == nullptr || std::string_view(iss) != kIssuer)) {
    return TokenError::kClaims;
  }
  Principal out;
  out.user_id = sub;
  out.external = external;
  out.expires_at_s = exp;
  const char* role = jwt_get_grant(jwt.get(), "role");
  if (role != nullptr) {
    std::optional<Role> parsed = ParseRole(role);
    if (!parsed) return TokenError::kClaims;
    out.role = *parsed;
  } else if (!external) {
    return TokenError::kClaims;
  }
  if (!ReadTenants(jwt.get(), &out.tenants)) return TokenError::kClaims;
  *caller = std::move(out);
  return TokenError::kNone;
}

std::string NewUuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return "";
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

std::string NewRefreshToken() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return "";
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::string HashRefreshToken(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string BearerToken(std::string_view authorization) {
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return "";
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return std::string(token);
}

}  // namespace syncd::auth
