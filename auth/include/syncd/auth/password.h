// Password hashing (accounts.md): Argon2id from libargon2, a random salt per
// hash, the PHC string ("$argon2id$v=19$m=…") stored. Verification is
// libargon2's, which compares in constant time. Plain functions; any thread.
// Passwords are never logged: nothing here writes anywhere.
#ifndef SYNCD_AUTH_PASSWORD_H_
#define SYNCD_AUTH_PASSWORD_H_

#include <string>
#include <string_view>

namespace syncd::auth {

// Cost parameters: OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane).
struct PasswordCost {
  unsigned time_cost = 2;
  unsigned memory_kib = 19 * 1024;
  unsigned lanes = 1;
};

// The encoded hash of `password`, or "" if hashing failed (out of memory).
std::string HashPassword(std::string_view password, const PasswordCost& cost = PasswordCost());

// Whether `password` matches `encoded` (a HashPassword result). false for an
// empty or malformed `encoded` (an account without a password).
bool VerifyPassword(std::string_view encoded, std::string_view password);

// Runs one verification against a fixed hash and returns false: used for an
// unknown account so that its answer takes as long as a wrong password's.
bool VerifyAgainstDummy(std::string_view password);

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_PASSWORD_H_
