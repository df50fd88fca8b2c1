#include "syncd/domain/json_limits.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

#include "syncd/domain/identifier.h"

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

// True when the decimal number `text` (JSON grammar, already checked by the
// reader) is below 1 in magnitude. Called only when std::from_chars said "out
// of range", which for a double happens only beyond 1.8e308 or below 2.5e-324,
// so this tells underflow from overflow.
bool MagnitudeBelowOne(std::string_view text) {
  std::size_t i = text.front() == '-' ? 1 : 0;
  int64_t order = 0;  // the power of ten of the first non-zero digit
  bool found = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (found) {
      ++order;
    } else if (text[i] != '0') {
      found = true;
    }
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    int64_t position = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      ++position;
      if (!found && text[i] != '0') {
        found = true;
        order = -position;
      }
    }
  }
  if (!found) return true;  // zero (from_chars does not fail on it)
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    for (; i < text.size(); ++i) {
      // Saturate: only the sign of the total matters.
      if (exponent < 1000000000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  return order + exponent < 0;
}

// Receives the reader's events and builds the Document (which is itself a
// SAX handler). It exists for two things RapidJSON 1.1.0 gets wrong:
//  - Numbers. kParseFullPrecisionFlag indexes past its table of cached powers
//    for tiny numbers (diyfp.h GetCachedPowerByIndex: a crash for
//    0.000…1e-300, and 0e-324 read as 6.08e-210). The reader hands us every
//    number as text instead (kParseNumbersAsStringsFlag) and we convert it:
//    an integer that fits int64/uint64 stays that integer (the same calls the
//    reader would make), anything else is the correctly rounded double
//    (std::from_chars), like Python's float(). Underflow gives 0.0 with the
//    sign; overflow (only reachable with many digits, e.g. 1e20 with e300,
//    since the reader refuses a bare exponent above 308 itself) is refused,
//    as JSON has no spelling for infinity.
//  - Strings. The reader checks the UTF-8 of the input but not what a \u
//    escape produces: a lone surrogate ("\udc00", or "\ud800" followed by
//    anything but a low surrogate escape) would be stored as CESU bytes that
//    are not UTF-8, and websocketpp refuses to send any frame carrying them.
//    Every string and member name is checked after unescaping.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(rapidjson::Document* doc) : doc_(doc) {}

  const std::string& error() const { return error_; }

  bool Null() { return doc_->Null(); }
  bool Bool(bool b) { return doc_->Bool(b); }
  bool Int(int i) { return doc_->Int(i); }
  bool Uint(unsigned u) { return doc_->Uint(u); }
  bool Int64(int64_t i) { return doc_->Int64(i); }
  bool Uint64(uint64_t u) { return doc_->Uint64(u); }
  bool Double(double d) { return doc_->Double(d); }
  bool StartObject() { return doc_->StartObject(); }
  bool EndObject(rapidjson::SizeType members) { return doc_->EndObject(members); }
  bool StartArray() { return doc_->StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_->EndArray(elements); }

  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    if (!IsValidUtf8(std::string_view(str, length))) return Fail(kBadString);
    return doc_->String(str, length, copy);
  }
  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    if (!IsValidUtf8(std::string_view(str, length))) return Fail(kBadString);
    return doc_->Key(str, length, copy);
  }

  bool RawNumber(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    const std::string_view text(str, length);
    if (text.empty()) return Fail("Invalid value.");
    const char* const end = text.data() + text.size();
    if (text.find_first_of(".eE") == std::string_view::npos) {
      // As the reader would: Int/Uint when 32 bits suffice, else Int64/Uint64.
      if (text.front() == '-') {
        int64_t value = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec == std::errc() && ptr == end) {
          return value >= std::numeric_limits<int32_t>::min() ? Int(static_cast<int>(value))
                                                              : Int64(value);
        }
      } else {
        uint64_t value = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec == std::errc() && ptr == end) {
          return value <= std::numeric_limits<uint32_t>::max() ? Uint(static_cast<unsigned>(value))
                                                               : Uint64(value);
        }
      }
      // Beyond 64 bits: a double, as the reader makes it.
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) {
      if (!MagnitudeBelowOne(text)) return Fail("Number too big to be stored in double.");
      value = text.front() == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc() || ptr != end) {
      return Fail("Invalid value.");
    }
    return Double(value);
  }

 private:
  static constexpr const char* kBadString =
      "Invalid Unicode in string (a lone UTF-16 surrogate escape).";

  bool Fail(const char* error) {
    error_ = error;
    return false;
  }

  rapidjson::Document* doc_;
  std::string error_;
};

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
  // that nothing we store or echo back is invalid UTF-8 (DocumentBuilder also
  // checks what escapes produce). Numbers arrive as text and are converted
  // exactly (see DocumentBuilder): full precision, without RapidJSON's own
  // full-precision code.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::Reader reader;
  DocumentBuilder builder(doc);
  rapidjson::MemoryStream memory(text.data(), text.size());
  // As Document::Parse reads: a UTF-8 byte order mark is skipped.
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  auto generate = [&](rapidjson::Document&) {
    return !reader.Parse<kFlags>(stream, builder).IsError();
  };
  doc->Populate(generate);
  if (reader.HasParseError()) {
    doc->SetNull();  // never half a document
    const std::string what = reader.GetParseErrorCode() == rapidjson::kParseErrorTermination
                                 ? builder.error()
                                 : rapidjson::GetParseError_En(reader.GetParseErrorCode());
    SetMessage(message, what + " at offset " + std::to_string(reader.GetErrorOffset()));
    return JsonParseError::kInvalid;
  }
  SetMessage(message, std::string());
  return JsonParseError::kNone;
}

}  // namespace syncd::domain
