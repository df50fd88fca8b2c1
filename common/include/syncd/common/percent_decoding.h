// The one percent-decoder of URL paths and queries (WebSocket and REST).
// Plain function; any thread.
#ifndef SYNCD_COMMON_PERCENT_DECODING_H_
#define SYNCD_COMMON_PERCENT_DECODING_H_

#include <optional>
#include <string>
#include <string_view>

namespace syncd::common {

// Strict percent-decoding of a URL path segment or query value: "%41" -> "A",
// '+' is kept (RFC 3986 paths, and openapi-fetch queries use %20). nullopt
// when a '%' is not followed by two hex digits. The result may hold any
// byte, so an id read this way still needs domain::CheckIdentifier.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace syncd::common

#endif  // SYNCD_COMMON_PERCENT_DECODING_H_
