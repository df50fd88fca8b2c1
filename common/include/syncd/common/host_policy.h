// Which names a request's `Host` header may carry (security.md, DNS
// rebinding). In `none` mode a web page on an attacker's name that resolves
// to 127.0.0.1 is same-origin with syncd for the browser: it would send no
// Origin and read every answer. Its requests carry the attacker's name as
// Host, so only loopback names, the --host value and --allowed-hosts pass.
//
// Immutable after construction; any thread may call its const methods.
#ifndef SYNCD_COMMON_HOST_POLICY_H_
#define SYNCD_COMMON_HOST_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncd::common {

// Whether `host` is a loopback address or name: an IPv4 literal in
// 127.0.0.0/8, the IPv6 literal ::1 (with or without brackets), or the name
// `localhost` (any case, one trailing dot allowed). Literals are parsed
// (inet_pton), so `127.example.net` is not loopback.
bool IsLoopbackHost(std::string_view host);

class HostPolicy {
 public:
  // Checks nothing: every Host passes (token mode).
  HostPolicy() = default;

  // Only loopback names, `bind_host` (--host) and the names of `allowed`
  // (--allowed-hosts: comma-separated host names or addresses, no port;
  // spaces around entries ignored). A malformed entry: nullopt and *error
  // says which.
  static std::optional<HostPolicy> Restricted(std::string_view bind_host, std::string_view allowed,
                                              std::string* error);

  // True when a request whose Host header is `host_header` (name[:port] or
  // [v6][:port], exactly as sent) may be served. Always true when the
  // policy checks nothing.
  bool Allows(std::string_view host_header) const;

  bool restricted() const { return restricted_; }

 private:
  bool restricted_ = false;
  std::vector<std::string> names_;  // lower-case, no brackets, no trailing dot
};

}  // namespace syncd::common

#endif  // SYNCD_COMMON_HOST_POLICY_H_
