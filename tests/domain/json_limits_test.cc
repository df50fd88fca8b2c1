#include "syncd/domain/json_limits.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace syncd::domain
