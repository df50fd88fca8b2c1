// What a valid account looks like (accounts.md): one set of rules for the
// REST routes (/register, /users) and `syncd user add`. Plain functions.
#ifndef SYNCD_AUTH_ACCOUNT_RULES_H_
#define SYNCD_AUTH_ACCOUNT_RULES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace syncd::auth {

inline constexpr size_t kMinPasswordChars = 8;
// Longer passwords only cost hashing time; nobody types more.
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxEmailBytes = 254;

// Code points, not bytes: "shorter than 8 characters" means what a person sees.
size_t Utf8Length(std::string_view s);

// local@domain.tld with no spaces or control characters: enough to catch a
// typo; whether it receives mail is not our business.
bool LooksLikeEmail(std::string_view e);

// The 400 message when the password or the name is not acceptable.
std::optional<std::string> PasswordProblem(std::string_view password);
std::optional<std::string> NameProblem(std::string_view name);

}  // namespace syncd::auth

#endif  // SYNCD_AUTH_ACCOUNT_RULES_H_
