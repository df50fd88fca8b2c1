#include "syncd/domain/json_limits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "syncd/domain/canonical_json.h"

namespace syncd::domain {
namespace {

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimitsTest, ParsesAnObject) {
  rapidjson::Document doc;
  std::string message = "stale";
  ASSERT_EQ(ParseJsonLimited(R"({"type":"ping","timestamp":5})", &doc, &message),
            JsonParseError::kNone);
  EXPECT_TRUE(message.empty());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(doc["timestamp"].GetInt(), 5);
}

// Parsing recursively would overflow the stack here (the test would crash).
// How fast it fails is a benchmark question, not an assertion.
TEST(JsonLimitsTest, HundredThousandOpenBracketsAreTooDeepWithoutRecursion) {
  const std::string text(100000, '[');
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kTooDeep);
  EXPECT_FALSE(message.empty());
}

TEST(JsonLimitsTest, DeepObjectsAreTooDeepToo) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += R"({"a":)";
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kTooDeep);
}

TEST(JsonLimitsTest, DepthSixtyFourIsAllowedSixtyFiveIsNot) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(Nested(64), &doc, &message), JsonParseError::kNone) << message;
  EXPECT_TRUE(doc.IsArray());
  EXPECT_EQ(ParseJsonLimited(Nested(65), &doc, &message), JsonParseError::kTooDeep);
}

TEST(JsonLimitsTest, CustomMaxDepth) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(R"({"a":{"b":1}})", &doc, &message, 2), JsonParseError::kNone);
  EXPECT_EQ(ParseJsonLimited(R"({"a":{"b":[1]}})", &doc, &message, 2), JsonParseError::kTooDeep);
}

TEST(JsonLimitsTest, BracketsInsideStringsDoNotCount) {
  const std::string brackets(1000, '[');
  const std::string text = R"({"s":")" + brackets + R"(\"[[[{{{\\","t":"]]]"})";
  rapidjson::Document doc;
  std::string message;
  ASSERT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kNone) << message;
  EXPECT_EQ(doc["s"].GetStringLength(), 1000u + 8u);
}

TEST(JsonLimitsTest, InvalidJsonReportsMessageWithOffset) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(R"({"a":})", &doc, &message), JsonParseError::kInvalid);
  EXPECT_NE(message.find("offset 5"), std::string::npos) << message;
  EXPECT_EQ(ParseJsonLimited("", &doc, &message), JsonParseError::kInvalid);
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(ParseJsonLimited("{'a':1}", &doc, &message), JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited(R"({"a":1,})", &doc, &message), JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited(R"({"a":"unterminated)", &doc, &message), JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited("[[[", &doc, &message), JsonParseError::kInvalid);
}

TEST(JsonLimitsTest, TrailingGarbageIsInvalid) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(R"({"a":1} x)", &doc, &message), JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited(R"({"a":1}{"b":2})", &doc, &message), JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited(std::string("{\"a\":1}\0junk", 12), &doc, &message),
            JsonParseError::kInvalid);
  EXPECT_EQ(ParseJsonLimited("{\"a\":1}  \n", &doc, &message), JsonParseError::kNone);
}

TEST(JsonLimitsTest, OnlyTheGivenBytesAreRead) {
  const std::string text = R"({"a":1}{"b":2})";
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(std::string_view(text).substr(0, 7), &doc, &message),
            JsonParseError::kNone);
  EXPECT_TRUE(doc.HasMember("a"));
}

TEST(JsonLimitsTest, InvalidUtf8IsInvalid) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited("{\"a\":\"\xff\xfe\"}", &doc, &message), JsonParseError::kInvalid);
}

TEST(JsonLimitsTest, NonObjectDocumentsAreNotAnErrorHere) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited("[1,2]", &doc, &message), JsonParseError::kNone);
  EXPECT_TRUE(doc.IsArray());
  EXPECT_EQ(ParseJsonLimited("42", &doc, &message), JsonParseError::kNone);
  EXPECT_EQ(ParseJsonLimited(R"("s")", &doc, &message), JsonParseError::kNone);
  EXPECT_TRUE(doc.IsString());
}

// The number that crashed the server from both ports (RapidJSON 1.1.0's
// full-precision path indexes past its power table for it).
constexpr char kCrashingNumber[] =
    "0.0000000000000000000000000000000000000000000000000000000000001e-300";

TEST(JsonLimitsTest, TinyNumberThatCrashedRapidJsonUnderflowsToZero) {
  rapidjson::Document doc;
  std::string message;
  const std::string text = std::string(R"({"type":"ping","timestamp":)") + kCrashingNumber + "}";
  ASSERT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kNone) << message;
  ASSERT_TRUE(doc["timestamp"].IsDouble());
  EXPECT_EQ(doc["timestamp"].GetDouble(), 0.0);
  EXPECT_EQ(CanonicalJson(doc), R"({"timestamp":0.0,"type":"ping"})");
}

TEST(JsonLimitsTest, ZeroWithATinyExponentIsZero) {
  rapidjson::Document doc;
  std::string message;
  // RapidJSON's full-precision path read this as 6.08e-210.
  ASSERT_EQ(ParseJsonLimited("[0e-324,-0e-324,0.0e-999999999999]", &doc, &message),
            JsonParseError::kNone)
      << message;
  EXPECT_EQ(doc[0].GetDouble(), 0.0);
  EXPECT_FALSE(std::signbit(doc[0].GetDouble()));
  EXPECT_EQ(doc[1].GetDouble(), 0.0);
  EXPECT_TRUE(std::signbit(doc[1].GetDouble()));
  EXPECT_EQ(CanonicalJson(doc), "[0.0,-0.0,0.0]");
}

// Expected outputs from Python: json.dumps(json.loads(text)); integers beyond
// 64 bits are the one difference (they become doubles, canonical_json.h).
TEST(JsonLimitsTest, BoundaryNumbersAndTheirCanonicalForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"5e-324", "5e-324"},  // the smallest subnormal
      {"2.4703282292062328e-324", "5e-324"},
      {"2.4703282292062327e-324", "0.0"},  // just below half of it: rounds to zero
      {"1e-400", "0.0"},
      {"-1e-400", "-0.0"},  // underflow keeps the sign, as Python's float()
      {"123.456e-330", "0.0"},
      {"-0.00001e-320", "-0.0"},
      {"0.1e309", "1e+308"},
      {"2.2250738585072014e-308", "2.2250738585072014e-308"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"-0.0", "-0.0"},
      {"-0", "0"},  // an integer: there is no integer minus zero
      {"1E2", "100.0"},
      {"4294967295", "4294967295"},
      {"4294967296", "4294967296"},
      {"-2147483648", "-2147483648"},
      {"-2147483649", "-2147483649"},
      {"18446744073709551615", "18446744073709551615"},
      {"18446744073709551616", "1.8446744073709552e+19"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"-9223372036854775809", "-9.223372036854776e+18"},
      {"123456789012345678901234567890", "1.2345678901234568e+29"},
      {"0.1", "0.1"},
      {"9007199254740993", "9007199254740993"},
  };
  for (const auto& [input, expected] : cases) {
    rapidjson::Document doc;
    std::string message;
    ASSERT_EQ(ParseJsonLimited("[" + input + "]", &doc, &message), JsonParseError::kNone)
        << input << ": " << message;
    EXPECT_EQ(CanonicalJson(doc), "[" + expected + "]") << input;
  }
}

TEST(JsonLimitsTest, IntegersKeepTheTypesRapidJsonGivesThem) {
  rapidjson::Document doc;
  std::string message;
  ASSERT_EQ(
      ParseJsonLimited("[5,-5,4294967296,-2147483649,18446744073709551615,1.0]", &doc, &message),
      JsonParseError::kNone);
  EXPECT_TRUE(doc[0].IsInt() && doc[0].IsUint() && doc[0].IsInt64() && doc[0].IsUint64());
  EXPECT_EQ(doc[0].GetInt(), 5);
  EXPECT_TRUE(doc[1].IsInt() && !doc[1].IsUint());
  EXPECT_TRUE(doc[2].IsInt64() && !doc[2].IsUint());
  EXPECT_EQ(doc[2].GetInt64(), 4294967296);
  EXPECT_TRUE(doc[3].IsInt64() && !doc[3].IsInt());
  EXPECT_TRUE(doc[4].IsUint64() && !doc[4].IsInt64());
  EXPECT_EQ(doc[4].GetUint64(), 18446744073709551615u);
  EXPECT_TRUE(doc[5].IsDouble());
}

TEST(JsonLimitsTest, NumbersBeyondTheDoubleRangeAreInvalid) {
  for (const std::string& number :
       {std::string("1e400"), std::string("-1e400"), std::string("1.8e308"),
        std::string("100000000000000000000e300"), std::string("0.2e309"),
        "1" + std::string(400, '0')}) {
    rapidjson::Document doc;
    std::string message;
    EXPECT_EQ(ParseJsonLimited(R"({"a":)" + number + "}", &doc, &message), JsonParseError::kInvalid)
        << number;
    EXPECT_NE(message.find("Number too big"), std::string::npos) << number << ": " << message;
    EXPECT_TRUE(doc.IsNull());
  }
}

TEST(JsonLimitsTest, LoneSurrogateEscapesAreInvalid) {
  for (const char* text :
       {R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"x\udfffy"})", R"({"a":"\ud800\u0041"})",
        R"({"\udc00":1})", R"(["\udc00"])", R"({"a":"\ude00\ud83d"})"}) {
    rapidjson::Document doc;
    std::string message;
    EXPECT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kInvalid) << text;
    EXPECT_FALSE(message.empty()) << text;
  }
}

TEST(JsonLimitsTest, SurrogatePairsAndNulEscapesAreKept) {
  rapidjson::Document doc;
  std::string message;
  ASSERT_EQ(ParseJsonLimited(R"({"a":"\ud83d\ude00","b":"x\u0000y","\u00e9":1})", &doc, &message),
            JsonParseError::kNone)
      << message;
  EXPECT_EQ(std::string(doc["a"].GetString(), doc["a"].GetStringLength()), "\xF0\x9F\x98\x80");
  EXPECT_EQ(std::string(doc["b"].GetString(), doc["b"].GetStringLength()), std::string("x\0y", 3));
  EXPECT_EQ(CanonicalJson(doc), "{\"a\":\"😀\",\"b\":\"x\\u0000y\",\"é\":1}");
}

TEST(JsonLimitsTest, FailedParseLeavesANullDocument) {
  rapidjson::Document doc;
  std::string message;
  ASSERT_EQ(ParseJsonLimited(R"({"a":1})", &doc, &message), JsonParseError::kNone);
  EXPECT_EQ(ParseJsonLimited(R"({"a":"\udc00"})", &doc, &message), JsonParseError::kInvalid);
  EXPECT_TRUE(doc.IsNull());
}

}  // namespace
}  // namespace syncd::domain
