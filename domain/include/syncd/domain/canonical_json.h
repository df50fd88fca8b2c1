// Canonical JSON and checksums: the one function every reply and route uses,
// so that a client can compute the same checksum (protocol.md, Checksum).
#ifndef SYNCD_DOMAIN_CANONICAL_JSON_H_
#define SYNCD_DOMAIN_CANONICAL_JSON_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace syncd::domain {

// Object keys sorted by byte value (unsigned) at every level, no whitespace.
// Strings: only '"', '\\' and control characters below 0x20 are escaped
// (\b \f \n \r \t, the rest as \u00xx with lower-case hex); '/' and
// non-ASCII UTF-8 are written as they are. Numbers as the parser read them:
// integers as integers (int64/uint64), other numbers in the shortest form
// that reads back to the same double, laid out as Python's json.dumps does
// (12.5, 0.1, 1.0, 100.0 for 1e2, 1e+21, 1e-07). An integer beyond 64 bits
// is read as a double. true/false/null as usual. Duplicate keys are kept in
// input order after sorting (stable).
std::string CanonicalJson(const rapidjson::Value& value);

// Lower-case hex MD5 of the bytes (OpenSSL EVP).
std::string Md5Hex(std::string_view bytes);

// Md5Hex(canonical_json): the checksum of a stored entity given its canonical form.
inline std::string ChecksumOfCanonical(std::string_view canonical_json) {
  return Md5Hex(canonical_json);
}

}  // namespace syncd::domain

#endif  // SYNCD_DOMAIN_CANONICAL_JSON_H_
