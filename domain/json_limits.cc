#include "syncd/domain/json_limits.h"

#include <rapidjson/error/en.h>

namespace syncd::domain {
namespace {

enum class ScanResult { kOk, kTooDeep, kNulByte };

// One pass, no recursion: counts open brackets outside strings. The text need
// not be valid JSON here; the parser decides that afterwards.
ScanResult ScanDepth(std::string_view text, int max_depth, std::size_t* offset) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') {
      // Never valid in JSON text, and RapidJSON's memory stream would take it
      // for the end of input (silently ignoring whatever follows).
      *offset = i;
      return ScanResult::kNulByte;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          *offset = i;
          return ScanResult::kTooDeep;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return ScanResult::kOk;
}

void SetMessage(std::string* message, std::string text) {
  if (message != nullptr) *message = std::move(text);
}

}  // namespace

JsonParseError ParseJsonLimited(std::string_view text, rapidjson::Document* doc,
                                std::string* message, int max_depth) {
  std::size_t offset = 0;
  switch (ScanDepth(text, max_depth, &offset)) {
    case ScanResult::kTooDeep:
      SetMessage(message, "JSON nested deeper than " + std::to_string(max_depth) +
                              " levels at offset " + std::to_string(offset));
      return JsonParseError::kTooDeep;
    case ScanResult::kNulByte:
      SetMessage(message, "NUL byte in JSON text at offset " + std::to_string(offset));
      return JsonParseError::kInvalid;
    case ScanResult::kOk:
      break;
  }
  // Iterative: no recursion in the parser either. Encoding is validated so
  // that nothing we store or echo back is invalid UTF-8.
  // Full precision: numbers are stored and checksummed as the client sent
  // them, not off by one last digit.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseFullPrecisionFlag;
  doc->Parse<kFlags>(text.data(), text.size());
  if (doc->HasParseError()) {
    SetMessage(message, std::string(rapidjson::GetParseError_En(doc->GetParseError())) +
                            " at offset " + std::to_string(doc->GetErrorOffset()));
    return JsonParseError::kInvalid;
  }
  SetMessage(message, std::string());
  return JsonParseError::kNone;
}

}  // namespace syncd::domain
