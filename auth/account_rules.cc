#include "syncd/auth/account_rules.h"

namespace syncd::auth {

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

bool LooksLikeEmail(std::string_view e) {
  if (e.empty() || e.size() > kMaxEmailBytes) return false;
  for (char c : e) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  size_t at = e.find('@');
  if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view domain = e.substr(at + 1);
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

std::optional<std::string> PasswordProblem(std::string_view password) {
  if (Utf8Length(password) < kMinPasswordChars) return "password must have at least 8 characters";
  if (password.size() > kMaxPasswordBytes) return "password must have at most 1024 bytes";
  return std::nullopt;
}

std::optional<std::string> NameProblem(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return "name must have 1 to 200 bytes";
  return std::nullopt;
}

}  // namespace syncd::auth
