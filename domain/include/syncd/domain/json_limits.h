// Safe parsing of untrusted JSON text: a depth check before RapidJSON's
// iterative parser, so deep nesting can neither overflow the stack nor make us
// allocate without bound.
#ifndef SYNCD_DOMAIN_JSON_LIMITS_H_
#define SYNCD_DOMAIN_JSON_LIMITS_H_

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace syncd::domain {

inline constexpr int kMaxJsonDepth = 64;

enum class JsonParseError { kNone, kTooDeep, kInvalid };

// Scans `text` (one pass, strings and escapes skipped) and fails with kTooDeep
// when arrays/objects nest deeper than max_depth, before parsing anything.
// Otherwise parses with kParseIterativeFlag into `doc`; on a syntax error
// returns kInvalid and sets *message (e.g. "Invalid value. at offset 3").
JsonParseError ParseJsonLimited(std::string_view text, rapidjson::Document* doc,
                                std::string* message, int max_depth = kMaxJsonDepth);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_JSON_LIMITS_H_
