// Which browser origins may talk to syncd (accounts.md, CORS): REST answers
// carry CORS headers only for them, and a WebSocket upgrade whose `Origin` is
// not allowed gets 403. Without this, any web page a user opens could read
// and write every tenant of a syncd on localhost through the user's browser.
//
// Immutable after construction; any thread may call its const methods.
#ifndef SYNCD_COMMON_ORIGIN_POLICY_H_
#define SYNCD_COMMON_ORIGIN_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syncd::common {

class OriginPolicy {
 public:
  // The default: loopback origins on any port (http://localhost:*,
  // http://127.0.0.1:*, http://[::1]:*).
  OriginPolicy();

  // `list` is --cors-origins: comma-separated entries, each `*` (any origin),
  // an exact origin (`https://app.example.com`, `http://host:8080`) or an
  // origin whose port is `*` (`http://localhost:*`: that host, any port or
  // none). Spaces around entries are ignored. An empty list means the
  // default. A malformed entry: nullopt and *error says which.
  static std::optional<OriginPolicy> Parse(std::string_view list, std::string* error);

  // True when a browser page from `origin` (the request's Origin header,
  // exactly as sent) may use syncd.
  bool Allows(std::string_view origin) const;

  // True when the list is `*`: answers say `Access-Control-Allow-Origin: *`.
  bool any() const { return any_; }

  // The list as configured, for the start-up log line.
  std::string Describe() const;

 private:
  struct Entry {
    std::string origin;     // lower-case, no trailing slash; without the port for a `:*` entry
    bool any_port = false;  // `scheme://host:*`
  };
  bool any_ = false;
  std::vector<Entry> entries_;
};

}  // namespace syncd::common

#endif  // SYNCD_COMMON_ORIGIN_POLICY_H_
