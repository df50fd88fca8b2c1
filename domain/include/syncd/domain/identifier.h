// Text that names things: which tenant ids and entry/entity ids we accept,
// and strict UTF-8.
// Plain functions; any thread.
//
// An identifier ends up in SQLite keys, URL paths, log lines and replies to
// other clients of the tenant, so the rule is strict and lives here once:
// every edge that reads an id (sync entries, REST path and body, the
// WebSocket URL) asks CheckIdentifier.
#ifndef SYNCD_DOMAIN_IDENTIFIER_H_
#define SYNCD_DOMAIN_IDENTIFIER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace syncd::domain {

// protocol.md: ids are "1-128 chars"; counted in code points, so "ü" is one.
inline constexpr std::size_t kMaxIdentifierChars = 128;

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800-U+DFFF, which a lone "\udc00" escape would otherwise produce as
// CESU bytes ED B0 80), nothing above U+10FFFF, no truncated sequence.
bool IsValidUtf8(std::string_view text);

// Valid UTF-8 without control characters: C0 (U+0000-U+001F), DEL (U+007F)
// and C1 (U+0080-U+009F; U+009B is a terminal's CSI, nothing legitimate
// names an entity with it).
bool IsPrintableUtf8(std::string_view text);

// nullopt when `value` is an acceptable id: printable UTF-8 (above), no '/'
// (ids are URL path segments), 1-128 code points. Otherwise the reason, naming
// the field, e.g. "entityId must be 1-128 characters".
std::optional<std::string> CheckIdentifier(std::string_view value, std::string_view what);

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_IDENTIFIER_H_
