// Entity versions: ISO-8601 parsing and the normalised form stored in every entity.
#ifndef SYNCD_DOMAIN_VERSION_H_
#define SYNCD_DOMAIN_VERSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syncd::domain {

// Parses an ISO-8601 / RFC 3339 time to Unix epoch milliseconds.
// Accepted: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MM:SS", with an
// optional fraction of any length (".1", ".123456"; truncated to ms), 'T' or
// ' ' between date and time, 't'/'z' in lower case, and an optional zone
// "Z", "+HH:MM", "+HHMM", "+HH" (or '-'). Without a zone the time is UTC.
// Field ranges are checked (month 1-12, day within the month incl. leap
// years, hour 0-23, minute 0-59, second 0-60). Anything else: nullopt.
std::optional<int64_t> ParseIso8601Ms(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) for epoch milliseconds (negative allowed).
std::string FormatIso8601Ms(int64_t epoch_ms);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_VERSION_H_
