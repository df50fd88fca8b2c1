#include "syncd/domain/identifier.h"

#include <cstdint>

namespace syncd::domain {
namespace {

// Decodes the code point starting at text[*i] and advances *i past it;
// false on any ill-formed sequence (Unicode 15, table 3-7).
bool NextCodePoint(std::string_view text, std::size_t* i, uint32_t* code_point) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(*i);
  if (b0 < 0x80) {
    *code_point = b0;
    *i += 1;
    return true;
  }
  std::size_t length = 0;
  unsigned char min1 = 0x80;  // the allowed range of the second byte
  unsigned char max1 = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    *code_point = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    *code_point = b0 & 0x0F;
    if (b0 == 0xE0) min1 = 0xA0;  // overlong
    if (b0 == 0xED) max1 = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    *code_point = b0 & 0x07;
    if (b0 == 0xF0) min1 = 0x90;  // overlong
    if (b0 == 0xF4) max1 = 0x8F;  // above U+10FFFF
  } else {
    return false;  // a continuation byte, C0/C1 (overlong) or F5-FF
  }
  if (text.size() - *i < length) return false;
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char b = byte(*i + k);
    const unsigned char lo = k == 1 ? min1 : 0x80;
    const unsigned char hi = k == 1 ? max1 : 0xBF;
    if (b < lo || b > hi) return false;
    *code_point = (*code_point << 6) | (b & 0x3F);
  }
  *i += length;
  return true;
}

bool IsControl(uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  // Every string the parser makes passes here, and most are ASCII.
  std::size_t i = 0;
  uint32_t code_point = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (!NextCodePoint(text, &i, &code_point)) {
      return false;
    }
  }
  return true;
}

bool IsPrintableUtf8(std::string_view text) {
  std::size_t i = 0;
  uint32_t code_point = 0;
  while (i < text.size()) {
    if (!NextCodePoint(text, &i, &code_point) || IsControl(code_point)) return false;
  }
  return true;
}

std::optional<std::string> CheckIdentifier(std::string_view value, std::string_view what) {
  std::size_t i = 0;
  std::size_t chars = 0;
  uint32_t code_point = 0;
  while (i < value.size()) {
    if (!NextCodePoint(value, &i, &code_point)) {
      return std::string(what) + " must be valid UTF-8";
    }
    if (IsControl(code_point)) return std::string(what) + " must not contain control characters";
    if (code_point == '/') return std::string(what) + " must not contain '/'";
    ++chars;
  }
  if (chars < 1 || chars > kMaxIdentifierChars) {
    return std::string(what) + " must be 1-128 characters";
  }
  return std::nullopt;
}

}  // namespace syncd::domain
