#include "syncd/common/host_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>

namespace syncd::common {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `host` lower-cased, without the brackets of an IPv6 literal and without
// one trailing dot (a fully qualified name): the form names are compared in.
std::string Normal(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The name part of a Host header value: `name`, `name:port`, `[v6]` or
// `[v6]:port`. nullopt when the value has no such form.
std::optional<std::string_view> HostName(std::string_view value) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !AllDigits(rest.substr(1)))) return std::nullopt;
    return value.substr(0, close + 1);
  }
  size_t colon = value.find(':');
  if (colon == std::string_view::npos) return value;
  if (!AllDigits(value.substr(colon + 1))) return std::nullopt;  // a bare IPv6 or garbage
  if (colon == 0) return std::nullopt;
  return value.substr(0, colon);
}

// A host name or address for --allowed-hosts: printable, no port, no path.
bool LooksLikeHost(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '/' || c == '@' || c == '?' || c == '#' || c == ',') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  const std::string name = Normal(host);
  if (name == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

std::optional<HostPolicy> HostPolicy::Restricted(std::string_view bind_host,
                                                 std::string_view allowed, std::string* error) {
  HostPolicy policy;
  policy.restricted_ = true;
  if (!Trim(bind_host).empty()) policy.names_.push_back(Normal(Trim(bind_host)));
  while (!allowed.empty()) {
    size_t comma = allowed.find(',');
    std::string_view item = Trim(allowed.substr(0, comma));
    allowed = comma == std::string_view::npos ? std::string_view() : allowed.substr(comma + 1);
    if (item.empty()) continue;
    std::string name = Normal(item);
    bool ipv6 = name.find(':') != std::string::npos;
    in6_addr v6{};
    if (!LooksLikeHost(name) || (ipv6 && inet_pton(AF_INET6, name.c_str(), &v6) != 1)) {
      if (error != nullptr) {
        *error = "\"" + std::string(item) + "\" is not a host name or address (no port, no scheme)";
      }
      return std::nullopt;
    }
    policy.names_.push_back(std::move(name));
  }
  return policy;
}

bool HostPolicy::Allows(std::string_view host_header) const {
  if (!restricted_) return true;
  if (host_header.size() > 300) return false;
  std::optional<std::string_view> raw = HostName(host_header);
  if (!raw) return false;
  if (IsLoopbackHost(*raw)) return true;
  const std::string name = Normal(*raw);
  for (const std::string& allowed : names_) {
    if (name == allowed) return true;
  }
  return false;
}

}  // namespace syncd::common
