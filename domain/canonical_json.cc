#include "syncd/domain/canonical_json.h"

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstddef>
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

void WriteNumber(const rapidjson::Value& v, std::string* out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  bool ok = false;
  if (v.IsInt64()) {
    ok = writer.Int64(v.GetInt64());
  } else if (v.IsUint64()) {
    ok = writer.Uint64(v.GetUint64());
  } else {
    // Shortest round-trip form (Grisu2), e.g. 12.5, 0.1, 1.0, 1e21.
    ok = writer.Double(v.GetDouble());
  }
  if (ok) {
    out->append(buffer.GetString(), buffer.GetSize());
  } else {
    out->append("null");  // NaN/Inf cannot come from the parser; JSON has no spelling for them
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
