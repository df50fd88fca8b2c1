#include "syncd/domain/canonical_json.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace syncd::domain {
namespace {

std::string_view StringOf(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

void WriteString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// A double in the shortest form that reads back to the same value, laid out
// as Python's repr() and json.dumps do: plain notation for exponents from -4
// to 15 (with ".0" for whole numbers), otherwise d.ddde+XX. So a client
// computing json.dumps(..., sort_keys=True, separators=(',', ':')) gets the
// same bytes (RapidJSON's Grisu2 is not always shortest: ...9874 for ...9873).
void WriteDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");  // NaN/Inf cannot come from the parser; JSON has no spelling for them
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  if (ec != std::errc()) {
    out->append("null");
    return;
  }
  std::string_view text(buf, static_cast<size_t>(end - buf));  // e.g. "-1.2345e+02"
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  if (negative) out->push_back('-');
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() < int_len) digits.append(int_len - digits.size(), '0');
      out->append(digits, 0, int_len);
      out->push_back('.');
      out->append(digits.size() > int_len ? digits.substr(int_len) : std::string("0"));
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(-exponent - 1), '0');
      out->append(digits);
    }
    return;
  }
  out->push_back(digits[0]);
  if (digits.size() > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  out->push_back('e');
  out->push_back(exponent < 0 ? '-' : '+');
  int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out->push_back('0');
  out->append(std::to_string(magnitude));
}

void WriteNumber(const rapidjson::Value& v, std::string* out) {
  if (v.IsInt64()) {
    out->append(std::to_string(v.GetInt64()));
  } else if (v.IsUint64()) {
    out->append(std::to_string(v.GetUint64()));
  } else {
    WriteDouble(v.GetDouble(), out);
  }
}

void WriteValue(const rapidjson::Value& v, std::string* out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out->append("null");
      return;
    case rapidjson::kFalseType:
      out->append("false");
      return;
    case rapidjson::kTrueType:
      out->append("true");
      return;
    case rapidjson::kStringType:
      WriteString(StringOf(v), out);
      return;
    case rapidjson::kNumberType:
      WriteNumber(v, out);
      return;
    case rapidjson::kArrayType: {
      out->push_back('[');
      bool first = true;
      for (const rapidjson::Value& element : v.GetArray()) {
        if (!first) out->push_back(',');
        first = false;
        WriteValue(element, out);
      }
      out->push_back(']');
      return;
    }
    case rapidjson::kObjectType: {
      std::vector<const rapidjson::Value::Member*> members;
      members.reserve(v.MemberCount());
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) members.push_back(&*it);
      // string_view comparison is memcmp-like, i.e. by unsigned byte value,
      // which for UTF-8 is also code point order.
      std::stable_sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
        return StringOf(a->name) < StringOf(b->name);
      });
      out->push_back('{');
      bool first = true;
      for (const auto* member : members) {
        if (!first) out->push_back(',');
        first = false;
        WriteString(StringOf(member->name), out);
        out->push_back(':');
        WriteValue(member->value, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

std::string CanonicalJson(const rapidjson::Value& value) {
  std::string out;
  WriteValue(value, &out);
  return out;
}

std::string Md5Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(static_cast<std::size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

}  // namespace syncd::domain
