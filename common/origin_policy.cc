#include "syncd/common/origin_policy.h"

#include <cctype>

namespace syncd::common {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "scheme://host[:port]" with nothing after the authority: what a browser
// sends as Origin. Checked only for configured entries, so a typo fails at
// start instead of silently allowing nothing.
bool LooksLikeOrigin(std::string_view s) {
  auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view authority = s.substr(sep + 3);
  if (authority.empty()) return false;
  for (char c : authority) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == ' ' ||
        static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return false;
    }
  }
  return true;
}

}  // namespace

OriginPolicy::OriginPolicy() {
  for (const char* host : {"http://localhost", "http://127.0.0.1", "http://[::1]"}) {
    entries_.push_back(Entry{host, true});
  }
}

std::optional<OriginPolicy> OriginPolicy::Parse(std::string_view list, std::string* error) {
  OriginPolicy policy;
  if (Trim(list).empty()) return policy;
  policy.entries_.clear();
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    if (item == "*") {
      policy.any_ = true;
      continue;
    }
    while (item.size() > 1 && item.back() == '/') item.remove_suffix(1);
    Entry entry;
    if (item.size() > 2 && item.substr(item.size() - 2) == ":*") {
      entry.any_port = true;
      item.remove_suffix(2);
    }
    if (!LooksLikeOrigin(item)) {
      if (error != nullptr) {
        *error = "\"" + std::string(item) +
                 "\" is not an origin (scheme://host[:port], scheme://host:* or *)";
      }
      return std::nullopt;
    }
    entry.origin = Lower(item);
    policy.entries_.push_back(std::move(entry));
  }
  if (!policy.any_ && policy.entries_.empty()) {
    if (error != nullptr) *error = "empty list";
    return std::nullopt;
  }
  return policy;
}

bool OriginPolicy::Allows(std::string_view origin) const {
  if (any_) return true;
  if (origin.empty() || origin.size() > 512) return false;
  const std::string o = Lower(origin);
  for (const Entry& e : entries_) {
    if (o == e.origin) return true;
    if (e.any_port && o.size() > e.origin.size() + 1 &&
        o.compare(0, e.origin.size(), e.origin) == 0 && o[e.origin.size()] == ':' &&
        AllDigits(std::string_view(o).substr(e.origin.size() + 1))) {
      return true;
    }
  }
  return false;
}

std::string OriginPolicy::Describe() const {
  std::string out;
  if (any_) out = "*";
  for (const Entry& e : entries_) {
    if (!out.empty()) out += ",";
    out += e.origin + (e.any_port ? ":*" : "");
  }
  return out;
}

}  // namespace syncd::common
