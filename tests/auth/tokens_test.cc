#include "syncd/auth/tokens.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace syncd::auth {
namespace {

constexpr int64_t kNow = 1700000000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-test";

TokenKeys OwnKeys() {
  TokenKeys keys;
  keys.hmac_secret = kSecret;
  return keys;
}

// A key pair made here with OpenSSL's EVP API, as PEM text.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

KeyPair PemOf(EVP_PKEY* key) {
  KeyPair out;
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_pem = BioText(priv);
  BIO_free(priv);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  out.public_pem = BioText(pub);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

KeyPair RsaKeys() { return PemOf(EVP_RSA_gen(2048)); }
KeyPair EcKeys() { return PemOf(EVP_EC_gen("P-256")); }

// A token as another issuer would make it (libjwt, any algorithm and key).
// `tenants`: a JSON array for the `tenants` claim, or "" for none.
std::string Sign(jwt_alg_t alg, const std::string& key, const std::string& sub, int64_t exp,
                 const std::string& tenants = "", const char* iss = "idp.example",
                 int64_t nbf = 0) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  jwt_add_grant(jwt, "sub", sub.c_str());
  if (iss != nullptr) jwt_add_grant(jwt, "iss", iss);
  jwt_add_grant_int(jwt, "iat", kNow);
  jwt_add_grant_int(jwt, "exp", static_cast<long>(exp));
  if (nbf != 0) jwt_add_grant_int(jwt, "nbf", static_cast<long>(nbf));
  if (!tenants.empty()) {
    EXPECT_EQ(jwt_add_grants_json(jwt, ("{\"tenants\":" + tenants + "}").c_str()), 0);
  }
  EXPECT_EQ(jwt_set_alg(jwt, alg,
                        key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())),
            0);
  char* text = jwt_encode_str(jwt);
  std::string out = text != nullptr ? text : "";
  free(text);  // NOLINT(cppcoreguidelines-no-malloc)
  jwt_free(jwt);
  return out;
}

TEST(TokensTest, IssuedTokenVerifies) {
  std::string token = IssueAccessToken(OwnKeys(), "user-1", Role::kOperator, kNow, 900);
  ASSERT_FALSE(token.empty());
  Principal caller;
  ASSERT_EQ(VerifyAccessToken(OwnKeys(), token, kNow + 10, &caller), TokenError::kNone);
  EXPECT_EQ(caller.user_id, "user-1");
  EXPECT_EQ(caller.role, Role::kOperator);
  EXPECT_EQ(caller.expires_at_s, kNow + 900);
  EXPECT_FALSE(caller.external);
  EXPECT_FALSE(caller.tenants.has_value());
}

TEST(TokensTest, ExpiredTokenIsRefusedAfterTheLeeway) {
  std::string token = IssueAccessToken(OwnKeys(), "u", Role::kUser, kNow, 60);
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), token, kNow + 60 + kExpiryLeewayS, &caller),
            TokenError::kNone);
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), token, kNow + 61 + kExpiryLeewayS, &caller),
            TokenError::kExpired);
}

TEST(TokensTest, WrongKeyIsRefused) {
  TokenKeys other;
  other.hmac_secret = "another-secret-of-at-least-32-bytes!!";
  std::string token = IssueAccessToken(other, "u", Role::kUser, kNow, 60);
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), token, kNow, &caller), TokenError::kSignature);
}

TEST(TokensTest, AlgNoneIsRefused) {
  std::string token = Sign(JWT_ALG_NONE, "", "u", kNow + 60, "", kIssuer);
  ASSERT_FALSE(token.empty());
  TokenKeys both = OwnKeys();
  both.public_key_pem = RsaKeys().public_pem;
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(both, token, kNow, &caller), TokenError::kAlgorithm);
}

TEST(TokensTest, UnexpectedAlgorithmIsRefused) {
  Principal caller;
  // HS512 with the right secret: not an algorithm syncd accepts.
  EXPECT_EQ(
      VerifyAccessToken(OwnKeys(), Sign(JWT_ALG_HS512, kSecret, "u", kNow + 60), kNow, &caller),
      TokenError::kAlgorithm);
  // RS256 without a public key configured.
  KeyPair rsa = RsaKeys();
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), Sign(JWT_ALG_RS256, rsa.private_pem, "u", kNow + 60), kNow,
                              &caller),
            TokenError::kAlgorithm);
  // Key confusion: HS256 "signed" with the public key as HMAC secret, where
  // only the public key is configured, must not verify.
  TokenKeys external;
  external.public_key_pem = rsa.public_pem;
  EXPECT_EQ(VerifyAccessToken(external, Sign(JWT_ALG_HS256, rsa.public_pem, "u", kNow + 60), kNow,
                              &caller),
            TokenError::kAlgorithm);
}

TEST(TokensTest, TamperedPayloadIsRefused) {
  std::string user = IssueAccessToken(OwnKeys(), "u", Role::kUser, kNow, 60);
  TokenKeys other;
  other.hmac_secret = "another-secret-of-at-least-32-bytes!!";
  std::string op = IssueAccessToken(other, "u", Role::kOperator, kNow, 60);
  // The operator payload with the user token's header and signature.
  size_t u1 = user.find('.'), u2 = user.rfind('.');
  size_t o1 = op.find('.'), o2 = op.rfind('.');
  std::string forged = user.substr(0, u1) + op.substr(o1, o2 - o1) + user.substr(u2);
  ASSERT_NE(forged, user);
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), forged, kNow, &caller), TokenError::kSignature);
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), "not.a.jwt", kNow, &caller), TokenError::kMalformed);
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), "", kNow, &caller), TokenError::kMalformed);
}

TEST(TokensTest, OwnTokenNeedsOwnIssuer) {
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(OwnKeys(), Sign(JWT_ALG_HS256, kSecret, "u", kNow + 60, "", "x"),
                              kNow, &caller),
            TokenError::kClaims);
}

void ExpectExternalTokenAccepted(jwt_alg_t alg, const KeyPair& keys) {
  TokenKeys config = OwnKeys();
  config.public_key_pem = keys.public_pem;
  std::string token = Sign(alg, keys.private_pem, "ext-user", kNow + 60, R"(["t1","t2"])");
  ASSERT_FALSE(token.empty());
  Principal caller;
  ASSERT_EQ(VerifyAccessToken(config, token, kNow, &caller), TokenError::kNone);
  EXPECT_TRUE(caller.external);
  EXPECT_EQ(caller.user_id, "ext-user");
  EXPECT_EQ(caller.role, Role::kUser);
  ASSERT_TRUE(caller.tenants.has_value());
  EXPECT_EQ(*caller.tenants, (std::vector<std::string>{"t1", "t2"}));
  // Another key pair's token of the same algorithm does not verify.
  KeyPair stranger = alg == JWT_ALG_RS256 ? RsaKeys() : EcKeys();
  EXPECT_EQ(VerifyAccessToken(config, Sign(alg, stranger.private_pem, "ext-user", kNow + 60), kNow,
                              &caller),
            TokenError::kSignature);
  // A tenants claim that is not an array of strings is refused.
  EXPECT_EQ(VerifyAccessToken(config, Sign(alg, keys.private_pem, "e", kNow + 60, R"("t1")"), kNow,
                              &caller),
            TokenError::kClaims);
}

// A token not valid yet (`nbf` in the future beyond the clock-skew leeway)
// is refused; within the leeway, or once that time has come, it verifies.
TEST(TokensTest, ExternalTokenIsRefusedBeforeItsNotBefore) {
  KeyPair keys = EcKeys();
  TokenKeys config;
  config.public_key_pem = keys.public_pem;
  const std::string later =
      Sign(JWT_ALG_ES256, keys.private_pem, "ext-user", kNow + 3600, "", "idp.example", kNow + 600);
  Principal caller;
  EXPECT_EQ(VerifyAccessToken(config, later, kNow, &caller), TokenError::kNotYetValid);
  EXPECT_EQ(VerifyAccessToken(config, later, kNow + 600 - kExpiryLeewayS, &caller),
            TokenError::kNone);
  EXPECT_EQ(VerifyAccessToken(config, later, kNow + 601, &caller), TokenError::kNone);
}

TEST(TokensTest, ExternalRs256TokenWithTenants) {
  ExpectExternalTokenAccepted(JWT_ALG_RS256, RsaKeys());
}

TEST(TokensTest, ExternalEs256TokenWithTenants) {
  ExpectExternalTokenAccepted(JWT_ALG_ES256, EcKeys());
}

// A token signed the way another provider's library signs it: OpenSSL EVP
// directly, the ES256 signature as JOSE's 64-byte R||S (RFC 7518 3.4), not
// DER. Test code only: syncd itself never builds or parses a JWT by hand.
std::string Base64Url(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}
std::string Base64Url(const std::string& s) {
  return Base64Url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::string SignWithEvp(const std::string& alg, const std::string& private_pem,
                        const std::string& payload) {
  std::string input =
      Base64Url(R"({"alg":")" + alg + R"(","typ":"JWT"})") + "." + Base64Url(payload);
  BIO* bio = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::vector<unsigned char> sig(len);
  EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (alg == "ES256") {
    const unsigned char* p = sig.data();
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::vector<unsigned char> jose(64);
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), jose.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), jose.data() + 32, 32);
    ECDSA_SIG_free(ecdsa);
    sig = jose;
  }
  return input + "." + Base64Url(sig.data(), sig.size());
}

TEST(TokensTest, ExternalTokensSignedByAnotherLibraryVerify) {
  const std::string payload =
      R"({"sub":"ext","exp":)" + std::to_string(kNow + 60) + R"(,"tenants":["t1"],"role":"user"})";
  for (const auto& [alg, keys] :
       {std::pair{std::string("RS256"), RsaKeys()}, std::pair{std::string("ES256"), EcKeys()}}) {
    TokenKeys config;
    config.public_key_pem = keys.public_pem;
    Principal caller;
    EXPECT_EQ(VerifyAccessToken(config, SignWithEvp(alg, keys.private_pem, payload), kNow, &caller),
              TokenError::kNone)
        << alg;
    EXPECT_EQ(caller.tenants, std::vector<std::string>{"t1"}) << alg;
  }
}

TEST(TokensTest, RefreshTokensAreRandomAndStoredHashed) {
  std::string a = NewRefreshToken(), b = NewRefreshToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  std::string hash = HashRefreshToken(a);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, HashRefreshToken(a));
  EXPECT_NE(hash, HashRefreshToken(b));
}

TEST(TokensTest, BearerHeader) {
  EXPECT_EQ(BearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(BearerToken("bearer  abc "), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken("Bearer "), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace syncd::auth
