#include "syncd/auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <string>
#include <vector>

namespace syncd::auth {

namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

}  // namespace

std::string HashPassword(std::string_view password, const PasswordCost& cost) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return "";
  size_t encoded_len = argon2_encodedlen(cost.time_cost, cost.memory_kib, cost.lanes,
                                         static_cast<uint32_t>(salt.size()), kHashBytes, Argon2_id);
  std::vector<char> encoded(encoded_len);
  int rc = argon2id_hash_encoded(cost.time_cost, cost.memory_kib, cost.lanes, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashBytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return "";
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  if (encoded.empty()) return false;
  const std::string terminated(encoded);  // argon2 wants a C string
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool VerifyAgainstDummy(std::string_view password) {
  static const std::string kDummy = HashPassword("syncd-dummy-password");
  VerifyPassword(kDummy, password);
  return false;
}

}  // namespace syncd::auth
