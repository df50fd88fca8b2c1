#include "syncd/auth/password.h"

#include <gtest/gtest.h>

namespace syncd::auth {
namespace {

// Small costs keep the suite fast; the algorithm and checks are the same.
PasswordCost Cheap() {
  PasswordCost cost;
  cost.memory_kib = 1024;
  cost.time_cost = 1;
  return cost;
}

TEST(PasswordTest, HashIsArgon2idAndVerifies) {
  std::string hash = HashPassword("correct horse", Cheap());
  ASSERT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horsE"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(PasswordTest, SaltedSoEqualPasswordsHashDifferently) {
  EXPECT_NE(HashPassword("same password", Cheap()), HashPassword("same password", Cheap()));
}

TEST(PasswordTest, DefaultCostVerifies) {
  std::string hash = HashPassword("a longer passphrase");
  EXPECT_NE(hash.find("m=19456"), std::string::npos) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "a longer passphrase"));
}

TEST(PasswordTest, NoOrMalformedHashNeverVerifies) {
  EXPECT_FALSE(VerifyPassword("", ""));
  EXPECT_FALSE(VerifyPassword("", "anything"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "anything"));
  EXPECT_FALSE(VerifyAgainstDummy("syncd-dummy-password"));
}

}  // namespace
}  // namespace syncd::auth
